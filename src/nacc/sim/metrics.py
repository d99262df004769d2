"""Metrics of a simulated run: JCT, queueing, slowdown, utilisation, fairness, credits."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from nacc.domain.jobs import JobSpec
from nacc.domain.lifecycle import JobState
from nacc.domain.pools import Pool
from nacc.scheduling.placement import JobShape, acceptable, best_rate, shape_of
from nacc.scheduling.view import RateModel
from nacc.sim.experiment import SimRun


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending sequence (q in [0, 100]): the value at rank
    ceil(q/100 * n). (``round(x + 0.5)`` is not ceil: Python rounds halves to even.)"""
    if not sorted_values:
        return 0.0
    n = len(sorted_values)
    rank = max(1, min(n, math.ceil(q * n / 100.0 - 1e-9)))
    return float(sorted_values[rank - 1])


def jain(values: Sequence[float]) -> float:
    """Jain's fairness index: (sum x)^2 / (n sum x^2); 1 is perfectly even."""
    if not values:
        return 1.0
    sq = sum(v * v for v in values)
    return (sum(values) ** 2) / (len(values) * sq) if sq > 0 else 1.0


def ideal_jct(spec: JobSpec, pools: Sequence[Pool], rates: RateModel) -> float | None:
    """The job alone on its fastest allowed accelerator type, from arrival."""
    best = best_rate(acceptable(pools, spec, rates))
    return spec.work / best if best > 0 else None


def summarize(run: SimRun, rates: RateModel, skipped: int = 0) -> dict[str, Any]:
    """The result object: every key the CLI and `compare` promise, plus detail."""
    done = [j for j in run.jobs if j.state is JobState.COMPLETED and j.finished_s is not None]
    jcts = sorted(j.finished_s - j.spec.submit_s for j in done)  # type: ignore[operator]
    queue = [(j.first_start_s or j.spec.submit_s) - j.spec.submit_s for j in done]
    ideal, slow, per_project = _service(run, rates, done)
    start = min((j.spec.submit_s for j in run.jobs), default=0.0)
    end = max((j.finished_s or 0.0 for j in run.jobs), default=0.0)
    makespan = max(0.0, end - start)
    credits = sum(j.credits for j in run.jobs)
    n = len(done)
    return {
        "policy": run.policy,
        "jobs": len(run.jobs),
        "completed": n,
        "skipped": skipped + sum(1 for j in run.jobs if j.state is JobState.REJECTED),
        "unfinished": sum(1 for j in run.jobs if j.state in (JobState.PENDING, JobState.RUNNING)),
        "avg_jct_s": sum(jcts) / n if n else 0.0,
        "p50_jct_s": percentile(jcts, 50),
        "p99_jct_s": percentile(jcts, 99),
        "avg_queue_s": sum(queue) / n if n else 0.0,
        "avg_slowdown": sum(slow) / len(slow) if slow else 0.0,
        "makespan_s": makespan,
        "utilization": _utilization(run, makespan),
        "jain_fairness": jain(list(per_project.values())),
        "credits": credits,
        "domestic_share": _domestic_share(run, credits),
        "lower_bound_avg_jct_s": sum(ideal) / len(ideal) if ideal else 0.0,
        "preemptions": sum(j.preemptions for j in run.jobs),
        "wall_s": run.wall_s,
        "events": run.events,
        "events_per_s": run.events / run.wall_s if run.wall_s > 0 else 0.0,
        "rounds": run.rounds,
    }


def overall_utilization(per_type: Mapping[str, float], pools: Sequence[Pool]) -> float:
    """Capacity-weighted mean of the per-type utilisation (``summarize``'s
    ``utilization``): the share of the fleet's accelerators busy over the makespan."""
    cap: dict[str, int] = defaultdict(int)
    for p in pools:
        cap[p.accel_type] += p.count
    total = sum(cap.values())
    return sum(per_type.get(k, 0.0) * n for k, n in cap.items()) / total if total else 0.0


def _service(
    run: SimRun, rates: RateModel, done: list[Any]
) -> tuple[list[float], list[float], dict[str, float]]:
    """Per-job ideal JCT and slowdown; per-project service = mean of ideal/actual JCT."""
    ideal: list[float] = []
    slow: list[float] = []
    by_project: dict[str, list[float]] = defaultdict(list)
    memo: dict[JobShape, float | None] = {}
    for j in run.jobs:
        s = j.spec
        key = shape_of(s)
        if key not in memo:
            lb_one = ideal_jct(s, run.pools, rates) if s.work > 0 else None
            memo[key] = None if lb_one is None else lb_one / s.work
        per_work = memo[key]
        if per_work is None:
            continue
        lb = per_work * s.work
        ideal.append(lb)
        if j.state is JobState.COMPLETED and j.finished_s is not None:
            jct = max(j.finished_s - s.submit_s, 1e-9)
            slow.append(jct / lb if lb > 0 else 1.0)
            by_project[s.project].append(min(1.0, lb / jct) if lb > 0 else 1.0)
    per_project = {p: sum(v) / len(v) for p, v in by_project.items()}
    return ideal, slow, per_project


def _utilization(run: SimRun, makespan: float) -> dict[str, float]:
    """Busy accelerator-seconds / (accelerators x makespan), per accelerator type."""
    cap: dict[str, int] = defaultdict(int)
    for p in run.pools:
        cap[p.accel_type] += p.count
    busy: dict[str, float] = defaultdict(float)
    for j in run.jobs:
        for kind, secs in j.attained_by_type.items():
            busy[kind] += secs * j.spec.accelerators
    return {k: (busy[k] / (c * makespan) if makespan > 0 else 0.0) for k, c in cap.items()}


def _domestic_share(run: SimRun, credits: float) -> float:
    """Share of delivered compute (credits, i.e. H100-equivalent hours) on domestic chips."""
    domestic_types = {p.accel_type for p in run.pools if p.domestic}
    if credits <= 0 or not domestic_types:
        return 0.0
    dom = sum(c for j in run.jobs for t, c in j.credits_by_type.items() if t in domestic_types)
    return dom / credits
