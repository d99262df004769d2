"""Running jobs by pool, ranked by what moving to another pool costs them.

The partners of ``attained``'s swaps: when a new job's best pools are full, the job on
such a pool that loses least by moving to the new job's pool (or to one with room) may
make way for it. One heap per (from, to) pool pair, keyed by the loss of normalised
rate (``policies.exchange``); filled as the policy starts jobs, rebuilt from the view
now and then, and stale entries (the job stopped or moved since) are dropped as met.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping

from nacc.domain.ids import JobId, PoolId
from nacc.scheduling.policies.attained_jobs import Job
from nacc.scheduling.policies.exchange import Item, improve
from nacc.scheduling.view import ClusterView, RunningJob

_LOOK = 4  # entries looked at past the stale ones for a partner of the right size


class Residents:
    def __init__(self) -> None:
        self._heaps: dict[tuple[PoolId, PoolId], list[tuple[float, JobId, int]]] = {}

    def clear(self) -> None:
        self._heaps = {}

    def add(self, jid: JobId, norm: Mapping[PoolId, float], pool: PoolId, need: int) -> None:
        """Job ``jid`` (``need`` accelerators, rate over best ``norm`` per pool) runs on
        ``pool``."""
        here = norm[pool]
        heaps = self._heaps
        for q, v in norm.items():
            if q != pool:
                heap = heaps.get((pool, q))
                if heap is None:
                    heap = heaps[(pool, q)] = []
                heapq.heappush(heap, (here - v, jid, need))

    def best(self, src: PoolId, dst: PoolId, need: int, alive: Callable[[JobId, PoolId], bool],
             usable: Callable[[JobId], bool]) -> tuple[float, JobId] | None:  # fmt: skip
        """The job of size ``need`` on ``src`` that loses least by moving to ``dst`` and
        is ``usable`` (with its loss), among the first live entries; None if none."""
        heap = self._heaps.get((src, dst))
        if not heap:
            return None
        kept: list[tuple[float, JobId, int]] = []
        found = None
        while heap and len(kept) < _LOOK:
            entry = heapq.heappop(heap)
            if not alive(entry[1], src):
                continue  # stopped or moved: dropped
            kept.append(entry)
            if entry[2] == need and usable(entry[1]):
                found = (entry[0], entry[1])
                break
        for entry in kept:
            heapq.heappush(heap, entry)
        return found


def swap_in(
    residents: Residents,
    view: ClusterView,
    jobs: list[Job],
    placed: dict[JobId, PoolId],
    free: dict[PoolId, int],
    protect_s: float,
    stay_bonus: float,
    partner: Callable[[JobId, RunningJob], Job | None],
    stay: Callable[[Job], float],
) -> None:
    """Each new job of ``jobs`` placed below its best rate because its better pools are
    full takes a place on one from the running job there that loses least by moving to
    the new job's pool (a swap) or to one with room (a chain), when that raises the sum
    of normalised rates by more than what staying is worth to the partner (``stay``).
    ``placed`` and ``free`` are updated and the partners appended to ``jobs``."""
    running, since = view.running, view.now - protect_s
    taken = {j.jid for j in jobs}

    def alive(jid: JobId, pool: PoolId) -> bool:
        r = running.get(jid)
        return r is not None and r.pool_id == pool

    def usable(jid: JobId) -> bool:
        return jid not in taken and running[jid].started_s <= since

    for job in [j for j in jobs if j.running is None and j.jid in placed]:
        c, norm, need = placed[job.jid], job.st.norm, job.st.need
        here = norm[c]
        top: tuple[float, PoolId, PoolId, JobId] | None = None
        for b, vb in norm.items():
            if vb <= here + stay_bonus or free[b] >= need:
                continue
            for d in [c, *(d for d, n in free.items() if n >= need and d != b)]:
                got = residents.best(b, d, need, alive, usable)
                if got is not None and (top is None or vb - here - got[0] > top[0]):
                    top = (vb - here - got[0], b, d, got[1])
        if top is None:
            continue
        gain, b, d, jid = top
        other = partner(jid, running[jid])
        if other is None or gain <= stay(other):
            continue
        taken.add(jid)
        jobs.append(other)
        placed[job.jid], placed[jid] = b, d
        free[c] += need
        free[d] -= need


def improve_all(active: list[Job], placed: dict[JobId, PoolId], room: dict[PoolId, int],
                stay: Callable[[Job], float]) -> None:  # fmt: skip
    """The whole placement of ``active`` improved by ``exchange.improve`` (a running job
    values its own pool by ``stay`` more; a protected one does not move)."""
    items = []
    for job in active:
        st, r = job.st, job.running
        if r is None:
            items.append(Item(st.need, st.norm, placed.get(job.jid)))
        else:
            items.append(Item(st.need, st.norm, placed.get(job.jid), r.pool_id, stay(job),
                              job.protected))  # fmt: skip
    if improve(items, room):
        for job, it in zip(active, items, strict=True):
            if it.pool is not None:
                placed[job.jid] = it.pool
