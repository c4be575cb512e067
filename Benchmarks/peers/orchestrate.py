"""Runs the (workload, engine) pairs one at a time on empty stores and prints the table. Started
by run.sh, which prepares the virtualenv and brigade-bench; see run.sh for the options."""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import measure

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES = ["brigade", "dbos-sqlite", "dbos-pg", "absurd", "brigade-pg"]
NEEDS_PG = {"dbos-pg", "absurd", "brigade-pg"}


def parse():
    parser = argparse.ArgumentParser(description="Brigade beside DBOS and Absurd, same run.")
    parser.add_argument("workloads", nargs="?", default="all", help="all, or a comma-separated list of w1, w2, w3")
    parser.add_argument("--peers", default="brigade,dbos-sqlite,dbos-pg,absurd", help=f"comma-separated, of {', '.join(ENGINES)}")
    parser.add_argument("--w1-n", type=int, default=2000)
    parser.add_argument("--w2-n", type=int, default=50)
    parser.add_argument("--w3-n", type=int, default=10000)
    parser.add_argument("--pause", type=float, default=5, help="seconds of quiet before each pair")
    parser.add_argument("--results", help="JSON lines out (default: peers-<run id>.jsonl here)")
    parser.add_argument("--keep-tmp", action="store_true")
    options = parser.parse_args()
    options.workloads = ["w1", "w2", "w3"] if options.workloads == "all" else options.workloads.split(",")
    options.peers = options.peers.split(",")
    for name in options.workloads:
        if name not in ("w1", "w2", "w3"):
            parser.error(f"unknown workload {name}: the workloads are w1, w2 and w3")
    for name in options.peers:
        if name not in ENGINES:
            parser.error(f"unknown engine {name}: the engines are {', '.join(ENGINES)}")
    for flag, value in (("--w1-n", options.w1_n), ("--w2-n", options.w2_n), ("--w3-n", options.w3_n)):
        if not 1 <= value <= 10_000_000:
            parser.error(f"{flag} {value}: give a number of workflows from 1 to 10,000,000")
    if NEEDS_PG & set(options.peers) and not os.path.exists(os.path.join(os.environ.get("PG_BIN", ""), "initdb")):
        parser.error("dbos-pg, absurd and brigade-pg need PostgreSQL's server binaries: install postgresql "
                     "(apt-get install postgresql) or set PG_BIN to the directory holding initdb")
    return options


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throwaway cluster: initdb into the run's directory, loopback only, durability at the
    defaults (fsync, synchronous_commit and full_page_writes on); run as the postgres user when
    this runs as root, which PostgreSQL refuses."""

    def __init__(self, directory):
        self.bin = os.environ.get("PG_BIN", "")
        self.data = os.path.join(directory, "pg")
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        os.makedirs(self.data)
        if self.as_root:
            shutil.chown(directory, "postgres")
            shutil.chown(self.data, "postgres")
        self.run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync")
        self.run("pg_ctl", "-D", self.data, "-l", os.path.join(self.data, "log"), "-w", "-o",
                 f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c max_connections=200", "start")

    def run(self, tool, *arguments):
        command = [os.path.join(self.bin, tool), *arguments]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)

    def url(self, database):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement):
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(statement)

    def pids(self):
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            return [int(f.readline())]

    def stop(self):
        self.run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")


def versions():
    from importlib.metadata import version

    found = {"python": sys.version.split()[0]}
    for package in ("dbos", "absurd-sdk", "psycopg"):
        try:
            found[package] = version(package)
        except Exception:
            pass
    return found


def command(engine, workload, ctx_path):
    if engine.startswith("brigade"):
        extra = ["--db", "harness"] if engine == "brigade-pg" else []
        return [os.environ["BRIGADE_BENCH"], workload, "--ctx", ctx_path, *extra]
    driver = "dbos_driver.py" if engine.startswith("dbos") else "absurd_driver.py"
    return [sys.executable, os.path.join(HERE, driver), workload, "--ctx", ctx_path]


def table(lines):
    """The same-run table, in markdown."""
    by = {}
    for line in lines:
        by.setdefault(line["variant"], {})[line["workload"]] = line
    rows = ["| engine | W1 steps/s | W1 CPU ms/step | W2 p50 / p99 ms | W3 creations/s | W3 parked after s | W3 RSS (PSS) MiB, processes |",
            "|---|---|---|---|---|---|---|"]
    for variant, results in by.items():
        def cell(workload, render):
            line = results.get(workload)
            if line is None:
                return "–"
            if "error" in line:
                return "failed"
            return render(line["metrics"])

        rows.append("| " + " | ".join([
            variant,
            cell("w1", lambda m: f"{m['steps_per_s']:,.0f}"),
            cell("w1", lambda m: f"{m['engine_cpu_ms_per_step']:.3f}"),
            cell("w2", lambda m: f"{m['p50_ms']:.2f} / {m['p99_ms']:.2f}"),
            cell("w3", lambda m: f"{m['creations_per_s']:,.0f}"),
            cell("w3", lambda m: f"{m['parked_s']:.2f}"),
            cell("w3", lambda m: f"{m['rss_mib']:.0f} ({m['pss_mib']:.0f}), {m['engine_processes']}"),
        ]) + " |")
    return "\n".join(rows)


def main():
    options = parse()
    run_id = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    results = os.path.abspath(options.results or f"peers-{run_id}.jsonl")
    directory = tempfile.mkdtemp(prefix="brigade-peers-")
    postgres = None
    # A TERM still stops the cluster and removes the directory (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        if NEEDS_PG & set(options.peers):
            postgres = Postgres(directory)
        sizes = {"w1": {"n": options.w1_n, "k": 10, "client_concurrency": 64},
                 "w2": {"n": options.w2_n, "k": 10, "warmup": 3},
                 "w3": {"n": options.w3_n, "sleep_s": 3600, "client_concurrency": 64, "park_timeout_s": 1200}}
        for workload in options.workloads:
            for engine in options.peers:
                time.sleep(options.pause)
                pair = os.path.join(directory, f"{workload}-{engine}")
                os.makedirs(pair)
                if postgres and postgres.as_root:
                    shutil.chown(pair, "postgres")
                conditions = {"loadavg_before": open("/proc/loadavg").read().strip(), "fsync_4k": measure.fsync_probe(directory),
                              "cpu_loop_2e6_ms": measure.cpu_loop_ms(), "ncpu": os.cpu_count()}
                ctx = {"run_id": run_id, "engine": engine.split("-")[0], "variant": engine, "params": sizes,
                       "results_file": results, "conditions": conditions, "versions": versions(), "setup": {}, "data_dir": pair,
                       "absurd": {"workers": 4, "poll_s": 0.25}}
                database = f"pair_{workload}_{engine.replace('-', '_')}"
                if engine in NEEDS_PG:
                    postgres.sql(f"create database {database}")
                    ctx["postgres"] = {"url": postgres.url(database), "pids": postgres.pids()}
                ctx_path = os.path.join(pair, "ctx.json")
                with open(ctx_path, "w") as f:
                    json.dump(ctx, f)
                print(f"[peers] {workload} {engine}: fsync p50 {conditions['fsync_4k']['p50_ms']} ms, "
                      f"load {conditions['loadavg_before'].split()[0]}", flush=True)
                before = measure.proc_stat()
                with open(os.path.join(pair, "driver.log"), "w") as log:
                    outcome = subprocess.run(command(engine, workload, ctx_path), stdout=log, stderr=subprocess.STDOUT,
                                             timeout=3600, env=dict(os.environ, ABSURD_DATABASE_URL=ctx.get("postgres", {}).get("url", "")))
                shares = measure.cpu_shares(before, measure.proc_stat())
                lines = [json.loads(l) for l in open(results)] if os.path.exists(results) else []
                if outcome.returncode != 0:
                    tail = open(os.path.join(pair, "driver.log")).read()[-2000:]
                    print(f"[peers] {workload} {engine} failed ({outcome.returncode}):\n{tail}", flush=True)
                    with open(results, "a") as f:
                        f.write(json.dumps({"run_id": run_id, "variant": engine, "engine": ctx["engine"], "workload": workload,
                                            "error": tail[-500:], "conditions": conditions}) + "\n")
                elif lines:
                    # The CPU shares during the pair join its line.
                    lines[-1]["conditions"]["cpu_during"] = shares
                    with open(results, "w") as f:
                        f.writelines(json.dumps(l) + "\n" for l in lines)
                if engine in NEEDS_PG:
                    postgres.sql(f"drop database {database} with (force)")
        lines = [json.loads(l) for l in open(results) if json.loads(l).get("run_id") == run_id]
        print(f"\nRun {run_id} ({len(lines)} results in {results}):\n")
        print(table(lines))
    finally:
        if postgres:
            postgres.stop()
        if options.keep_tmp:
            print(f"[peers] kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
