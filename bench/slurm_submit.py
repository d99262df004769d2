"""Benchmark: 1,000 jobs through nacc's engine into a real Slurm (scripts/slurm-lab.sh).

Starts a lab of --nodes fake nodes x --gpus GPUs (and as many CPUs) on ports from
--port, builds nacc's engine (the ``fifo`` policy) on one pool whose backend is that
lab's slurmrestd, submits --jobs one-GPU jobs (``sleep 3600``) and runs one engine tick,
which launches them all. It prints:

- submit -> Slurm job id latency: each ``POST /job/submit`` (p50/p99), and from the tick's
  start to each job's Slurm id (the last job waits for every submit before it);
- with every job running in Slurm: REST calls per engine cycle (target: 1 per backend
  per cycle, ``GET /jobs``) and the cycle time (p50/p99 over --cycles ticks);
- the cancel of them all (one ``DELETE`` each).

Then it stops the lab. Needs root and the Slurm packages (``scripts/slurm-lab.sh install``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nacc.adapters.dispatch.slurm import SlurmDispatcher, parse_url
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.pools import Pool
from nacc.engine.engine import Engine
from nacc.ports import Payload
from nacc.scheduling.policies.registry import builtin_policies

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "slurm-lab.sh"


class FlatRates:
    """Every job runs at the reference speed and costs one credit per GPU-hour."""

    def rate(self, spec: JobSpec, accel_type: str) -> float | None:
        return 1.0

    def credit_rate(self, spec: JobSpec, accel_type: str) -> float | None:
        return 1.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def lab(action: str, folder: Path, env: dict[str, str]) -> None:
    done = subprocess.run(["bash", str(SCRIPT), action, str(folder)], env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    if done.returncode:
        raise SystemExit(f"slurm-lab {action} failed: {done.stderr}")


def running_in_slurm(env: dict[str, str], tag: str) -> int:
    out = subprocess.run(["squeue", "-h", "-t", "R", "-o", "%k"], env=env, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    return sum(1 for line in out.split() if line.startswith(f"nacc:{tag}:"))


def timed(calls: list[float], fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kw)
        finally:
            calls.append(time.perf_counter())
            calls.append(time.perf_counter() - t0)

    return wrapper


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--nodes", type=int, default=8)
    ap.add_argument("--gpus", type=int, default=128, help="GPUs (and CPUs) per node")
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--port", type=int, default=32817)
    args = ap.parse_args()
    if args.jobs > args.nodes * args.gpus:
        raise SystemExit(f"--jobs {args.jobs} > {args.nodes} nodes x {args.gpus} GPUs")
    folder = Path(tempfile.mkdtemp(prefix="nacc-bench-slurm-"))
    folder.chmod(0o755)
    env = {**os.environ, "SLURM_LAB_PORT": str(args.port), "SLURM_LAB_NODES": str(args.nodes),
           "SLURM_LAB_GPUS": str(args.gpus), "SLURM_LAB_CPUS": str(args.gpus),
           "SLURM_CONF": str(folder / "etc" / "slurm.conf")}  # fmt: skip
    lab("install", folder, env)
    t0 = time.perf_counter()
    lab("up", folder, env)
    print(f"lab up in {time.perf_counter() - t0:.1f} s: {args.nodes} nodes x {args.gpus} GPUs")
    os.environ["SLURM_CONF"] = env["SLURM_CONF"]
    try:
        run(args, folder, env)
    finally:
        lab("down", folder, env)
        shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, folder: Path, env: dict[str, str]) -> None:
    tag = "bench"
    url = f"slurm://127.0.0.1:{args.port + 3}?tag={tag}&workdir={folder / 'jobs'}"
    d = SlurmDispatcher(parse_url(urlsplit(url)))
    d.client.ok("GET", "ping")  # the JWT fetched, the connection open
    submits: list[float] = []  # (end time, duration) pairs, flattened
    d.client.submit = timed(submits, d.client.submit)  # type: ignore[method-assign]
    pool = Pool(PoolId("lab"), "lab", "lab", "H100", args.nodes * args.gpus, args.gpus, "slurm")
    engine = Engine([pool], builtin_policies().create("fifo"), d, FlatRates())
    now = time.time()
    for n in range(args.jobs):
        spec = JobSpec(JobId(f"b{n:05d}"), now, 1, JobClass.VISION, 3600.0, "bench")
        engine.submit(spec, now, Payload("sleep 3600"))
    start = time.perf_counter()
    engine.tick(time.time())
    tick_s = time.perf_counter() - start
    ends, lat = submits[0::2], submits[1::2]
    since = [e - start for e in ends]
    print(f"{len(lat)} submits in one tick of {tick_s:.1f} s "
          f"({len(lat) / tick_s:.0f} jobs/s)")  # fmt: skip
    print(f"submit -> Slurm job id, per POST /job/submit: p50 {pct(lat, 0.5) * 1e3:.1f} ms, "
          f"p99 {pct(lat, 0.99) * 1e3:.1f} ms")  # fmt: skip
    print(f"submit -> Slurm job id, from the tick's start: p50 {pct(since, 0.5):.2f} s, "
          f"p99 {pct(since, 0.99):.2f} s")  # fmt: skip
    deadline = time.monotonic() + 600
    while (up := running_in_slurm(env, tag)) < args.jobs:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {up} of {args.jobs} jobs running in Slurm after 600 s")
        time.sleep(1.0)
    print(f"all {args.jobs} running in Slurm {time.perf_counter() - start:.1f} s after the tick")
    engine.tick(time.time())  # the STARTED observations
    d.client.calls.clear()
    cycles: list[float] = []
    for _ in range(args.cycles):
        t = time.perf_counter()
        engine.tick(time.time())
        cycles.append(time.perf_counter() - t)
    calls = dict(d.client.calls)
    print(f"{len(engine.running)} running; REST calls in {args.cycles} cycles: {calls} "
          f"({sum(calls.values()) / args.cycles:.1f} per cycle)")  # fmt: skip
    p50, p99, mean = pct(cycles, 0.5), pct(cycles, 0.99), statistics.mean(cycles)
    print(f"cycle time with {len(engine.running)} running: p50 {p50 * 1e3:.0f} ms, "
          f"p99 {p99 * 1e3:.0f} ms, mean {mean * 1e3:.0f} ms")  # fmt: skip
    t = time.perf_counter()
    for job_id in list(engine.running):
        engine.cancel(job_id, time.time())
    print(f"cancelled {args.jobs} in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
