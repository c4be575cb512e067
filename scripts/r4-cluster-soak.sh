#!/usr/bin/env bash
# R4 of RELIABILITY.md at full size: three nodes on one PostgreSQL, nodes killed with SIGKILL.
#
# Starts three `brigade serve` nodes (lease TTL 1.5 s, heartbeat 250 ms) on a fresh database,
# creates INSTANCES crash-probe instances of STEPS steps (a durable sleep half-way) through all
# three, then KILLS times kills a random node with SIGKILL, waits until the others hold all its
# lease slots (the takeover), and starts it again. Every step body appends (instance, step, pid,
# start) to a ledger outside the engine. The checker then reads the database and the ledger:
#
#   lost        an instance not complete, or with fewer committed steps than it has   (must be 0)
#   duplicates  a step recorded twice                                                  (must be 0)
#   overlaps    a body started on one node while another node's run of the same step
#               was still within its duration and that node alive                      (must be 0)
#   takeover    p50 / max from the kill until every slot is held by the survivors
#
# Usage: bash scripts/r4-cluster-soak.sh postgres://user@host:port/postgres [INSTANCES] [STEPS] [KILLS] [SEED]
# (the URL names a maintenance database the script may CREATE DATABASE from). Not part of CI:
# ClusterTests is R4 small.
set -euo pipefail
cd "$(dirname "$0")/.."
url="${1:?postgres://user@host:port/postgres}"
instances="${2:-300}"
steps="${3:-20}"
kills="${4:-20}"
seed="${5:-$RANDOM}"
bin="${BRIGADE_BIN:-.build/release/brigade}"
[ -x "$bin" ] || swift build -c release --product brigade >/dev/null
python3 - "$url" "$instances" "$steps" "$kills" "$seed" "$bin" <<'PY'
import collections, json, random, re, signal, subprocess, sys, time, urllib.request
url, instances, steps, kills, seed, binary = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
random.seed(seed)
user, host, port, maint = re.match(r"postgres://([^@:]+)(?::[^@]*)?@([^:/]+):(\d+)/(.+)", url).groups()
def psql(db, sql):
    return subprocess.run(["psql", "-h", host, "-p", port, "-U", user, "-d", db, "-Atqc", sql], check=True, capture_output=True, text=True).stdout.strip()
db = "brigade_r4_soak"
psql(maint, f"DROP DATABASE IF EXISTS {db}")
psql(maint, f"CREATE DATABASE {db}")
dburl = f"postgres://{user}@{host}:{port}/{db}"
ledger = f"/tmp/{db}.ledger"
open(ledger, "w").close()
for n in range(3):
    open(f"/tmp/{db}-n{n}.log", "w").close()
step_millis = 20
def start(n):
    log = open(f"/tmp/{db}-n{n}.log", "a+")
    return subprocess.Popen([binary, "serve", "--db", dburl, "--node-id", f"n{n}", "--port", str(18800 + n), "--probe-ledger", ledger,
                             "--lease-ttl-ms", "1500", "--heartbeat-ms", "250", "--shards-per-workflow", "12"], stdout=log, stderr=subprocess.STDOUT)
nodes = {0: start(0)}
time.sleep(2)
for n in (1, 2):
    nodes[n] = start(n)
token = None
while token is None:
    found = re.search(r"BRIGADE_TOKEN=(\S+)", open(f"/tmp/{db}-n0.log").read())
    token = found and found.group(1)
    time.sleep(0.2)
while int(psql(dburl, "SELECT count(DISTINCT owner) FROM shard_leases WHERE owner <> '' AND expires_at > clock_timestamp()") or 0) < 3:
    time.sleep(0.2)
params = {"steps": steps, "stepMillis": step_millis, "sleepMillis": 300}
for batch in range(0, instances, 100):
    body = json.dumps([{"id": f"p-{i}", "params": params} for i in range(batch, min(instances, batch + 100))]).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{18800 + (batch // 100) % 3}/client/v4/accounts/default/workflows/crash-probe/instances/batch",
                                 data=body, method="POST", headers={"Authorization": "Bearer " + token, "content-type": "application/json"})
    urllib.request.urlopen(req).read()
started = time.time()
killed = {}  # pid -> kill time (ms)
takeovers = []
for k in range(kills):
    time.sleep(random.uniform(0.3, 1.5))
    victim = random.choice(list(nodes))
    proc = nodes[victim]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    at = time.time()
    killed[str(proc.pid)] = int(at * 1000)
    while int(psql(dburl, f"SELECT count(*) FROM shard_leases WHERE owner NOT IN ('', 'n{victim}') AND expires_at > clock_timestamp()")) < 64:
        time.sleep(0.02)
    takeovers.append(time.time() - at)
    nodes[victim] = start(victim)
deadline = time.time() + 600
while int(psql(dburl, "SELECT count(*) FROM instances WHERE status = 'complete'")) < instances and time.time() < deadline:
    time.sleep(0.2)
elapsed = time.time() - started
complete = int(psql(dburl, "SELECT count(*) FROM instances WHERE status = 'complete'"))
rows = psql(dburl, "SELECT i.id, s.name FROM steps s JOIN instances i ON i.seq = s.instance_seq WHERE s.kind = 'do' AND s.status = 'complete'")
committed = collections.Counter(tuple(r.split("|")) for r in rows.splitlines() if r)
expected = {(f"p-{i}", f"step {s}") for i in range(instances) for s in range(steps)}
lost = len([k for k in expected if k not in committed]) + (instances - complete)
duplicates = sum(c - 1 for c in committed.values() if c > 1)
runs = collections.defaultdict(list)
for line in open(ledger):
    parts = line.rstrip("\n").split("\t")
    if len(parts) == 4: runs[(parts[0], parts[1])].append((int(parts[3]), parts[2]))
overlaps = 0
for key, executions in runs.items():
    executions.sort()
    for (t1, p1), (t2, p2) in zip(executions, executions[1:]):
        if p1 != p2 and t2 < min(t1 + step_millis, killed.get(p1, 1 << 62)): overlaps += 1
reruns = sum(1 for k in expected if len(runs[k]) > 1)
takeovers.sort()
for proc in nodes.values(): proc.send_signal(signal.SIGTERM)
for proc in nodes.values(): proc.wait(timeout=30)
print(f"R4 instances={instances} steps={steps} kills={kills} seed={seed} lost={lost} duplicates={duplicates} overlaps={overlaps} "
      f"reruns={reruns} takeover_p50={takeovers[len(takeovers)//2]:.2f}s takeover_max={takeovers[-1]:.2f}s elapsed={elapsed:.1f}s")
sys.exit(1 if lost or duplicates or overlaps else 0)
PY
