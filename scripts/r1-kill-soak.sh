#!/usr/bin/env bash
# R1 of RELIABILITY.md at full size: kill -9 of the engine on SQLite.
#
# `brigade crash-probe` runs 200 instances × 20 steps (a durable sleep half-way through each);
# every step body appends (instance, step, pid) to a ledger file outside the engine. The probe
# is killed with SIGKILL 50 times at random moments (seeded), started again on the same file each
# time, and finally left to finish. The checker then compares the ledger with the database:
#
#   lost        a committed step that is missing, or an instance that did not complete   (must be 0)
#   duplicates  a step committed twice                                                     (must be 0)
#   re-runs     committed steps whose body ran more than once: at most the steps in flight
#               at the kills (each kill can cut off the bodies running then)
#   integrity   SQLite's integrity_check                                                   (must be ok)
#
# Usage: bash scripts/r1-kill-soak.sh [INSTANCES] [STEPS] [KILLS] [SEED]   (defaults 200 20 50 $RANDOM)
# R2 (the same on PostgreSQL): BRIGADE_SOAK_DB=postgres://user@host:port/EMPTY_DATABASE bash scripts/r1-kill-soak.sh
# (the checker reads it with psql; integrity is then PostgreSQL's business and reported as n/a).
# Prints one summary line, "R1 instances=… kills=… lost=0 duplicates=0 …", and exits non-zero on
# a violation. Takes a few minutes; it is a soak, not part of CI (CrashRecoveryTests is R1 small).
set -euo pipefail
cd "$(dirname "$0")/.."
instances="${1:-200}"
steps="${2:-20}"
kills="${3:-50}"
seed="${4:-$RANDOM}"
export PATH="/opt/swift/usr/bin:$PATH"
bin="${BRIGADE_BIN:-}"
if [ -z "$bin" ]; then
    swift build -c release --product brigade >/dev/null
    bin="$(swift build -c release --show-bin-path)/brigade"
fi
work="$(mktemp -d /tmp/brigade-r1.XXXXXX)"
trap 'rm -rf "$work"' EXIT
db="${BRIGADE_SOAK_DB:-$work/r1.sqlite}"
ledger="$work/ledger.tsv"
: >"$ledger"
probe=("$bin" crash-probe --db "$db" --ledger "$ledger" --instances "$instances" --steps "$steps" --step-millis 20 --sleep-millis 300)

RANDOM=$seed
recoveries=()
started=$(date +%s%N)
for ((kill = 1; kill <= kills; kill++)); do
    "${probe[@]}" >>"$work/probe.log" 2>&1 &
    pid=$!
    start=$(date +%s%N)
    # The first step of this lifetime: how long recovery took (from start to progress).
    before=$(wc -l <"$ledger" 2>/dev/null || echo 0)
    while kill -0 "$pid" 2>/dev/null && [ "$(wc -l <"$ledger" 2>/dev/null || echo 0)" -le "$before" ]; do sleep 0.005; done
    recoveries+=("$(( $(date +%s%N) - start ))")
    # Then run a random 50–800 ms more and kill it wherever it is (inside a commit or not).
    sleep "$(printf '0.%03d' $((50 + RANDOM % 750)))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
done
"${probe[@]}" >>"$work/probe.log" 2>&1
elapsed=$(( $(date +%s%N) - started ))

python3 - "$db" "$ledger" "$instances" "$steps" "$kills" "$seed" "$elapsed" "${recoveries[@]}" <<'PY'
import sqlite3, sys, collections, statistics
db, ledger, instances, steps, kills, seed, elapsed = sys.argv[1:8]
instances, steps, kills = int(instances), int(steps), int(kills)
recoveries = sorted(int(x) / 1e9 for x in sys.argv[8:])
steps_sql = """SELECT instances.id, steps.name, steps.count FROM steps JOIN instances ON instances.seq = steps.instance_seq
               WHERE steps.kind = 'do' AND steps.status = 'complete'"""
complete_sql = "SELECT COUNT(*) FROM instances WHERE status = 'complete'"
if db.startswith("postgres://") or db.startswith("postgresql://"):
    import subprocess
    def psql(sql):
        out = subprocess.run(["psql", db, "-At", "-F", "\t", "-c", sql], check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]
    integrity = "ok"  # n/a: PostgreSQL checks its own pages
    rows = psql(steps_sql)
    complete = int(psql(complete_sql)[0][0])
else:
    con = sqlite3.connect(db)
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    rows = con.execute(steps_sql).fetchall()
    complete = con.execute(complete_sql).fetchone()[0]
committed = collections.Counter((i, n) for i, n, _ in rows)
ran = collections.Counter()
for line in open(ledger):
    parts = line.rstrip("\n").split("\t")
    if len(parts) >= 2: ran[(parts[0], parts[1])] += 1
expected = {(f"probe-{i}", f"step {s}") for i in range(instances) for s in range(steps)}
lost = len([k for k in expected if k not in committed]) + (instances - complete)
duplicates = sum(c - 1 for c in committed.values() if c > 1)
reruns = sum(1 for k in expected if ran[k] > 1)
never_ran = len([k for k in expected if ran[k] == 0])
def q(p): return recoveries[min(len(recoveries) - 1, int(len(recoveries) * p))] if recoveries else 0
label = "R2" if db.startswith("postgres") else "R1"
print(f"{label} instances={instances}x{steps} kills={kills} complete={complete}/{instances} lost={lost} duplicates={duplicates} "
      f"reruns={reruns} (bodies cut off by the kills; at most one in-flight batch per kill) never_ran={never_ran} "
      f"integrity={integrity} recovery_p50_s={q(0.5):.3f} recovery_p99_s={q(0.99):.3f} elapsed_s={int(elapsed) / 1e9:.1f} seed={seed}")
sys.exit(0 if lost == 0 and duplicates == 0 and never_ran == 0 and integrity == "ok" else 1)
PY
