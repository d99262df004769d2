"""Gavel's mechanism, the parts that do not keep state: the fleet per accelerator type,
the throughput rows, the round's selection and placement of gangs, and the plan's actions
(``Scheduler._schedule_jobs_on_workers_helper`` and its placement). See ``gavel.py``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobSpec
from nacc.domain.reasons import Code, Reason
from nacc.scheduling.placement import ROOMIEST, choose_pool, near_data, site_allows
from nacc.scheduling.plan import Action, Preempt, Start
from nacc.scheduling.policies.gavel_lp import LpResult, solve_max_min
from nacc.scheduling.view import ClusterView, PendingJob

Entry = tuple[JobId, str, float]  # job, type, priority


@dataclass(slots=True)
class Fleet:
    """Per-type capacity this round: types in scenario order, pools per type, room per pool."""

    types: list[str]
    pools: dict[str, list[PoolId]]
    room: dict[PoolId, int]
    size: dict[PoolId, int]

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
    return Fleet(list(pools), pools, room, size)


def _jobs(
    view: ClusterView, keys: dict[JobId, tuple[float, tuple[str, int, str]]] | None = None
) -> dict[JobId, PendingJob]:
    """Pending and running jobs in arrival order (Gavel's job-id order), then by id, where
    ids that end in a number (trace line numbers, ``stem:12``) sort numerically.
    ``keys``: a memo of each job's sort key, replaced by this call's jobs' keys."""
    merged: dict[JobId, PendingJob] = {**view.pending, **view.running}
    memo = {} if keys is None else keys
    fresh: dict[JobId, tuple[float, tuple[str, int, str]]] = {}
    for jid, job in merged.items():
        k = memo.get(jid)
        fresh[jid] = k if k is not None else (job.spec.submit_s, _id_key(jid))
    if keys is not None:
        keys.clear()
        keys.update(fresh)
    return {jid: merged[jid] for jid in sorted(merged, key=fresh.__getitem__)}


def _id_key(jid: JobId) -> tuple[str, int, str]:
    """``stem:12`` -> ("stem:", 12, ""): line 10 after line 9, not after line 1."""
    head = jid.rstrip("0123456789")
    digits = jid[len(head) :]
    return (head, int(digits), "") if digits else (head, -1, jid)


def _predicted_end(view: ClusterView, job: PendingJob, row: Mapping[str, float], t: str) -> float:
    """When a job placed now on type ``t`` would complete if it kept running: used to
    close the round for a job that completes before the next call."""
    remaining = job.remaining_work  # for a running job: the value when it last started
    run = view.running.get(job.spec.id)
    if run is not None and run.pool_id in view.pools:
        rate = row.get(view.pools[run.pool_id].pool.accel_type, 0.0)
        remaining -= (view.now - run.started_s) * rate
    return view.now + max(0.0, remaining) / row[t]


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
    order: list[JobId],
    jobs: Mapping[JobId, PendingJob],
    thr: Mapping[JobId, dict[str, float]],
    fleet: Fleet,
) -> LpResult:
    types = fleet.types
    t_mat = np.array([[thr[j].get(t, 0.0) for t in types] for j in order], dtype=float)
    t_mat = t_mat.reshape(len(order), len(types))
    scale = np.array([float(jobs[j].spec.accelerators) for j in order])
    weight = np.array([jobs[j].spec.priority_weight for j in order], dtype=float)
    capacity = np.array([float(fleet.capacity(t)) for t in types])
    return solve_max_min(t_mat, scale, weight, capacity)


def _add_speed(speed: dict[str, float], row: Mapping[str, float]) -> None:
    """Gavel walks its types in the fixed order v100, p100, k80 (fastest first). nacc has no
    fixed list: it ranks types by the sum, over every job seen so far, of the job's rate on
    the type over its best rate. Summed over the whole run, the order settles quickly and
    does not flip with the mix of the jobs present in one round."""
    top = max(row.values(), default=0.0)
    for t, r in row.items():
        speed[t] = speed.get(t, 0.0) + r / top


def _select(queue: list[Entry], jobs: Mapping[JobId, PendingJob], fleet: Fleet) -> dict[JobId, str]:
    """Greedy: each job takes the first type in the queue where its gang still fits."""
    left = {t: fleet.capacity(t) for t in fleet.types}
    chosen: dict[JobId, str] = {}
    for jid, t, _ in queue:
        gang = jobs[jid].spec.accelerators
        if jid in chosen or gang > left[t]:
            continue
        chosen[jid] = t
        left[t] -= gang
    return chosen


def _place(
    chosen: Mapping[JobId, str],
    view: ClusterView,
    jobs: Mapping[JobId, PendingJob],
    fleet: Fleet,
) -> tuple[dict[JobId, PoolId], dict[JobId, str]]:
    """Pools for chosen gangs: keep running jobs in place, then largest gang to roomiest pool."""
    room = dict(fleet.room)
    placed: dict[JobId, PoolId] = {}
    for jid, t in chosen.items():
        run = view.running.get(jid)
        if run is not None and run.pool_id in fleet.pools[t] and room[run.pool_id] >= run.count:
            placed[jid] = run.pool_id
            room[run.pool_id] -= run.count
    rest = [j for j in chosen if j not in placed]
    rest.sort(key=lambda j: -jobs[j].spec.accelerators)
    unplaced: dict[JobId, str] = {}
    for jid in rest:
        t, spec = chosen[jid], jobs[jid].spec
        gang = spec.accelerators
        pools = [view.pools[p].pool for p in fleet.pools[t]]
        options = [(p.id, 0.0) for p in pools if site_allows(spec, p) and near_data(spec, p)]
        options += [(p.id, 0.0) for p in pools if site_allows(spec, p) and not near_data(spec, p)]
        best = choose_pool(options, gang, room, ROOMIEST)
        if best is None:
            unplaced[jid] = t
            continue
        placed[jid] = best
        room[best] -= gang
    return placed, unplaced


def _emit(
    view: ClusterView,
    jobs: Mapping[JobId, PendingJob],
    chosen: Mapping[JobId, str],
    placed: Mapping[JobId, PoolId],
    policy: str,
) -> list[Action]:
    preempts: list[Action] = []
    starts: list[Action] = []
    for jid in jobs:
        run = view.running.get(jid)
        pool = placed.get(jid)
        if run is not None and pool == run.pool_id:
            continue  # lease extended: same pool, nothing to do
        if run is not None:
            if pool is not None:
                why = Reason.of(Code.PREEMPTED_TO_MOVE, policy=policy, pool=pool,
                                accel_type=chosen[jid])  # fmt: skip
            elif jid in chosen:
                why = Reason.of(Code.PREEMPTED_NO_ROOM, policy=policy, accel_type=chosen[jid])
            else:
                why = Reason.of(Code.PREEMPTED_BELOW_CUTOFF, policy=policy)
            preempts.append(Preempt(jid, why))
        if pool is not None:
            gang = jobs[jid].spec.accelerators
            started = Reason.of(Code.START_ROUND_ALLOCATION, policy=policy, accel_type=chosen[jid])
            starts.append(Start(jid, pool, gang, started))
    return preempts + starts
