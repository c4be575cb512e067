#!/usr/bin/env bash
# Installs the Debian packages the build needs, if they are missing: SQLite's headers (GRDB),
# JavaScriptCore's C API (BrigadeJS, dynamic workflows), esbuild (tenant code is compiled with
# it at upload), PostgreSQL's server (the tests start one of their own for the PostgreSQL
# store) and CodeMirror (the playground's editor; without it a plain text area). With
# --browser, also Chromium and its WebDriver (the dashboard's browser tests). As root it runs
# apt-get; otherwise it prints the command to run.
set -euo pipefail
packages=(libsqlite3-dev libjavascriptcoregtk-4.1-dev esbuild postgresql libjs-codemirror)
if [ "${1:-}" = "--browser" ]; then packages+=(chromium chromium-driver); fi
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "missing Debian packages: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
