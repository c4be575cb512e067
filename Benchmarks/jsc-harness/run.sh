#!/usr/bin/env bash
# Builds and runs replay.c against Debian's JavaScriptCore with the prelude Brigade ships.
# usage: Benchmarks/jsc-harness/run.sh [CONTEXTS] [TIME_LIMIT 0|1] [ROUNDS] [THRASH_LINES] [IDLE_US] [STEPS]
# THRASH_LINES: random cache lines touched before each entry (see replay.c); 0 by default.
# IDLE_US: microseconds slept before each entry (see replay.c); 0 by default.
# STEPS: journaled steps the waiter replays; 10 by default.
# Set HARNESS_CPU to run it pinned to that CPU (taskset); PRELUDE=bare to run bare-prelude.js
# (no host call per step, nothing parsed) instead of the prelude Brigade ships, PRELUDE=bare-host
# to run it with a host call and a promise per step (HOST_CALLS); SPIN=1 to spin
# through IDLE_US instead of sleeping (the vCPU stays busy).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
source "$here/prelude.sh"
cc -O2 -I"$here/../../Sources/CJavaScriptCore" -o "$work/replay" "$here/replay.c" $(pkg-config --cflags --libs javascriptcoregtk-4.1)
pin=()
if [ -n "${HARNESS_CPU:-}" ]; then pin=(taskset -c "$HARNESS_CPU"); fi
"${pin[@]}" "$work/replay" "${1:-200}" "${2:-1}" "${3:-5}" "$prelude" "${4:-0}" "${5:-0}" "${6:-10}"
