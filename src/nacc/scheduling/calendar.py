"""The capacity calendar: free accelerators per pool now and, by time limits, later.

A policy plans one call against a ``CapacityCalendar`` built from its view:

- **now**: ``free`` per pool, lowered by ``take`` as the plan starts jobs, so one plan
  never over-allocates a pool;
- **later**: each running job is assumed to release its accelerators at its time limit
  (``default_limit_s`` for a job without one; a job past its limit at ``now``), the
  assumption of EASY backfill and of Slurm's planner. Jobs the plan starts are not
  assumed to end (they hold their accelerators to the end of the horizon);
- **holds**: ``hold(pool, count, start_s, end_s)`` keeps accelerators from every job over
  an interval (advance reservations, maintenance). ``free_at``, ``min_free`` and
  ``earliest_start`` respect holds; ``free`` (now) and ``take`` do not yet, so a policy
  that plans with holds checks ``min_free`` over the job's window before it starts one.

``earliest_start`` gives the earliest (pool, time) at which a gang fits, and what stays
free beside it: the one answer behind EASY reservations (``reservation.Reservation``) and
expected starts (``expected_starts``). Pure: no clock, no IO.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nacc.domain.ids import JobId, PoolId
from nacc.scheduling.placement import JobShape, candidates, shape_of
from nacc.scheduling.view import ClusterView, PendingJob

DEFAULT_LIMIT_S = 86400.0
"""Time limit assumed for a running job without one (a partition's DefaultTime)."""

Release = tuple[float, int]  # (time limit end, accelerators): a running job ends


@dataclass(frozen=True, slots=True)
class Hold:
    """``count`` accelerators of ``pool_id`` kept from every job over [start_s, end_s)."""

    pool_id: PoolId
    count: int
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Slot:
    """A gang fits on ``pool_id`` from ``start_s``; ``spare`` accelerators of the pool stay
    free beside it through its window. At the start instant, jobs released at that same
    instant count only until the gang fits (EASY's conservative "extra nodes")."""

    pool_id: PoolId
    start_s: float
    spare: int


class CapacityCalendar:
    """Free accelerators per pool, now and later, for one plan."""

    __slots__ = ("_default_limit_s", "_holds", "_releases", "_view", "free", "now", "total_free")

    def __init__(self, view: ClusterView, default_limit_s: float = DEFAULT_LIMIT_S) -> None:
        if default_limit_s <= 0:
            raise ValueError(f"default_limit_s must be > 0, got {default_limit_s}")
        self.now = view.now
        self.free: dict[PoolId, int] = {pid: pv.free for pid, pv in view.pools.items()}
        self.total_free = sum(self.free.values())
        self._view = view
        self._default_limit_s = default_limit_s
        self._releases: dict[PoolId, list[Release]] | None = None
        self._holds: dict[PoolId, list[Hold]] = {}

    # -- now --------------------------------------------------------------------------
    def any_free(self) -> bool:
        return self.total_free > 0

    def take(self, pool_id: PoolId, count: int) -> None:
        """A job of the plan starts now on ``pool_id`` (and is not assumed to end)."""
        if self.free[pool_id] < count:
            raise ValueError(f"plan over-allocates {pool_id}")
        self.free[pool_id] -= count
        self.total_free -= count

    # -- later ------------------------------------------------------------------------
    def releases(self, pool_id: PoolId) -> list[Release]:
        """Running jobs' (time limit end, accelerators) on ``pool_id``, sorted."""
        if self._releases is None:
            self._releases = self._by_limit()
        return self._releases[pool_id]

    def _by_limit(self) -> dict[PoolId, list[Release]]:
        out: dict[PoolId, list[Release]] = {pid: [] for pid in self.free}
        d = self._default_limit_s
        for job in self._view.running.values():
            out[job.pool_id].append((job.started_s + (job.spec.time_limit_s or d), job.count))
        for ends in out.values():
            ends.sort()
        return out

    def hold(self, pool_id: PoolId, count: int, start_s: float, end_s: float) -> Hold:
        """Keep ``count`` accelerators of ``pool_id`` from every job over [start_s, end_s)."""
        if pool_id not in self.free:
            raise ValueError(f"hold: unknown pool {pool_id!r}; known: {sorted(self.free)}")
        size = self._view.pools[pool_id].pool.count
        if not 1 <= count <= size:
            raise ValueError(f"hold: count must be 1..{size} on {pool_id}, got {count}")
        if not start_s < end_s:
            raise ValueError(f"hold: start_s ({start_s}) must be before end_s ({end_s})")
        held = Hold(pool_id, count, start_s, end_s)
        self._holds.setdefault(pool_id, []).append(held)
        return held

    def holds(self, pool_id: PoolId) -> list[Hold]:
        return list(self._holds.get(pool_id, ()))

    def free_at(self, pool_id: PoolId, t: float) -> int:
        """Accelerators of ``pool_id`` free at ``t`` (>= now) by time limits, less holds
        (negative where holds exceed what is free)."""
        if t < self.now:
            raise ValueError(f"free_at: t ({t}) is before now ({self.now})")
        n = self.free[pool_id] + sum(c for e, c in self.releases(pool_id) if max(self.now, e) <= t)
        return n - sum(h.count for h in self._holds.get(pool_id, ()) if h.start_s <= t < h.end_s)

    def min_free(self, pool_id: PoolId, start_s: float, end_s: float | None = None) -> int:
        """The fewest accelerators free over [start_s, end_s) (None: to the horizon)."""
        if end_s is not None and not start_s < end_s:
            raise ValueError(f"min_free: start_s ({start_s}) must be before end_s ({end_s})")
        low = self.free_at(pool_id, start_s)
        for t, level in self._steps(pool_id):
            if start_s < t and (end_s is None or t < end_s):
                low = min(low, level)
        return low

    def earliest_start(
        self, need: int, pools: Iterable[PoolId], duration_s: float | None = None
    ) -> Slot | None:
        """The earliest time one of ``pools`` has ``need`` accelerators free through
        [start, start + duration_s) (None: to the horizon), and which; ties go to the
        earlier pool. None: no pool ever has room (a gang larger than what frees up)."""
        if duration_s is not None and duration_s <= 0:
            raise ValueError(f"earliest_start: duration_s must be > 0, got {duration_s}")
        best: Slot | None = None
        for pid in pools:
            if self._holds.get(pid):
                slot = self._search(pid, need, duration_s)
            else:
                slot = self._walk(pid, need)
            if slot is not None and (best is None or slot.start_s < best.start_s):
                best = slot
        return best

    def _walk(self, pid: PoolId, need: int) -> Slot | None:
        """Without holds free capacity only grows: release jobs in end order until the
        gang fits."""
        now = self.now
        avail, at = self.free[pid], now
        for end, count in self.releases(pid):
            if avail >= need:
                break
            avail += count
            at = max(now, end)
        return Slot(pid, at, avail - need) if avail >= need else None

    def _steps(self, pid: PoolId) -> list[tuple[float, int]]:
        """(time, free from then on) at now and at every later change, times increasing."""
        delta: dict[float, int] = {self.now: 0}
        for end, count in self.releases(pid):
            t = max(self.now, end)
            delta[t] = delta.get(t, 0) + count
        for h in self._holds.get(pid, ()):
            if h.end_s <= self.now:
                continue  # over before now
            start = max(self.now, h.start_s)
            delta[start] = delta.get(start, 0) - h.count
            delta[h.end_s] = delta.get(h.end_s, 0) + h.count
        out: list[tuple[float, int]] = []
        level = self.free[pid]
        for t in sorted(delta):
            level += delta[t]
            out.append((t, level))
        return out

    def _search(self, pid: PoolId, need: int, duration_s: float | None) -> Slot | None:
        """With holds: the first step whose level, and every level after it within the
        window, is at least ``need``."""
        steps = self._steps(pid)
        for i, (t, level) in enumerate(steps):
            if level < need:
                continue
            end = None if duration_s is None else t + duration_s
            window = [v for u, v in steps[i:] if end is None or u < end]
            low = min(window)
            if low >= need:
                return Slot(pid, t, min(low, self._at_instant(pid, t, level, need)) - need)
        return None

    def _at_instant(self, pid: PoolId, t: float, level: int, need: int) -> int:
        """What is counted free at ``t``: jobs released at ``t`` only until the gang fits."""
        due = [c for e, c in self.releases(pid) if max(self.now, e) == t]
        avail = level - sum(due)
        for count in due:
            if avail >= need:
                break
            avail += count
        return avail


def expected_starts(
    view: ClusterView, jobs: Iterable[PendingJob], default_limit_s: float, min_speed: float
) -> dict[JobId, float]:
    """For each job, the earliest time a pool it accepts has room for its whole gang if
    running jobs end at their time limits (a lower bound: jobs ahead in the queue may take
    the room first). Jobs no pool can ever hold are left out."""
    cal = CapacityCalendar(view, default_limit_s)
    memo: dict[JobShape, float | None] = {}
    out: dict[JobId, float] = {}
    for job in jobs:
        spec = job.spec
        shape = shape_of(spec)
        if shape not in memo:
            pools = [p for p, _ in candidates(view, spec, min_speed)]
            slot = cal.earliest_start(spec.accelerators, pools) if pools else None
            memo[shape] = slot.start_s if slot is not None else None
        at = memo[shape]
        if at is not None:
            out[spec.id] = at
    return out
