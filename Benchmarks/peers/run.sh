#!/usr/bin/env bash
# Brigade beside DBOS and Absurd on the same three workloads, in one run, from a clean clone:
#
#   bash Benchmarks/peers/run.sh [all|w1|w2|w3|w1,w3] [--peers brigade,dbos-sqlite,dbos-pg,absurd,brigade-pg]
#                                [--w1-n N] [--w2-n N] [--w3-n N] [--results FILE] [--pause S]
#
# It builds brigade-bench (release), installs the peers from PyPI into a throwaway virtualenv
# ($BRIGADE_PEERS_VENV, default $TMPDIR/brigade-peers-venv; pinned versions below), starts a
# throwaway PostgreSQL cluster for the peers that need one (initdb in a temporary directory, run
# as the postgres user when this runs as root), runs every (workload, engine) pair on an empty
# store, one at a time, stops what it started and prints the table. BENCHMARKS.md says what each
# workload and figure is.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
venv="${BRIGADE_PEERS_VENV:-${TMPDIR:-/tmp}/brigade-peers-venv}"

# The versions these drivers were written and measured against.
pinned=("dbos==3.4.0" "absurd-sdk==0.5.1" "absurdctl==0.5.1" "psycopg[binary]==3.3.9" "psutil==7.2.2")
stamp="$venv/.brigade-peers"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "${pinned[*]}" ]]; then
    echo "[peers] installing ${pinned[*]} into $venv" >&2
    [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q "${pinned[@]}"
    echo "${pinned[*]}" > "$stamp"
fi

if [[ -z "${BRIGADE_BENCH:-}" ]]; then
    echo "[peers] building brigade-bench (release)" >&2
    swift build -c release --package-path "$root/Benchmarks" >&2
    BRIGADE_BENCH="$root/Benchmarks/.build/release/brigade-bench"
fi
export BRIGADE_BENCH
if [[ -z "${PG_BIN:-}" ]]; then
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
fi
export PG_BIN
export PATH="$PG_BIN:$venv/bin:$PATH"   # absurdctl shells out to psql
export PYTHONDONTWRITEBYTECODE=1
exec "$venv/bin/python" "$here/orchestrate.py" "$@"
