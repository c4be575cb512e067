#!/usr/bin/env bash
# One node against two on one PostgreSQL: the same durable-step workload through `brigade serve`.
#
# Each round starts N nodes (1, then 2) on a fresh database, creates INSTANCES crash-probe
# instances of STEPS steps each (bodies do nothing but append to a ledger) through the batch API,
# spread over the nodes, and waits until every one is complete. It reports steps/s, the nodes'
# CPU per step (utime+stime from /proc), PostgreSQL commits per step (pg_stat_database) and WAL
# bytes per step (pg_current_wal_lsn), which is what N nodes on N machines would be bounded by.
#
# Usage: bash Benchmarks/cluster/run.sh postgres://user@host:port/postgres [INSTANCES] [STEPS]
# (the URL names a maintenance database the script may CREATE DATABASE from).
set -euo pipefail
cd "$(dirname "$0")/../.."
url="${1:?postgres://user@host:port/postgres}"
instances="${2:-400}"
steps="${3:-10}"
bin="${BRIGADE_BIN:-.build/release/brigade}"
[ -x "$bin" ] || swift build -c release --product brigade >/dev/null
python3 - "$url" "$instances" "$steps" "$bin" <<'PY'
import json, os, re, signal, subprocess, sys, time, urllib.request
url, instances, steps, binary = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
m = re.match(r"postgres://([^@:]+)(?::[^@]*)?@([^:/]+):(\d+)/(.+)", url)
user, host, port, maint = m.groups()
def psql(db, sql):
    return subprocess.run(["psql", "-h", host, "-p", port, "-U", user, "-d", db, "-Atqc", sql], check=True, capture_output=True, text=True).stdout.strip()
def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
for nodes in (1, 2):
    db = f"brigade_cluster_bench_{nodes}"
    psql(maint, f"DROP DATABASE IF EXISTS {db}")
    psql(maint, f"CREATE DATABASE {db}")
    dburl = f"postgres://{user}@{host}:{port}/{db}"
    ledger = f"/tmp/{db}.ledger"
    open(ledger, "w").close()
    procs, logs = [], []
    for n in range(nodes):
        log = open(f"/tmp/{db}-{n}.log", "w+")
        procs.append(subprocess.Popen([binary, "serve", "--db", dburl, "--node-id", f"bench-{n}", "--port", str(18700 + n), "--probe-ledger", ledger], stdout=log, stderr=subprocess.STDOUT))
        logs.append(log)
        time.sleep(1.5)
    token = None
    while token is None:
        logs[0].seek(0)
        found = re.search(r"BRIGADE_TOKEN=(\S+)", logs[0].read())
        token = found and found.group(1)
        time.sleep(0.2)
    # Wait until the slots are spread (every node holds some).
    while True:
        held = psql(dburl, "SELECT count(DISTINCT owner) FROM shard_leases WHERE owner <> '' AND expires_at > clock_timestamp()")
        if int(held or 0) >= nodes: break
        time.sleep(0.2)
    cpu0 = sum(cpu(p.pid) for p in procs)
    commits0 = int(psql(dburl, f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{db}'"))
    wal0 = psql(dburl, "SELECT pg_current_wal_lsn()")
    start = time.time()
    params = {"steps": steps, "stepMillis": 0, "sleepMillis": 0}
    for batch in range(0, instances, 100):
        node = (batch // 100) % nodes
        body = json.dumps([{"id": f"b-{i}", "params": params} for i in range(batch, min(instances, batch + 100))]).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{18700 + node}/client/v4/accounts/default/workflows/crash-probe/instances/batch", data=body, method="POST", headers={"Authorization": "Bearer " + token, "content-type": "application/json"})
        urllib.request.urlopen(req).read()
    while int(psql(dburl, "SELECT count(*) FROM instances WHERE status = 'complete'")) < instances:
        time.sleep(0.05)
    wall = time.time() - start
    total = instances * steps
    cpu1 = sum(cpu(p.pid) for p in procs)
    commits = int(psql(dburl, f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{db}'")) - commits0
    wal = int(psql(dburl, f"SELECT pg_current_wal_lsn() - '{wal0}'::pg_lsn"))
    owners = psql(dburl, "SELECT count(DISTINCT owner) FROM shard_leases WHERE owner <> ''")
    print(json.dumps({"nodes": nodes, "instances": instances, "steps": total, "wall_s": round(wall, 2), "steps_per_s": round(total / wall, 1),
                      "node_cpu_ms_per_step": round((cpu1 - cpu0) * 1000 / total, 3), "pg_commits_per_step": round(commits / total, 3),
                      "wal_bytes_per_step": round(wal / total), "slot_owners": int(owners)}), flush=True)
    for p in procs: p.send_signal(signal.SIGTERM)
    for p in procs: p.wait(timeout=30)
PY
