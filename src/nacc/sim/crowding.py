"""How much of a run's excess over the lower bound no schedule can avoid: crowding.

The lower bound (``metrics.ideal_jct``) runs every job alone on its best type from its
arrival. In any schedule job ``i`` is in the system at least over ``[a_i, a_i + LB_i]``,
so at time ``t`` at least the set ``S(t)`` of jobs whose ideal interval covers ``t`` is
present. While present a job loses ``1 - p`` per second (``p``: its rate where it runs
over its best rate, 0 waiting), and the losses sum to the excess of total JCT over the
lower bound's (``policies.exchange``). The present jobs can together keep at most
``A(S(t))``, the best assignment of ``S(t)`` to the pools' accelerators, so

    excess >= integral over t of ( |S(t)| - A(S(t)) ) dt

``crowded_bound`` returns the average JCT with that excess added: a lower bound that sees
capacity. ``A`` is found by ``exchange.improve`` from the previous interval's assignment:
exact for single-accelerator jobs on up to three types (its moves, swaps, chains and
three-pool cycles are every improving cycle there), a local optimum otherwise (then the
bound may be a little high, an estimate).
"""

from __future__ import annotations

from collections.abc import Sequence

from nacc.domain.ids import PoolId
from nacc.domain.jobs import JobSpec
from nacc.domain.pools import Pool
from nacc.scheduling.placement import acceptable
from nacc.scheduling.policies.exchange import Item, improve
from nacc.scheduling.view import RateModel


def crowded_bound(jobs: Sequence[JobSpec], pools: Sequence[Pool], rates: RateModel) -> float:
    """Average JCT lower bound with crowding (0.0 for no runnable job)."""
    events: list[tuple[float, int, int]] = []  # (time, 0 leave / 1 arrive, job index)
    items: list[Item] = []
    total_lb = 0.0
    for spec in jobs:
        options = acceptable(pools, spec, rates)
        if not options:
            continue
        best = max(r for _, r in options)
        lb = spec.work / best
        total_lb += lb
        k = len(items)
        items.append(Item(spec.accelerators, {p: r / best for p, r in options}, None))
        events.append((spec.submit_s, 1, k))
        events.append((spec.submit_s + lb, 0, k))
    if not items:
        return 0.0
    events.sort()
    room: dict[PoolId, int] = {p.id: p.count for p in pools}
    present: dict[int, Item] = {}
    excess, last = 0.0, events[0][0]
    for t, kind, k in events:
        if t > last and present:
            kept = sum(it.worth(it.pool) for it in present.values())
            excess += (t - last) * (len(present) - kept)
        last = t
        it = items[k]
        if kind == 0:
            if it.pool is not None:
                room[it.pool] += it.need
            del present[k]
        else:
            present[k] = it
        improve(list(present.values()), room)
    return (total_lb + excess) / len(items)
