"""Gavel's mechanism, the parts that do not keep state between rounds: the fleet per
accelerator type, each job's throughput row and place in Gavel's job order, the round's
placement of gangs, and the plan's actions (``Scheduler._schedule_jobs_on_workers_helper``
and its placement). See ``gavel.py``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobSpec
from nacc.domain.reasons import Code, Reason
from nacc.scheduling.placement import near_data, site_allows
from nacc.scheduling.plan import Action, Preempt, Start
from nacc.scheduling.policies.gavel_lp import FloatArray, LpResult, LpSolver
from nacc.scheduling.policies.gavel_state import Placed
from nacc.scheduling.view import ClusterView, PendingJob, RunningJob


@dataclass(slots=True)
class Fleet:
    """Per-type capacity this round: types in scenario order, pools per type, room per
    pool, and each pool's type column."""

    types: list[str]
    pools: dict[str, list[PoolId]]
    room: dict[PoolId, int]
    size: dict[PoolId, int]
    column: dict[PoolId, int]

    def capacity(self, accel_type: str) -> int:
        return sum(self.room[p] for p in self.pools[accel_type])

    def largest(self, accel_type: str) -> int:
        """The biggest pool of the type (installed count): larger gangs can never run."""
        return max((self.size[p] for p in self.pools[accel_type]), default=0)


def _fleet(view: ClusterView) -> Fleet:
    room: dict[PoolId, int] = {pid: pv.free for pid, pv in view.pools.items()}
    for job in view.running.values():
        if job.pool_id in room:
            room[job.pool_id] += job.count
    pools: dict[str, list[PoolId]] = {}
    for pid, pv in view.pools.items():
        pools.setdefault(pv.pool.accel_type, []).append(pid)
    size = {pid: pv.pool.count for pid, pv in view.pools.items()}
    types = list(pools)
    column = {pid: types.index(pv.pool.accel_type) for pid, pv in view.pools.items()}
    return Fleet(types, pools, room, size, column)


@dataclass(slots=True)
class JobInfo:
    """What the policy keeps of a job, pure functions of the job and the fleet: its place
    in Gavel's job order, its gang throughput per type (``row``: only the types it can use;
    ``rates``: one per type column, 0 where it cannot run) and, once asked, its pools per
    type in placement order."""

    key: tuple[float, tuple[str, int, str]]
    row: dict[str, float]
    rates: list[float]
    gang: int
    weight: float
    options: dict[int, tuple[PoolId, ...]] = field(default_factory=dict)


def _info(view: ClusterView, spec: JobSpec, fleet: Fleet) -> JobInfo:
    row = _rates(view, spec, fleet)
    rates = [row.get(t, 0.0) for t in fleet.types]
    key = (spec.submit_s, _id_key(spec.id))
    return JobInfo(key, row, rates, spec.accelerators, spec.priority_weight)


def _id_key(jid: JobId) -> tuple[str, int, str]:
    """``stem:12`` -> ("stem:", 12, "stem:12"): line 10 after line 9, not after line 1; the
    id itself breaks the ties of ids that read as the same number (``a1``, ``a01``)."""
    head = jid.rstrip("0123456789")
    digits = jid[len(head) :]
    return (head, int(digits), jid) if digits else (head, -1, jid)


def _rates(view: ClusterView, spec: JobSpec, fleet: Fleet) -> dict[str, float]:
    """Positive gang throughput per type where the job is allowed and its gang can fit."""
    row: dict[str, float] = {}
    for t in fleet.types:
        largest = fleet.largest(t)
        if spec.domestic_only:  # residency: only the type's pools at domestic sites
            largest = max((fleet.size[p] for p in fleet.pools[t]
                           if site_allows(spec, view.pools[p].pool)), default=0)  # fmt: skip
        if not spec.allows(t) or largest < spec.accelerators:
            continue
        r = view.rates.rate(spec, t)
        if r is not None and r > 0:
            row[t] = r
    return row


def _solve(
    order: Sequence[JobId],
    info: Mapping[JobId, JobInfo],
    thr: FloatArray,
    fleet: Fleet,
    solver: LpSolver,
) -> LpResult:
    """The LP for the rows ``order`` (``thr``: their throughputs, 0 where they cannot run)."""
    scale = np.array([float(info[j].gang) for j in order])
    weight = np.array([info[j].weight for j in order], dtype=float)
    capacity = np.array([float(fleet.capacity(t)) for t in fleet.types])
    return solver.solve_max_min(thr, scale, weight, capacity)


def _add_speed(speed: dict[str, float], row: Mapping[str, float]) -> None:
    """Gavel walks its types in the fixed order v100, p100, k80 (fastest first). nacc has no
    fixed list: it ranks types by the sum, over every job seen so far, of the job's rate on
    the type over its best rate. Summed over the whole run, the order settles quickly and
    does not flip with the mix of the jobs present in one round."""
    top = max(row.values(), default=0.0)
    for t, r in row.items():
        speed[t] = speed.get(t, 0.0) + r / top


