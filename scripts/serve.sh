#!/usr/bin/env bash
# The README's run command: installs what the build needs if it is missing, then builds and
# starts `brigade serve` (HTTP API on 127.0.0.1:8787, SQLite file brigade.sqlite here).
# Extra arguments go to `brigade serve` (--db PATH, --host, --port).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
if ! dpkg -s libsqlite3-dev >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsqlite3-dev
    else
        echo "libsqlite3-dev is missing: sudo apt-get install libsqlite3-dev" >&2
        exit 1
    fi
fi
exec swift run brigade serve "$@"
