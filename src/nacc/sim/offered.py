"""Offered load as utilisation: how busy the fleet would be if every job ran on its fastest
allowed accelerator type, over the span in which the jobs arrive.

    offered = sum over jobs of (accelerators x work / fastest rate)
              / (accelerators in the fleet x (last submit - first submit) / load_scale)

It grows linearly with the load scale (which divides inter-arrival times), so the scale
that offers a utilisation U is U / offered(1). Using each job's fastest type makes it a
lower estimate of the busy share a run will see (slower placements take longer), the
same placement the JCT lower bound assumes; above 1 the queue must grow without bound.
"""

from __future__ import annotations

from collections.abc import Sequence

from nacc.domain.jobs import JobSpec
from nacc.domain.pools import Pool
from nacc.scheduling.placement import JobShape, acceptable, best_rate, shape_of
from nacc.scheduling.view import RateModel


def demand_s(jobs: Sequence[JobSpec], pools: Sequence[Pool], rates: RateModel) -> float:
    """Accelerator-seconds the jobs need, each on its fastest allowed type."""
    memo: dict[JobShape, float] = {}
    total = 0.0
    for job in jobs:
        key = shape_of(job)
        if key not in memo:
            memo[key] = best_rate(acceptable(pools, job, rates))
        rate = memo[key]
        if rate > 0:
            total += job.accelerators * job.work / rate
    return total


def offered_utilization(jobs: Sequence[JobSpec], pools: Sequence[Pool], rates: RateModel,
                        load_scale: float = 1.0) -> float:  # fmt: skip
    """The offered utilisation (0 when the jobs arrive at one instant or the fleet is empty)."""
    if len(jobs) < 2:
        return 0.0
    span = (max(j.submit_s for j in jobs) - min(j.submit_s for j in jobs)) / load_scale
    capacity = sum(p.count for p in pools)
    if span <= 0 or capacity <= 0:
        return 0.0
    return demand_s(jobs, pools, rates) / (capacity * span)


def load_scale_for(target: float, jobs: Sequence[JobSpec], pools: Sequence[Pool],
                   rates: RateModel) -> float:  # fmt: skip
    """The load scale at which the jobs offer ``target`` utilisation."""
    if not target > 0:
        raise ValueError(f"--offered-load must be > 0, got {target}")
    base = offered_utilization(jobs, pools, rates)
    if base <= 0:
        raise ValueError(
            "--offered-load: the trace offers no work over time (one job, or all "
            "at one instant), so no load scale reaches a utilisation"
        )
    return target / base
