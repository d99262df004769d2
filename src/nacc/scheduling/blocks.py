"""Capacity blocks for every policy: ``Blocked(policy, blocks)`` is itself a policy.

Each plan it:

1. during a block, starts the pending jobs of the block's projects on the block first
   (queue order, while the block has room): their start is guaranteed. A job of another
   project still on that capacity (one without a time limit, or booked after it
   started) is preempted then (``preempted_for_block``), latest started first;
2. shows the inner policy the cluster less the block's idle capacity (idle reserved
   capacity is not lent during the block);
3. keeps the inner plan's starts that delay no block: a job is assumed to run to its
   time limit (``default_limit_s`` without one, as the capacity calendar does) and may
   start on a pool only if the calendar, holding every block, has room for it through
   that window. So before a block's start its capacity is lent only to jobs that end
   by then; the others wait (``waiting_for_block``). Preemptions of jobs running on a
   block are dropped from the inner plan.

``next_wake(now)`` is the next block start or end (or the inner policy's own wake, if
sooner), so the driver decides then even if nothing arrives or ends. ``idle(view)``
reports the blocks' idle accelerators now.
Pure: no clock, no IO.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from nacc.domain.ids import JobId, PoolId
from nacc.domain.reasons import Code, Reason
from nacc.domain.reservations import Block
from nacc.scheduling import plan as plans
from nacc.scheduling.calendar import DEFAULT_LIMIT_S, CapacityCalendar
from nacc.scheduling.placement import ACCEPTABLE_SPEED, CandidateCache, candidates
from nacc.scheduling.policy import Policy
from nacc.scheduling.view import ClusterView, PendingJob, PoolView, RunningJob

HEAD = 100
"""How many jobs at the head of the queue are told a block holds them (as Slurm reports
reasons for the head of its queue)."""


def block_use(view: ClusterView, blocks: Iterable[Block]) -> dict[str, int]:
    """Accelerators of each active block in use by its projects' running jobs now (a
    project's jobs on a pool fill its blocks there in the order given)."""
    used: dict[str, int] = {}
    by_pool: dict[tuple[PoolId, str], int] = {}
    for job in view.running.values():
        key = (job.pool_id, job.spec.project)
        by_pool[key] = by_pool.get(key, 0) + job.count
    for b in blocks:
        if not b.active(view.now):
            continue
        take = 0
        for project in sorted(b.projects):
            key = (b.pool_id, project)
            got = min(b.count - take, by_pool.get(key, 0))
            by_pool[key] = by_pool.get(key, 0) - got
            take += got
        used[b.id] = take
    return used


class Blocked:
    """``inner`` with ``blocks`` honoured (see the module doc)."""

    def __init__(
        self, inner: Policy, blocks: Sequence[Block], default_limit_s: float = DEFAULT_LIMIT_S
    ) -> None:
        self.inner = inner
        self.blocks = list(blocks)
        self.default_limit_s = default_limit_s
        self.name = inner.name
        self.round_s = inner.round_s
        self.on_events = inner.on_events
        self.rounds_when_idle = inner.rounds_when_idle
        self._cache = CandidateCache(ACCEPTABLE_SPEED)

    def next_wake(self, now: float) -> float | None:
        """The next block start or end, or the inner policy's own wake if sooner."""
        times = [t for b in self.blocks for t in (b.start_s, b.end_s) if t > now]
        inner = getattr(self.inner, "next_wake", None)
        wake = inner(now) if inner is not None else None
        if isinstance(wake, int | float) and wake > now:
            times.append(float(wake))
        return min(times) if times else None

    def idle(self, view: ClusterView) -> dict[str, int]:
        """Idle accelerators of each block active now."""
        used = block_use(view, self.blocks)
        return {b.id: b.count - used[b.id] for b in self.blocks if b.id in used}

    def plan(self, view: ClusterView) -> plans.Plan:
        live = [b for b in self.blocks if b.end_s > view.now and b.pool_id in view.pools]
        if not live:
            return self.inner.plan(view)
        own = _OwnStarts(view, live)
        inner_view = own.view_for_inner()
        inner = self.inner.plan(inner_view)
        cal = CapacityCalendar(replace(inner_view, pools=own.pools_without_hiding()),
                               self.default_limit_s)  # fmt: skip
        for b in live:
            held = own.idle[b.id] if b.active(view.now) else b.count
            if held > 0:
                cal.hold(b.pool_id, held, max(view.now, b.start_s), b.end_s)
        return self._merge(own, inner, cal, live, view)

    def _merge(
        self, own: _OwnStarts, inner: plans.Plan, cal: CapacityCalendar,
        live: list[Block], view: ClusterView,
    ) -> plans.Plan:  # fmt: skip
        blocked_pools = {b.pool_id for b in live}
        actions: list[plans.Action] = [*own.preempts]
        waiting = dict(inner.pending_reasons)
        kept: list[plans.Action] = []
        for action in inner.actions:
            if isinstance(action, plans.Preempt):
                if action.job_id in own.protected:
                    continue
                actions.append(action)
            elif isinstance(action, plans.Start) and action.pool_id in blocked_pools:
                job = view.pending[action.job_id]
                limit = job.spec.time_limit_s or self.default_limit_s
                end = view.now + limit
                if cal.min_free(action.pool_id, view.now, end) >= action.count:
                    cal.hold(action.pool_id, action.count, view.now, end)
                    kept.append(action)
                else:
                    b = _first_block(live, action.pool_id, view.now, end)
                    waiting[action.job_id] = Reason.of(Code.WAITING_FOR_BLOCK,
                                                       pool=action.pool_id, block=b)  # fmt: skip
            else:
                kept.append(action)
        self._say_held(own, kept, waiting)
        return plans.Plan((*actions, *own.starts, *kept), waiting, dict(inner.expected_start))

    def _say_held(self, own: _OwnStarts, kept: list[plans.Action],
                  waiting: dict[JobId, Reason]) -> None:  # fmt: skip
        """Jobs at the head of the queue that would fit now but for a block's idle
        capacity wait with ``waiting_for_block`` (not the inner policy's reason)."""
        used: dict[PoolId, int] = {}
        starting = set()
        for a in kept:
            if isinstance(a, plans.Start):
                used[a.pool_id] = used.get(a.pool_id, 0) + a.count
                starting.add(a.job_id)
        held = {b.pool_id: b.id for b in own.active if own.idle[b.id] > 0}
        if not held:
            return
        view, seen = own.view, 0
        for job in view.pending.values():
            if seen >= HEAD:
                break
            seen += 1
            spec = job.spec
            if spec.id in own.started or spec.id in starting:
                continue
            need = spec.accelerators
            for pid, _ in self._cache.get(view, spec):
                if pid in held and own.free[pid] - used.get(pid, 0) >= need:
                    waiting[spec.id] = Reason.of(Code.WAITING_FOR_BLOCK, pool=pid,
                                                 block=held[pid])  # fmt: skip
                    break


