"""What every driver measures the same way: the clock, percentiles, the engine processes' CPU and
memory, and the result line. Drivers import it; the orchestrator uses the machine probes."""

import json
import math
import os
import statistics
import time

TICKS = os.sysconf("SC_CLK_TCK")


def now():
    """Monotonic seconds."""
    return time.monotonic()


def nearest_rank(samples, percent):
    """The ceil(p/100 * n)-th smallest sample."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def with_children(pids):
    """The processes and all their descendants (a PostgreSQL server's backends)."""
    import psutil

    found = set()
    for pid in pids:
        try:
            process = psutil.Process(pid)
            found.add(pid)
            found.update(child.pid for child in process.children(recursive=True))
        except psutil.NoSuchProcess:
            pass
    return sorted(found)


def cpu_seconds(pids):
    """User + system CPU of the processes, their reaped children included."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / TICKS


def memory_mib(pids):
    """(RSS, PSS) in MiB summed over the processes."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return round(rss / 1024, 1), round(pss / 1024, 1)


def fsync_probe(directory, count=200):
    """200 × (write 4 KiB, fsync) in `directory`: the disk's commit cost right now."""
    path = os.path.join(directory, ".fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    samples = []
    try:
        for _ in range(count):
            os.write(fd, b"\0" * 4096)
            start = time.perf_counter()
            os.fsync(fd)
            samples.append((time.perf_counter() - start) * 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    return {"n": count, "p50_ms": round(nearest_rank(samples, 50), 3), "p99_ms": round(nearest_rank(samples, 99), 3),
            "mean_ms": round(statistics.fmean(samples), 3)}


def cpu_loop_ms():
    """Best of three 2·10⁶-iteration Python loops: how fast the CPU is right now."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        x = 0
        for i in range(2_000_000):
            x += i
        best = min(best, (time.perf_counter() - start) * 1000)
    return round(best, 1)


def proc_stat():
    with open("/proc/stat") as f:
        return [int(x) for x in f.readline().split()[1:]]


def cpu_shares(before, after):
    """Machine-wide CPU shares between two /proc/stat readings, in percent."""
    delta = [b - a for a, b in zip(before, after)]
    total = sum(delta) or 1
    user, nice, system, idle, iowait = delta[0], delta[1], delta[2], delta[3], delta[4]
    steal = delta[7] if len(delta) > 7 else 0
    return {"user_pct": round(100 * (user + nice) / total, 1), "system_pct": round(100 * system / total, 1),
            "idle_pct": round(100 * idle / total, 1), "iowait_pct": round(100 * iowait / total, 1),
            "steal_pct": round(100 * steal / total, 1)}


def w1_metrics(n, k, wall, start_phase, failed, cpu_used):
    return {"workflows": n, "steps_per_workflow": k, "wall_s": round(wall, 3), "start_phase_s": round(start_phase, 3),
            "workflows_per_s": round(n / wall, 1), "steps_per_s": round(n * k / wall, 1), "failed": failed,
            "engine_cpu_s": round(cpu_used, 3), "engine_cpu_ms_per_step": round(cpu_used * 1000 / (n * k), 4)}


def w2_metrics(samples, k, cpu_used):
    n = len(samples)
    p50, p99 = nearest_rank(samples, 50), nearest_rank(samples, 99)
    return {"n": n, "p50_ms": round(p50, 3), "p99_ms": round(p99, 3), "mean_ms": round(sum(samples) / n, 3),
            "min_ms": round(min(samples), 3), "max_ms": round(max(samples), 3), "steps_per_workflow": k,
            "per_step_p50_ms": round(p50 / k, 3), "per_step_p99_ms": round(p99 / k, 3), "engine_cpu_s": round(cpu_used, 3),
            "engine_cpu_ms_per_step": round(cpu_used * 1000 / (n * k), 4), "samples_ms": [round(s, 3) for s in samples]}


def w3_metrics(n, create, parked_s, parked, pids, cpu_used, detection):
    rss, pss = memory_mib(pids)
    return {"workflows": n, "create_s": round(create, 3), "creations_per_s": round(n / create, 1),
            "parked_s": round(parked_s, 3), "parked_per_s": round(n / parked_s, 1), "parked_verified": parked,
            "rss_mib": rss, "pss_mib": pss, "engine_processes": len(pids), "engine_cpu_s": round(cpu_used, 3),
            "parked_detection": detection}


def append_result(ctx, workload, params, metrics, setup):
    line = {"run_id": ctx["run_id"], "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "engine": ctx["engine"],
            "variant": ctx["variant"], "workload": workload, "params": params, "metrics": metrics,
            "conditions": ctx.get("conditions", {}), "versions": ctx.get("versions", {}), "setup": setup}
    with open(ctx["results_file"], "a") as f:
        f.write(json.dumps(line) + "\n")
    print(f"{ctx['variant']} {workload}: {json.dumps(metrics)[:300]}", flush=True)
