# A heavy tenant beside a light one on one shared VM (`--js-vms 1`): 8 instances of a step that
# computes for ~330 ms, each followed by 4 greet instances of another tenant; prints the greets'
# latency (queued to end). Usage: python3 Benchmarks/isolation-demo.py PATH/TO/brigade PORT
# (it starts `brigade serve` on PORT with a database in /tmp and stops it at the end).
import json, os, subprocess, sys, time, urllib.request, statistics, re
binary, port = sys.argv[1], sys.argv[2]
db = f"/tmp/isodemo-{port}.sqlite"
for suffix in ("", "-wal", "-shm"):
    try: os.remove(db + suffix)
    except FileNotFoundError: pass
log = open(f"/tmp/isodemo-{port}.log", "w")
server = subprocess.Popen([binary, "serve", "--port", port, "--db", db, "--js-vms", "1"], stdout=log, stderr=subprocess.STDOUT)
time.sleep(2)
text = open(f"/tmp/isodemo-{port}.log").read()
token = re.search(r"BRIGADE_TOKEN=(\S+)", text).group(1)
url = f"http://127.0.0.1:{port}"
heavy_token = subprocess.run([binary, "tenants", "create", "heavy", "--db", db], capture_output=True, text=True).stdout.strip().split("\n")[-1]
def call(method, path, body=None, tok=token):
    req = urllib.request.Request(url + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
env = dict(os.environ, BRIGADE_URL=url)
def deploy(path, wf, account, tok):
    subprocess.run([binary, "deploy", path, "--workflow", wf], env=dict(env, BRIGADE_ACCOUNT=account, BRIGADE_TOKEN=tok), check=True, capture_output=True)
deploy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "greet.js"), "greet", "default", token)
open(f"/tmp/isodemo-heavy-{port}.js", "w").write("""export class TenantWorkflow {
  async run(event, step) {
    return step.do('think', async () => { let x = 0; for (let i = 0; i < 80000000; i++) x += i; return x > 0; });
  }
}""")
deploy(f"/tmp/isodemo-heavy-{port}.js", "think", "heavy", heavy_token)
# warm the greet runner
call("POST", "/client/v4/accounts/default/workflows/greet/instances", {"id": "warm", "params": {"name": "W"}}); time.sleep(0.5)
for i in range(8):
    call("POST", "/client/v4/accounts/heavy/workflows/think/instances", {"id": f"h{i}", "params": {}}, tok=heavy_token)
    time.sleep(0.03)
    for j in range(4):
        call("POST", "/client/v4/accounts/default/workflows/greet/instances", {"id": f"g{i}-{j}", "params": {"name": "G"}})
        time.sleep(0.06)
    time.sleep(0.3)
time.sleep(3)
from datetime import datetime
def ms(s): return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1000
lat = []
for i in range(8):
    for j in range(4):
        r = call("GET", f"/client/v4/accounts/default/workflows/greet/instances/g{i}-{j}")["result"]
        lat.append(ms(r["end"]) - ms(r["queued"]) if r["end"] else float("nan"))
heavy = [call("GET", f"/client/v4/accounts/heavy/workflows/think/instances/h{i}", tok=heavy_token)["result"] for i in range(8)]
hl = [ms(r["end"]) - ms(r["start"]) for r in heavy if r["end"]]
lat.sort()
print(f"{binary}: greet latency ms p50 {statistics.median(lat):.1f} p90 {lat[int(len(lat)*0.9)]:.1f} max {lat[-1]:.1f} (n={len(lat)}); heavy statuses {set(r['status'] for r in heavy)}, heavy run ms median {statistics.median(hl):.0f}")
server.terminate(); server.wait()