def _first_block(blocks: list[Block], pool_id: PoolId, start_s: float, end_s: float) -> str:
    near = [b for b in blocks if b.pool_id == pool_id and b.overlaps(start_s, end_s)]
    return min(near, key=lambda b: b.start_s).id if near else "?"


class _OwnStarts:
    """Step 1 of a plan: the block's own jobs started on it, and what that leaves."""

    def __init__(self, view: ClusterView, live: list[Block]) -> None:
        self.view = view
        used = block_use(view, live)
        self.idle: dict[str, int] = {}
        self.free: dict[PoolId, int] = {pid: pv.free for pid, pv in view.pools.items()}
        self.starts: list[plans.Action] = []
        self.preempts: list[plans.Action] = []
        self.started: set[JobId] = set()
        self.stopped: set[JobId] = set()
        self.protected: set[JobId] = set()
        self.active = [b for b in live if b.active(view.now)]
        for b in live:
            if b.active(view.now):
                self.idle[b.id] = b.count - used[b.id]
                self._fill(b)
                self.protected |= {
                    j.spec.id
                    for j in view.running.values()
                    if j.pool_id == b.pool_id and b.serves(j.spec.project)
                }
            else:
                self.idle[b.id] = b.count

    def _fill(self, b: Block) -> None:
        view = self.view
        for job in view.pending.values():
            if self.idle[b.id] <= 0:
                break
            spec = job.spec
            if spec.id in self.started or not b.serves(spec.project):
                continue
            need = spec.accelerators
            if need > self.idle[b.id]:
                continue
            if b.pool_id not in {p for p, _ in candidates(view, spec, ACCEPTABLE_SPEED)}:
                continue
            if self.free[b.pool_id] < need and not self._make_room(b, need):
                continue
            self.free[b.pool_id] -= need
            self.idle[b.id] -= need
            self.started.add(spec.id)
            why = Reason.of(Code.START_ON_BLOCK, pool=b.pool_id, block=b.id)
            self.starts.append(plans.Start(spec.id, b.pool_id, need, why))

    def _make_room(self, b: Block, need: int) -> bool:
        """Preempt other projects' jobs on the block's pool, latest started first."""
        others = sorted(
            (j for j in self.view.running.values()
             if j.pool_id == b.pool_id and not b.serves(j.spec.project)
             and j.spec.id not in self.stopped),
            key=lambda j: -j.started_s,
        )  # fmt: skip
        chosen: list[RunningJob] = []
        room = self.free[b.pool_id]
        for job in others:
            if room >= need:
                break
            chosen.append(job)
            room += job.count
        if room < need:
            return False
        why = Reason.of(Code.PREEMPTED_FOR_BLOCK, pool=b.pool_id, block=b.id)
        for job in chosen:
            self.stopped.add(job.spec.id)
            self.free[b.pool_id] += job.count
            self.preempts.append(plans.Preempt(job.spec.id, why))
        return True

    def pools_without_hiding(self) -> dict[PoolId, PoolView]:
        return {pid: PoolView(pv.pool, self.free[pid]) for pid, pv in self.view.pools.items()}

    def view_for_inner(self) -> ClusterView:
        """The view less the jobs started or stopped here and the blocks' idle capacity."""
        view = self.view
        hidden: dict[PoolId, int] = {}
        for b in self.active:
            hidden[b.pool_id] = hidden.get(b.pool_id, 0) + self.idle[b.id]
        pools = {
            pid: PoolView(pv.pool, max(0, self.free[pid] - hidden.get(pid, 0)))
            for pid, pv in view.pools.items()
        }
        pending: Mapping[JobId, PendingJob] = {
            jid: j for jid, j in view.pending.items() if jid not in self.started
        }
        running: Mapping[JobId, RunningJob] = {
            jid: j for jid, j in view.running.items() if jid not in self.stopped
        }
        return replace(view, pools=pools, pending=pending, running=running)
