"""Microbenchmark: one scheduler round at national scale.

20,000 accelerators (the Korea 2026 fleet scaled to 20,000), every accelerator busy but
a few percent, 10,000 pending jobs (real Philly jobs). Times ``snapshot + policy.plan``
(the decision; nothing applied) for many rounds at advancing times; prints p50/p99 of
the wall time and of the process's CPU time (on a loaded machine the wall time counts
the waits for a core). ``--accelerators 100000 --pending 50000``: national scale.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import statistics
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from nacc.catalog.throughput import default_model
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobSpec
from nacc.engine.engine import Engine
from nacc.scenario import load_scenario, scale_counts
from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim.dispatcher import SimDispatcher
from nacc.sim.kernel import Kernel
from nacc.sim.metrics import percentile
from nacc.sim.traces import ReadOptions, read_trace

ROOT = Path(__file__).resolve().parents[1]


def _cycled(specs: Sequence[JobSpec]) -> Iterator[JobSpec]:
    """The trace's jobs, then again with fresh ids (``~1``, ``~2``, ...) for as long as
    asked: at 100,000 accelerators the fill alone takes most of the 82,247 Philly jobs."""
    yield from specs
    for k in itertools.count(1):
        yield from (dataclasses.replace(s, id=JobId(f"{s.id}~{k}")) for s in specs)


def build(policy_name: str, accelerators: int, pending: int) -> Engine:
    scenario = load_scenario(ROOT / "scenarios" / "korea-2026.yaml")
    scenario = scale_counts(scenario, accelerators / scenario.total_accelerators())
    rates = default_model()
    trace = read_trace(ROOT / "data" / "traces" / "philly.csv.gz", "philly", ReadOptions())
    engine = Engine(
        scenario.domain_pools(),
        builtin_policies().create(policy_name),
        SimDispatcher(Kernel(), rates),
        rates,
    )
    jobs = _cycled(trace.jobs)
    # fill the fleet with running jobs, then queue `pending` more
    asked = 0
    for spec in jobs:
        engine.submit(spec, 0.0)
        asked += spec.accelerators
        if asked > accelerators:
            break
    engine.tick(0.0)
    for _, spec in zip(range(pending - len(engine.pending)), jobs, strict=False):
        engine.submit(spec, 0.0)
    return engine


def measure(policy_name: str, rounds: int, accelerators: int, pending: int) -> dict[str, float]:
    engine = build(policy_name, accelerators, pending)
    free_total = sum(engine.free.values())
    times, cpu = [], []
    for k in range(rounds):
        now = 60.0 * (k + 1)
        t0, c0 = time.perf_counter(), time.process_time()
        engine.policy.plan(engine.snapshot(now))
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    first, steady = times[0], sorted(times[1:]) or [times[0]]
    steady_cpu = sorted(cpu[1:]) or [cpu[0]]
    return {
        "accelerators": float(sum(p.count for p in engine.pools.values())),
        "pending": float(len(engine.pending)),
        "running": float(len(engine.running)),
        "free": float(free_total),
        "first_ms": first * 1e3,
        "p50_ms": percentile(steady, 50) * 1e3,
        "p99_ms": percentile(steady, 99) * 1e3,
        "mean_ms": statistics.fmean(steady) * 1e3,
        "cpu_p50_ms": percentile(steady_cpu, 50) * 1e3,
        "cpu_p99_ms": percentile(steady_cpu, 99) * 1e3,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--accelerators", type=int, default=20_000)
    ap.add_argument("--pending", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--policies", default="nacc,fifo,slurm,las,gavel")
    args = ap.parse_args()
    table = Table(
        title=f"scheduler round: {args.accelerators:,} accelerators, {args.pending:,} pending jobs"
    )
    for c in [
        "policy",
        "accelerators",
        "pending",
        "running",
        "free",
        "first ms",
        "p50 ms",
        "p99 ms",
        "CPU p50 ms",
        "CPU p99 ms",
    ]:
        table.add_column(c, justify="right")
    for name in args.policies.split(","):
        rounds = args.rounds if name != "gavel" else max(5, args.rounds // 20)
        m = measure(name, rounds, args.accelerators, args.pending)
        table.add_row(
            name,
            *(f"{m[k]:,.0f}" for k in ("accelerators", "pending", "running", "free")),
            *(f"{m[k]:.1f}" for k in ("first_ms", "p50_ms", "p99_ms", "cpu_p50_ms", "cpu_p99_ms")),
        )
    Console(width=150).print(table)


if __name__ == "__main__":
    main()
