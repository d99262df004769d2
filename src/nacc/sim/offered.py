"""Offered load as utilisation: how busy the fleet would be while the jobs arrive if each
started at its arrival on its fastest allowed accelerator type, with no contention.

    offered = sum over jobs of accelerators x min(run on the fastest type, window end - arrival)
              / (accelerators in the fleet x window)

where the window runs from the first to the last arrival (after dividing inter-arrival times
by the load scale). A job is counted only for the part of its run inside the window, so a
short, heavily compressed replay of a trace with month-long jobs is not mistaken for a
loaded one (the textbook rho = arrival rate x mean demand / capacity would count those
runs whole). Above 1 a queue must build; below, queues come from gangs, placement and types
the jobs may not use. The fastest type is the placement the JCT lower bound assumes, so the
busy share a run shows is at least this (slower types take longer). The load scale that
offers a utilisation is found by bisection: offered grows with the scale.
"""

from __future__ import annotations

from collections.abc import Sequence

from nacc.domain.jobs import JobSpec
from nacc.domain.pools import Pool
from nacc.scheduling.placement import JobShape, acceptable, best_rate, shape_of
from nacc.scheduling.view import RateModel

_ITERATIONS = 60


def _demands(jobs: Sequence[JobSpec], pools: Sequence[Pool],
             rates: RateModel) -> list[tuple[float, int, float]]:  # fmt: skip
    """(arrival, accelerators, run on the fastest type) of every job some pool can run, in
    arrival order."""
    memo: dict[JobShape, float] = {}
    out = []
    for job in jobs:
        key = shape_of(job)
        if key not in memo:
            memo[key] = best_rate(acceptable(pools, job, rates))
        if memo[key] > 0:
            out.append((job.submit_s, job.accelerators, job.work / memo[key]))
    out.sort(key=lambda d: d[0])  # stable: a sorted trace (every reader's) stays as it is
    return out


def _offered(demands: Sequence[tuple[float, int, float]], capacity: int, scale: float) -> float:
    """``demands`` in arrival order (``_demands`` keeps the trace's, which is sorted)."""
    if len(demands) < 2 or capacity <= 0:
        return 0.0
    first, end = demands[0][0] / scale, demands[-1][0] / scale
    window = end - first
    if window <= 0:
        return 0.0
    busy = sum(n * min(run, end - t / scale) for t, n, run in demands)
    return busy / (capacity * window)


def offered_utilization(jobs: Sequence[JobSpec], pools: Sequence[Pool], rates: RateModel,
                        load_scale: float = 1.0) -> float:  # fmt: skip
    """The offered utilisation at ``load_scale`` (0 when the jobs arrive at one instant)."""
    return _offered(_demands(jobs, pools, rates), sum(p.count for p in pools), load_scale)


def load_scale_for(target: float, jobs: Sequence[JobSpec], pools: Sequence[Pool],
                   rates: RateModel) -> float:  # fmt: skip
    """The load scale at which the jobs offer ``target`` utilisation (relative error of
    the scale about 1e-9)."""
    if not target > 0:
        raise ValueError(f"--offered-load must be > 0, got {target}")
    demands = _demands(jobs, pools, rates)
    capacity = sum(p.count for p in pools)
    low, high = 1e-9, 1e12
    most = _offered(demands, capacity, high)
    if most < target:
        raise ValueError(
            f"--offered-load: at most {most:.3g} is reachable with these jobs on "
            f"this fleet (every job running from its arrival to the last one)"
        )
    for _ in range(_ITERATIONS):
        mid = (low * high) ** 0.5
        if _offered(demands, capacity, mid) < target:
            low = mid
        else:
            high = mid
    return high
