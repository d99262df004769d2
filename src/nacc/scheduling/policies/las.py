"""Tiresias-style discretised two-dimensional least-attained-service (2D-LAS).

Follows Gu et al., "Tiresias: A GPU Cluster Manager for Distributed Deep Learning",
NSDI'19, §3 (Discretized 2D-LAS):
- a job's attained service is accelerators x time run (two-dimensional); no duration
  knowledge is used;
- K priority queues split by service thresholds; a job starts in the top queue and is
  demoted when its attained service crosses the next threshold; within a queue jobs
  are served first-come first-served (by arrival);
- higher queues preempt lower ones (the whole gang is stopped, paying the engine's
  checkpoint/restart cost when it resumes);
- starvation guard (the paper's PROMOTE knob): a job that has waited longer than
  ``starve_factor`` x its executed time goes back to the top queue;
- a job that has just (re)started runs at least ``min_run_s`` (and twice the restart
  cost) before it can be preempted again, as Tiresias' jobs hold their GPUs for a
  scheduling interval; without it two jobs can preempt each other forever without
  progress when the checkpoint/restart cost is paid on every resume.
The engine calls it on events and every ``round_s`` seconds while jobs wait, so
demotions take effect. Simplifications: placement is first fit in pool order among
acceptable pools (Tiresias' consolidation for skewed models is not modelled); the
thresholds default to two queues split at one accelerator-hour (the paper tunes K and
the thresholds per trace).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nacc.domain.ids import JobId, PoolId
from nacc.domain.reasons import Code, Reason
from nacc.scheduling.placement import ACCEPTABLE_SPEED, FIRST, choose_pool, no_pool_reason
from nacc.scheduling.plan import Action, Plan, Preempt, Reject, Start
from nacc.scheduling.table import Columns, Floats, JobTable
from nacc.scheduling.view import ClusterView


@dataclass
class LasPolicy:
    name: str = "las"
    round_s: float | None = 60.0
    on_events: bool = True
    rounds_when_idle: bool = False
    thresholds_s: tuple[float, ...] = (3600.0,)
    starve_factor: float = 10.0
    min_run_s: float = 60.0
    min_relative_speed: float = ACCEPTABLE_SPEED
    _table: JobTable = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._table = JobTable(86400.0, self.min_relative_speed)

    def plan(self, view: ClusterView) -> Plan:
        if not view.pending:
            return Plan()
        cols = self._table.columns(view)
        actions: list[Action] = [
            Reject(cols.ids[i], no_pool_reason(view.pending[cols.ids[i]].spec))
            for i in np.flatnonzero(cols.best_rate <= 0)
        ]
        keep = self._desired(view, cols)
        return self._diff(view, cols, keep, actions)

    def pending_queues(self, view: ClusterView, cols: Columns) -> np.ndarray:
        """Queue index of each pending job, with the starvation promotion applied."""
        pend = view.pending
        attained = np.array([pend[j].attained_s for j in cols.ids], dtype=np.float64)
        since = np.array([pend[j].queued_since_s for j in cols.ids], dtype=np.float64)
        queue = np.searchsorted(np.asarray(self.thresholds_s), attained, side="right")
        ran = attained / cols.size
        starved = (attained > 0) & (view.now - since > self.starve_factor * ran)
        return np.where(starved, 0, queue)

    def _desired(self, view: ClusterView, cols: Columns) -> dict[JobId, PoolId]:
        """Greedy allocation of the whole fleet in LAS order (running and pending)."""
        run = list(view.running.values())
        r_att = np.array([r.attained_s + r.count * (view.now - r.started_s) for r in run])
        r_q = np.searchsorted(np.asarray(self.thresholds_s), r_att, side="right")
        q = np.concatenate([self.pending_queues(view, cols), r_q]).astype(np.int64)
        submit: Floats = np.concatenate([cols.submit, [r.spec.submit_s for r in run]])
        order = np.lexsort((submit, q))
        total = {pid: pv.pool.count for pid, pv in view.pools.items()}
        keep: dict[JobId, PoolId] = {}
        protect = max(self.min_run_s, 2.0 * view.restart_cost_s)
        for job in run:
            if view.now - job.started_s < protect:
                total[job.pool_id] -= job.count
                keep[job.spec.id] = job.pool_id
        room = sum(total.values())
        n_pending = len(cols.ids)
        for i in order.tolist():
            if i >= n_pending:
                job = run[i - n_pending]
                if job.spec.id not in keep and total[job.pool_id] >= job.count:
                    total[job.pool_id] -= job.count
                    room -= job.count
                    keep[job.spec.id] = job.pool_id
                continue
            if room <= 0 or cols.best_rate[i] <= 0:
                continue
            shape = cols.shapes[int(cols.shape[i])]
            pid = choose_pool(shape.pools, shape.need, total, FIRST)
            if pid is not None:
                total[pid] -= shape.need
                room -= shape.need
                keep[cols.ids[i]] = pid
        return keep

    def _diff(
        self, view: ClusterView, cols: Columns, keep: dict[JobId, PoolId], actions: list[Action]
    ) -> Plan:
        """Preempt running jobs outside the desired set and start pending ones in it."""
        reasons: dict[JobId, Reason] = {}
        preempted = Reason.of(Code.PREEMPTED_BY_LESS_SERVICE, policy=self.name)
        started = Reason.of(Code.START_LEAST_SERVICE, policy=self.name)
        waiting = Reason.of(Code.WAITING_FOR_SHARE, policy=self.name)
        for jid in view.running:
            if jid not in keep:
                actions.append(Preempt(jid, preempted))
        for i, jid in enumerate(cols.ids):
            pid = keep.get(jid)
            if pid is not None:
                need = cols.shapes[int(cols.shape[i])].need
                actions.append(Start(jid, pid, need, started))
            elif len(reasons) < 50:
                reasons[jid] = waiting
        return Plan(tuple(actions), reasons)


def make_las(**options: object) -> LasPolicy:
    return LasPolicy(**options)  # type: ignore[arg-type]