def _options(
    view: ClusterView, info: JobInfo, spec: JobSpec, c: int, fleet: Fleet
) -> tuple[PoolId, ...]:
    """The pools of type column ``c`` the job may use, those near its data first."""
    got = info.options.get(c)
    if got is None:
        pools = [view.pools[p].pool for p in fleet.pools[fleet.types[c]]]
        near = [p.id for p in pools if site_allows(spec, p) and near_data(spec, p)]
        far = [p.id for p in pools if site_allows(spec, p) and not near_data(spec, p)]
        got = info.options[c] = (*near, *far)
    return got


def _place(
    chosen: Mapping[JobId, int],
    view: ClusterView,
    info: Mapping[JobId, JobInfo],
    fleet: Fleet,
) -> tuple[dict[JobId, PoolId], dict[JobId, str], list[Placed]]:
    """Pools for chosen gangs: keep running jobs in place, then largest gang to roomiest
    pool (ties: near the data first, then the type's pools in order). Also returns, in
    the order placed, when each placed job would complete if it kept running there: used
    to close the round for a job that completes before the next call."""
    room = dict(fleet.room)
    placed: dict[JobId, PoolId] = {}
    ends: list[Placed] = []
    now, running, column = view.now, view.running, fleet.column
    rest: list[JobId] = []
    for jid, c in chosen.items():
        run = running.get(jid)
        if run is not None and column.get(run.pool_id) == c and room[run.pool_id] >= run.count:
            placed[jid] = run.pool_id
            room[run.pool_id] -= run.count
            rates = info[jid].rates
            remaining = run.remaining_work - (now - run.started_s) * rates[c]
            ends.append((jid, c, now + max(0.0, remaining) / rates[c]))
        else:
            rest.append(jid)
    rest.sort(key=lambda j: -info[j].gang)
    unplaced: dict[JobId, str] = {}
    for jid in rest:
        c, job_info = chosen[jid], info[jid]
        gang = job_info.gang
        run = running.get(jid)
        job = run if run is not None else view.pending[jid]
        best: PoolId | None = None
        for pid in _options(view, job_info, job.spec, c, fleet):
            free = room[pid]
            if free >= gang and (best is None or free > room[best]):
                best = pid
        if best is None:
            unplaced[jid] = fleet.types[c]
            continue
        placed[jid] = best
        room[best] -= gang
        ends.append((jid, c, _end(now, job, run, job_info.rates, c, column)))
    return placed, unplaced, ends


def _end(
    now: float,
    job: PendingJob,
    run: RunningJob | None,
    rates: Sequence[float],
    c: int,
    column: Mapping[PoolId, int],
) -> float:
    """When a job started now on type column ``c`` would complete: its remaining work
    (for a running job, the value when it last started, less what it did since)."""
    remaining = job.remaining_work
    if run is not None:
        c0 = column.get(run.pool_id)
        if c0 is not None:
            remaining -= (now - run.started_s) * rates[c0]
    return now + max(0.0, remaining) / rates[c]


class Emitter:
    """The plan's actions: preempt the running jobs not kept in place, start the placed
    ones; the reasons, equal for equal parameters, are made once."""

    def __init__(self, policy: str) -> None:
        self.policy = policy
        self._said: dict[tuple[str, str, str], Reason] = {}

    def _why(self, code: str, pool: str = "", accel_type: str = "") -> Reason:
        key = (code, pool, accel_type)
        why = self._said.get(key)
        if why is None:
            params: dict[str, str] = {"policy": self.policy}
            if pool:
                params["pool"] = pool
            if accel_type:
                params["accel_type"] = accel_type
            why = self._said[key] = Reason.of(code, **params)
        return why

    def __call__(
        self,
        view: ClusterView,
        ids: Sequence[JobId],
        chosen: Mapping[JobId, int],
        placed: Mapping[JobId, PoolId],
        fleet: Fleet,
    ) -> list[Action]:
        preempts: list[Action] = []
        starts: list[Action] = []
        running, types, pending = view.running, fleet.types, view.pending
        for jid in ids:
            run = running.get(jid)
            pool = placed.get(jid)
            if run is not None:
                if pool == run.pool_id:
                    continue  # lease extended: same pool, nothing to do
                if pool is not None:
                    why = self._why(Code.PREEMPTED_TO_MOVE, pool, types[chosen[jid]])
                elif jid in chosen:
                    why = self._why(Code.PREEMPTED_NO_ROOM, "", types[chosen[jid]])
                else:
                    why = self._why(Code.PREEMPTED_BELOW_CUTOFF)
                preempts.append(Preempt(jid, why))
            if pool is not None:
                job = run if run is not None else pending[jid]
                started = self._why(Code.START_ROUND_ALLOCATION, "", types[chosen[jid]])
                starts.append(Start(jid, pool, job.spec.accelerators, started))
        return [*preempts, *starts]
