"""Absurd (PostgreSQL and its SDK's workers): the driver installs the schema and a queue, starts
the worker processes (sync SDK, concurrency 1 each, the SDK's idle poll), spawns the workflows
as a client and watches the queue's task table. The engine processes are the workers and the
PostgreSQL server.

    python absurd_driver.py w1|w2|w3 --ctx ctx.json
    python absurd_driver.py worker --ctx ctx.json      (started by the driver)
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time

import measure

QUEUE = "bench"

parser = argparse.ArgumentParser()
parser.add_argument("workload", choices=["w1", "w2", "w3", "worker"])
parser.add_argument("--ctx", required=True)
args = parser.parse_args()
with open(args.ctx) as f:
    ctx = json.load(f)
url = ctx["postgres"]["url"]
settings = ctx.get("absurd", {})

from absurd_sdk import Absurd, AsyncAbsurd  # noqa: E402


def worker():
    app = Absurd(url, queue_name=QUEUE)

    @app.register_task(name="steps")
    def steps(params, task):
        for i in range(params["k"]):
            task.step(f"step-{i}", lambda i=i: {"i": i})
        return params["k"]

    @app.register_task(name="park")
    def park(params, task):
        task.sleep_for("park", params["seconds"])
        return params["seconds"]

    app.start_worker(concurrency=1, poll_interval=settings.get("poll_s", 0.25))


if args.workload == "worker":
    worker()
    sys.exit(0)

params = ctx["params"][args.workload]


def count(state):
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(f"select count(*) from absurd.t_{QUEUE} where state = %s", (state,)).fetchone()[0]


async def spawn_all(n, concurrency, task, task_params):
    """Spawns n tasks with at most `concurrency` in flight, over eight client connections (one
    connection runs one statement at a time)."""
    clients = [AsyncAbsurd(url, queue_name=QUEUE) for _ in range(8)]
    gate = asyncio.Semaphore(concurrency)
    locks = [asyncio.Lock() for _ in clients]

    async def one(i):
        async with gate:
            async with locks[i % len(clients)]:
                return await clients[i % len(clients)].spawn(task, task_params, queue=QUEUE)

    try:
        return await asyncio.gather(*(one(i) for i in range(n)))
    finally:
        for client in clients:
            await client.close()


def main():
    subprocess.run(["absurdctl", "init", "-d", url], check=True, stdout=subprocess.DEVNULL)
    setup_client = Absurd(url, queue_name=QUEUE)
    setup_client.create_queue(QUEUE)
    workers = [subprocess.Popen([sys.executable, __file__, "worker", "--ctx", args.ctx]) for _ in range(settings.get("workers", 4))]
    time.sleep(2)  # the workers connect and start polling

    def engine_pids():
        return [w.pid for w in workers] + measure.with_children(ctx["postgres"]["pids"])

    setup = {"absurd": f"{len(workers)} worker processes (sync SDK, concurrency 1, idle poll {settings.get('poll_s', 0.25)} s), PostgreSQL"}
    try:
        if args.workload == "w1":
            n, k, c = params["n"], params["k"], params["client_concurrency"]
            cpu, started = measure.cpu_seconds(engine_pids()), measure.now()
            asyncio.run(spawn_all(n, c, "steps", {"k": k}))
            start_phase = measure.now() - started
            while count("completed") + count("failed") < n:
                time.sleep(0.02)
            wall = measure.now() - started
            used = measure.cpu_seconds(engine_pids()) - cpu
            metrics = measure.w1_metrics(n, k, wall, start_phase, count("failed"), used)
        elif args.workload == "w2":
            n, k = params["n"], params["k"]
            samples = []
            cpu = None
            for index in range(params.get("warmup", 3) + n):
                if index == params.get("warmup", 3):
                    cpu = measure.cpu_seconds(engine_pids())
                started = measure.now()
                task_id = setup_client.spawn("steps", {"k": k}, queue=QUEUE)["task_id"]
                # Polled every 2 ms: the SDK's own wait backs off to hundreds of milliseconds.
                while True:
                    snapshot = setup_client.fetch_task_result(task_id)
                    if snapshot is not None and snapshot.state in ("completed", "failed", "cancelled"):
                        break
                    time.sleep(0.002)
                if index >= params.get("warmup", 3):
                    samples.append((measure.now() - started) * 1000)
            used = measure.cpu_seconds(engine_pids()) - cpu
            metrics = measure.w2_metrics(samples, k, used)
        else:
            n, c, seconds = params["n"], params["client_concurrency"], params["sleep_s"]
            cpu, started = measure.cpu_seconds(engine_pids()), measure.now()
            asyncio.run(spawn_all(n, c, "park", {"seconds": seconds}))
            create = measure.now() - started
            parked = count("sleeping")
            while parked < n:
                if measure.now() - started > params.get("park_timeout_s", 1200):
                    raise SystemExit(f"only {parked} of {n} parked")
                time.sleep(0.05)
                parked = count("sleeping")
            parked_s = measure.now() - started
            used = measure.cpu_seconds(engine_pids()) - cpu
            time.sleep(1)
            metrics = measure.w3_metrics(n, create, parked_s, parked, engine_pids(), used, "tasks in state sleeping")
        measure.append_result(ctx, args.workload, params, metrics, setup)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            try:
                w.wait(timeout=15)
            except subprocess.TimeoutExpired:
                w.kill()
        setup_client.close()


main()
