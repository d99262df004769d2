"""Exchanges between pools that raise the fleet's normalised throughput.

A job's loss while it is in the system is ``1 - p`` per second, where ``p`` is its rate
where it runs over its rate on its best type (0 while it waits): summed over jobs and
time, that is exactly the excess of the total completion time over the lower bound's
(every job alone on its best type from its arrival). So, for the jobs an order has
chosen to run, the placement that loses least *now* maximises the sum of ``p``: an
assignment (transportation) problem, jobs to pools with room.

``improve`` takes a placement (a greedy one) and applies the best improving exchange
until none is left: a move into free room, a swap of two jobs of one size between two
pools, a chain (one job into room another leaves) or a three-pool cycle. With
single-accelerator jobs and at most three pools that is the optimum; with more pools or
gang sizes it is a local optimum. A running job values its own pool by ``bonus`` more
(what moving costs it: the restart over the time it is expected to run on), so nothing
moves for less than that, and a ``fixed`` job does not move at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import permutations

from nacc.domain.ids import PoolId

_NOWHERE = PoolId("")  # the source of a job not placed yet


@dataclass(slots=True)
class Item:
    """One job in the exchange."""

    need: int
    value: Mapping[PoolId, float]  # pool -> rate there / rate on the best type
    pool: PoolId | None  # where the placement has it (None: not placed)
    home: PoolId | None = None  # where it runs now
    bonus: float = 0.0  # extra value of staying at home
    fixed: bool = False

    def worth(self, pool: PoolId | None) -> float:
        if pool is None or pool == _NOWHERE:
            return 0.0
        v = self.value[pool]
        return v + self.bonus if pool == self.home else v


Best = dict[tuple[PoolId, PoolId, int], tuple[float, int]]
Exchange = tuple[float, list[tuple[int, PoolId]]]  # gain, (item index, to pool) ...


def _best_moves(items: list[Item]) -> Best:
    """Per (from, to, size): the job whose move gains most (it may be negative)."""
    best: Best = {}
    for i, it in enumerate(items):
        if it.fixed:
            continue
        src = _NOWHERE if it.pool is None else it.pool
        here = it.worth(it.pool)
        for q in it.value:
            if q == src:
                continue
            gain = it.worth(q) - here
            key = (src, q, it.need)
            old = best.get(key)
            if old is None or gain > old[0]:
                best[key] = (gain, i)
    return best


def _candidates(best: Best, room: Mapping[PoolId, int], eps: float) -> Iterator[Exchange]:
    """Every improving move, swap and chain."""
    for (a, b, n), (g, i) in best.items():
        if room[b] >= n and g > eps:
            yield g, [(i, b)]
        for (b2, c, n2), (g2, j) in best.items():
            if b2 != b or n2 != n or j == i:
                continue
            if c == a:
                if g + g2 > eps and a < b:  # a swap, counted once
                    yield g + g2, [(i, b), (j, a)]
            elif c != _NOWHERE and room[c] >= n and g + g2 > eps:
                yield g + g2, [(i, b), (j, c)]  # a chain into c's room


def _cycles(best: Best, pools: list[PoolId], eps: float) -> Iterator[Exchange]:
    """Every improving three-pool cycle (a job from a to b, one from b to c, one from c
    to a)."""
    sizes = {k[2] for k in best}
    for a, b, c in permutations(pools, 3):
        if not (a < b and a < c):
            continue  # each cycle once (starting at its least pool)
        for n in sizes:
            ab, bc, ca = best.get((a, b, n)), best.get((b, c, n)), best.get((c, a, n))
            if ab is None or bc is None or ca is None:
                continue
            gain = ab[0] + bc[0] + ca[0]
            if gain > eps:
                yield gain, [(ab[1], b), (bc[1], c), (ca[1], a)]


def improve(items: list[Item], room: dict[PoolId, int], eps: float = 1e-9,
            max_steps: int | None = None) -> int:  # fmt: skip
    """Apply the best improving exchange until none is left (or ``max_steps``); ``room``
    (free accelerators per pool beside ``items``' placement) is updated. Returns the
    number of exchanges made."""
    pools = list(room)
    steps = 0
    limit = max_steps if max_steps is not None else 4 * len(items) + 16
    while steps < limit:
        best = _best_moves(items)
        top: Exchange | None = None
        for cand in _candidates(best, room, eps):
            if top is None or cand[0] > top[0]:
                top = cand
        if top is None and len(pools) >= 3:
            for cand in _cycles(best, pools, eps):
                if top is None or cand[0] > top[0]:
                    top = cand
        if top is None:
            break
        for i, to in top[1]:
            it = items[i]
            if it.pool is not None:
                room[it.pool] += it.need
            room[to] -= it.need
            it.pool = to
        steps += 1
    return steps
