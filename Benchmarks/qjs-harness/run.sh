#!/usr/bin/env bash
# Builds and runs qreplay.c, the C harness's replay on QuickJS-ng, with the prelude Brigade ships.
# QuickJS-ng is not a Debian package: its sources come from the PyPI sdist quickjs-ng (as
# js-sandbox.md found), downloaded once into QJS_CACHE (default ~/.cache/brigade-qjs).
# usage: Benchmarks/qjs-harness/run.sh [CONTEXTS] [ROUNDS] [IDLE_US] [LIMIT 0|1]
# PRELUDE=bare or bare-host runs ../jsc-harness/bare-prelude.js as there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=0.17.0.2
cache="${QJS_CACHE:-$HOME/.cache/brigade-qjs}/$version"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
source "$here/../jsc-harness/prelude.sh"
if [ ! -f "$cache/quickjs.o" ]; then
  mkdir -p "$cache"
  python3 -m pip download "quickjs-ng==$version" --no-deps --no-binary :all: -d "$cache" >&2
  tar -xzf "$cache/quickjs_ng-$version.tar.gz" -C "$cache"
  for f in quickjs libregexp libunicode dtoa; do
    cc -O2 -D_GNU_SOURCE -I"$cache/quickjs_ng-$version/upstream-quickjs" -c "$cache/quickjs_ng-$version/upstream-quickjs/$f.c" -o "$cache/$f.o"
  done
fi
cc -O2 -D_GNU_SOURCE -I"$cache/quickjs_ng-$version/upstream-quickjs" -o "$work/qreplay" "$here/qreplay.c" \
  "$cache/quickjs.o" "$cache/libregexp.o" "$cache/libunicode.o" "$cache/dtoa.o" -lm -lpthread
"$work/qreplay" "${1:-200}" "${2:-5}" "$prelude" "${3:-0}" "${4:-1}"
