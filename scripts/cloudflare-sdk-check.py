"""Drives a running `brigade serve` with Cloudflare's official Python SDK (`pip install cloudflare`),
changing only the base URL and the token, and checks what comes back.

    BRIGADE_URL=http://127.0.0.1:8787 BRIGADE_ACCOUNT=default BRIGADE_TOKEN=brg_... \
        python3 scripts/cloudflare-sdk-check.py

Exits non-zero with the failing check. Used by `SDKCompatibilityTests` when
BRIGADE_CF_PYTHON names a Python that has the package (`.ci/run` sets one up).
"""

import os
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import cloudflare
from cloudflare import Cloudflare

url = os.environ.get("BRIGADE_URL", "http://127.0.0.1:8787")
account = os.environ.get("BRIGADE_ACCOUNT", "default")
client = Cloudflare(api_token=os.environ["BRIGADE_TOKEN"], base_url=f"{url}/client/v4", max_retries=0)
run = uuid.uuid4().hex[:8]


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


def wait_for(workflow, instance_id, statuses, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = client.workflows.instances.get(instance_id, account_id=account, workflow_name=workflow)
        if got.status in statuses:
            return got
        time.sleep(0.1)
    check(False, f"{workflow}/{instance_id} reached {statuses} (last: {got.status})")


names = [w.name for w in client.workflows.list(account_id=account)]
check("greeting" in names and "demo-order" in names, f"workflows.list shows the examples: {names}")
greeting = client.workflows.get("greeting", account_id=account)
check(greeting.name == "greeting" and greeting.instances is not None, "workflows.get has per-status counts")

created = client.workflows.instances.create(
    "greeting", account_id=account, instance_id=f"sdk-{run}", params={"name": "SDK"})
check(created.id == f"sdk-{run}" and created.status == "queued", f"instances.create: {created.id} {created.status}")

bulk = client.workflows.instances.bulk(
    "greeting", account_id=account, body=[{"instance_id": f"sdk-{run}-{n}", "params": {"name": str(n)}} for n in range(3)])
check(len(list(bulk)) == 3, "instances.bulk created 3")

done = wait_for("greeting", f"sdk-{run}", {"complete", "errored"})
check(done.status == "complete" and done.success is True, f"instances.get: {done.status}")
check(len(done.steps) >= 1 and done.steps[0].type == "step", "describe has the step timeline")
step_name = done.steps[0].name
check(len(done.steps[0].attempts) >= 1, "a step has its attempts")

step = client.workflows.instances.step(f"sdk-{run}", account_id=account, workflow_name="greeting", name=step_name, type="step")
check(step is not None, f"instances.step {step_name}")

listed = [i.id for i in client.workflows.instances.list("greeting", account_id=account, per_page=100)]
check(f"sdk-{run}" in listed, "instances.list shows it")
since = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
recent = [i.id for i in client.workflows.instances.list("greeting", account_id=account, date_start=since, per_page=100)]
check(f"sdk-{run}" in recent, "instances.list with date_start")
completed = list(client.workflows.instances.list("greeting", account_id=account, status="complete", per_page=100))
check(all(i.status == "complete" for i in completed), "instances.list with status")

order = f"order-{run}"
client.workflows.instances.create("demo-order", account_id=account, instance_id=order, params={"item": "sdk", "quantity": 1})
paused = client.workflows.instances.status.edit(order, account_id=account, workflow_name="demo-order", status="pause")
check(paused.status in ("paused", "waitingForPause"), f"status.edit pause answered {paused.status}")
check(wait_for("demo-order", order, {"paused"}).status == "paused", "the instance pauses")
client.workflows.instances.status.edit(order, account_id=account, workflow_name="demo-order", status="resume")
# Events sent before the wait are kept for it.
client.workflows.instances.events.create(
    "approved", account_id=account, workflow_name="demo-order", instance_id=order, body={"approver": "sdk"})
check(wait_for("demo-order", order, {"complete", "errored"}, seconds=60).status == "complete", "resumed, got its event, completed")

doomed = f"doomed-{run}"
client.workflows.instances.create("demo-order", account_id=account, instance_id=doomed, params={"item": "sdk", "quantity": 1})
client.workflows.instances.status.edit(doomed, account_id=account, workflow_name="demo-order", status="terminate")
check(wait_for("demo-order", doomed, {"terminated"}).status == "terminated", "status.edit terminate")

alias = f"sdk-greeter-{run}"
updated = client.workflows.update(alias, account_id=account, class_name="greeting", script_name="brigade")
check(updated.name == alias, f"workflows.update binds {alias} to class greeting")
client.workflows.instances.create(alias, account_id=account, instance_id="via-alias", params={"name": "alias"})
check(wait_for(alias, "via-alias", {"complete", "errored"}).status == "complete", "an instance of the new workflow completes")
deleted = client.workflows.delete(alias, account_id=account)
check(deleted.status == "ok", "workflows.delete")
try:
    client.workflows.get(alias, account_id=account)
    check(False, "a deleted workflow is gone")
except cloudflare.NotFoundError:
    check(True, "a deleted workflow answers NotFoundError")

try:
    client.workflows.instances.get("no-such-instance", account_id=account, workflow_name="greeting")
    check(False, "an unknown instance raises")
except cloudflare.NotFoundError:
    check(True, "an unknown instance raises NotFoundError")
try:
    client.workflows.instances.create("greeting", account_id=account, instance_id=f"sdk-{run}")
    check(False, "a duplicate id raises")
except cloudflare.ConflictError as error:
    check("instance.already_exists" in str(error), "a duplicate id raises ConflictError with the code")
try:
    Cloudflare(api_token="brg_wrong", base_url=f"{url}/client/v4", max_retries=0).workflows.get("greeting", account_id=account)
    check(False, "a bad token raises")
except cloudflare.AuthenticationError:
    check(True, "a bad token raises AuthenticationError")
print("all checks passed")
