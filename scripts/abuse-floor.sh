#!/usr/bin/env bash
# The floor under `brigade-bench js-abuse`: the neighbour's latency (its "alone" phase) beside
# hogs with nothing of Brigade in them, in another process, at the isolation VM's nice value.
# Shows what two busy threads (one spinning, one touching 64 MiB over and over) cost the
# neighbour's p99 on this machine, whatever the engine does.
#
#   bash scripts/abuse-floor.sh [BRIGADE_BENCH] [N] [ROUNDS]   (build it: swift build -c release --package-path Benchmarks)
set -euo pipefail
brigade=${1:-Benchmarks/.build/release/brigade-bench}
n=${2:-400}
rounds=${3:-3}
brigade=$(realpath "$brigade")
work=$(mktemp -d)
hogs=()
stop_hogs() {
    for pid in "${hogs[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
    hogs=()
}
trap 'stop_hogs; rm -rf "$work"' EXIT
start_hogs() {
    case $1 in
    none) ;;
    spin) nice -n 10 sh -c 'while :; do :; done' & hogs+=($!) ;;
    spin+mem)
        nice -n 10 sh -c 'while :; do :; done' & hogs+=($!)
        nice -n 10 python3 -c 'while True: b = bytearray(64 << 20); b = None' & hogs+=($!)
        ;;
    esac
}
for round in $(seq 1 "$rounds"); do
    for mode in none spin spin+mem; do
        start_hogs "$mode"
        sleep 0.5
        rm -rf "$work/d" && mkdir "$work/d"
        line=$(cd "$work/d" && "$brigade" js-abuse --n "$n" --abuse tojson-loop 2>&1 | tail -1)
        stop_hogs
        echo "round $round, hogs: $mode: $(echo "$line" | sed 's/.*alone/alone/; s/; while.*//')"
        sleep 1
    done
done
