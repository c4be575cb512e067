#!/usr/bin/env bash
# Where the CPU of a Brigade workload on PostgreSQL goes: the PostgreSQL server's processes
# against Brigade's own, for one `brigade-bench` run, on a server this machine runs (its
# processes are read from /proc, so it must be local and used by nothing else meanwhile).
#
# Usage: Benchmarks/pg-floor/cpu.sh MAINTENANCE_URL WORKLOAD [N]
#   (MAINTENANCE_URL: postgres://user@host:port/postgres; a database brigade_cpu is recreated)
# Prints Brigade's and PostgreSQL's CPU per unit of work (a step for w1, a creation for w3):
# with two cores, 2 / (PostgreSQL's ms per unit) is what the server alone allows.
set -euo pipefail
cd "$(dirname "$0")/../.."
url="${1:?postgres://user@host:port/postgres}"
workload="${2:?w1 or w3}"
n="${3:-}"
bin="${BRIGADE_BENCH_BIN:-Benchmarks/.build/release/brigade-bench}"
db_url="${url%/*}/brigade_cpu"
psql "$url" -qc "DROP DATABASE IF EXISTS brigade_cpu" -c "CREATE DATABASE brigade_cpu"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || true; }
declare -A first last
for pid in $(pgrep -u postgres postgres); do first[$pid]=$(ticks "$pid"); done
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"$bin" "$workload" ${n:+--n "$n"} --db "$db_url" >"$out" 2>&1 &
bench=$!
# Backends live only as long as the run: sample each until the run ends, keep its last reading.
while kill -0 "$bench" 2>/dev/null; do
    for pid in $(pgrep -u postgres postgres); do
        value=$(ticks "$pid")
        [ -n "$value" ] && last[$pid]=$value
    done
    brigade_ticks=$(ticks "$bench")
    [ -n "$brigade_ticks" ] && brigade_last=$brigade_ticks
    sleep 0.2
done
wait "$bench"
summary=$(grep -E "^(w1|w3):" "$out")
echo "$summary"
server=0
for pid in "${!last[@]}"; do server=$((server + ${last[$pid]} - ${first[$pid]:-0})); done
python3 - "$workload" "$summary" "$server" "${brigade_last:-0}" "$(getconf CLK_TCK)" <<'PY'
import re, sys
workload, summary, server, brigade, hz = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
units = int(re.search(r"(\d+) workflows × (\d+) steps", summary).group(1)) * int(re.search(r"× (\d+) steps", summary).group(1)) if workload == "w1" else int(re.search(r"(\d+) created", summary).group(1))
unit = "step" if workload == "w1" else "creation"
pg_ms, brigade_ms = server * 1000 / hz / units, brigade * 1000 / hz / units
print(f"cpu {workload}: postgresql {pg_ms:.3f} ms/{unit}, brigade {brigade_ms:.3f} ms/{unit}; "
      f"two cores allow {2000 / pg_ms:.0f} {unit}s/s with PostgreSQL alone, {2000 / (pg_ms + brigade_ms):.0f} with both")
PY
