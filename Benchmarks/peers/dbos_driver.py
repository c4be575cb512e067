"""DBOS Transact (a library, like Brigade embedded): the process that starts the workflows runs
them, so it is the engine process. Async workflows and steps, started with
start_workflow_async (no queue); the system database is SQLite or PostgreSQL.

    python dbos_driver.py w1|w2|w3 --ctx ctx.json
"""

import argparse
import asyncio
import json
import os
import sqlite3

import measure

parser = argparse.ArgumentParser()
parser.add_argument("workload", choices=["w1", "w2", "w3"])
parser.add_argument("--ctx", required=True)
args = parser.parse_args()
with open(args.ctx) as f:
    ctx = json.load(f)
params = ctx["params"][args.workload]

from dbos import DBOS  # noqa: E402

if ctx["variant"] == "dbos-pg":
    database_url = ctx["postgres"]["url"]
else:
    database_url = "sqlite:///" + os.path.join(ctx["data_dir"], "dbos.sqlite")
DBOS(config={"name": "brigade-peers", "system_database_url": database_url, "log_level": "WARNING"})


@DBOS.step()
async def no_op(i):
    return {"i": i}


@DBOS.workflow()
async def steps(k):
    for i in range(k):
        await no_op(i)
    return k


@DBOS.workflow()
async def park(seconds):
    await DBOS.sleep_async(seconds)
    return seconds


def engine_pids():
    pids = [os.getpid()]
    if ctx["variant"] == "dbos-pg":
        pids += measure.with_children(ctx["postgres"]["pids"])
    return pids


def parked_count():
    """Sleeps durably recorded: DBOS writes an operation output named DBOS.sleep for each."""
    if ctx["variant"] == "dbos-pg":
        import psycopg

        with psycopg.connect(ctx["postgres"]["url"].replace("postgresql+psycopg", "postgresql")) as conn:
            return conn.execute("select count(*) from dbos.operation_outputs where function_name = 'DBOS.sleep'").fetchone()[0]
    with sqlite3.connect(os.path.join(ctx["data_dir"], "dbos.sqlite")) as conn:
        return conn.execute("select count(*) from operation_outputs where function_name = 'DBOS.sleep'").fetchone()[0]


async def start_all(n, concurrency, start):
    """Starts n workflows with at most `concurrency` starts in flight; returns their handles."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i):
        async with gate:
            return await start(i)

    return await asyncio.gather(*(one(i) for i in range(n)))


async def main():
    DBOS.launch()
    setup = {"dbos": f"library in the driver process, system database {ctx['variant'][5:]}, async workflows and steps"}
    if args.workload == "w1":
        n, k, c = params["n"], params["k"], params["client_concurrency"]
        cpu, started = measure.cpu_seconds(engine_pids()), measure.now()
        handles = await start_all(n, c, lambda i: DBOS.start_workflow_async(steps, k))
        start_phase = measure.now() - started
        results = await asyncio.gather(*(h.get_result() for h in handles), return_exceptions=True)
        wall = measure.now() - started
        used = measure.cpu_seconds(engine_pids()) - cpu
        failed = sum(1 for r in results if r != k)
        metrics = measure.w1_metrics(n, k, wall, start_phase, failed, used)
    elif args.workload == "w2":
        n, k = params["n"], params["k"]
        for _ in range(params.get("warmup", 3)):
            await (await DBOS.start_workflow_async(steps, k)).get_result()
        samples = []
        cpu = measure.cpu_seconds(engine_pids())
        for _ in range(n):
            started = measure.now()
            await (await DBOS.start_workflow_async(steps, k)).get_result()
            samples.append((measure.now() - started) * 1000)
        used = measure.cpu_seconds(engine_pids()) - cpu
        metrics = measure.w2_metrics(samples, k, used)
    else:
        n, c, seconds = params["n"], params["client_concurrency"], params["sleep_s"]
        cpu, started = measure.cpu_seconds(engine_pids()), measure.now()
        await start_all(n, c, lambda i: DBOS.start_workflow_async(park, seconds))
        create = measure.now() - started
        parked = parked_count()
        while parked < n:
            if measure.now() - started > params.get("park_timeout_s", 1200):
                raise SystemExit(f"only {parked} of {n} parked")
            await asyncio.sleep(0.05)
            parked = parked_count()
        parked_s = measure.now() - started
        used = measure.cpu_seconds(engine_pids()) - cpu
        await asyncio.sleep(1)
        metrics = measure.w3_metrics(n, create, parked_s, parked, engine_pids(), used, "operation_outputs rows named DBOS.sleep")
    measure.append_result(ctx, args.workload, params, metrics, setup)
    os._exit(0)  # the parked workflows' coroutines would hold the loop open


asyncio.run(main())
