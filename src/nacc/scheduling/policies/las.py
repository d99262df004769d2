"""Tiresias-style discretised two-dimensional least-attained-service (2D-LAS).

Follows Gu et al., "Tiresias: A GPU Cluster Manager for Distributed Deep Learning",
NSDI'19, §3 (Discretized 2D-LAS):
- a job's attained service is accelerators x time run (two-dimensional), no duration
  knowledge is used;
- K priority queues split by service thresholds; a job starts in the top queue and is
  demoted when its attained service crosses the next threshold; within a queue jobs
  are served first-come first-served (by arrival);
- higher queues preempt lower ones (gang preemption, the whole job is stopped);
- starvation guard (the paper's PROMOTE knob): a job waiting longer than
  ``starve_factor`` x its executed time is promoted to the top queue.
The engine calls it on events and every ``round_s`` seconds so demotions take effect.
Simplifications: placement is first fit in pool order (Tiresias' consolidation for
model skew is not modelled); thresholds default to two queues split at one
accelerator-hour (the paper tunes K and thresholds per trace).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from nacc.domain.ids import JobId, PoolId
from nacc.scheduling.fit import candidates
from nacc.scheduling.plan import Action, Plan, Preempt, Reject, Start
from nacc.scheduling.view import ClusterView, PendingJob


@dataclass
class LasPolicy:
    name: str = "las"
    round_s: float | None = 60.0
    on_events: bool = True
    thresholds_s: tuple[float, ...] = (3600.0,)
    starve_factor: float = 10.0

    def queue_of(self, job: PendingJob, waiting_s: float) -> int:
        ran = sum(job.attained_by_type.values())
        if job.attained_s > 0 and waiting_s > self.starve_factor * ran:
            return 0
        return bisect.bisect_right(self.thresholds_s, job.attained_s)

    def plan(self, view: ClusterView) -> Plan:
        if not view.pending:
            return Plan()
        order = self._order(view)
        total = {pid: pv.pool.count for pid, pv in view.pools.items()}
        keep: dict[JobId, PoolId] = {}
        actions: list[Action] = []
        for jid, job, running in order:
            spec = job.spec
            if running is not None:
                if total[running] >= spec.accelerators:
                    total[running] -= spec.accelerators
                    keep[jid] = running
                continue
            pools = candidates(view, spec)
            if not pools:
                actions.append(Reject(jid, "no pool can ever run this job"))
                continue
            for pid, _ in pools:
                if total[pid] >= spec.accelerators:
                    total[pid] -= spec.accelerators
                    keep[jid] = pid
                    break
        return self._diff(view, keep, actions)

    def _order(self, view: ClusterView) -> list[tuple[JobId, PendingJob, PoolId | None]]:
        rows: list[tuple[int, float, JobId, PendingJob, PoolId | None]] = []
        for jid, job in view.pending.items():
            q = self.queue_of(job, view.now - job.queued_since_s)
            rows.append((q, job.spec.submit_s, jid, job, None))
        for jid, rjob in view.running.items():
            q = bisect.bisect_right(self.thresholds_s, rjob.attained_s + rjob.count * (view.now - rjob.started_s))
            rows.append((q, rjob.spec.submit_s, jid, rjob, rjob.pool_id))
        rows.sort(key=lambda r: (r[0], r[1], r[2]))
        return [(r[2], r[3], r[4]) for r in rows]

    def _diff(self, view: ClusterView, keep: dict[JobId, PoolId], actions: list[Action]) -> Plan:
        reasons: dict[JobId, str] = {}
        for jid in view.running:
            if jid not in keep:
                actions.append(Preempt(jid, "las: preempted by a job with less attained service"))
        for jid in view.pending:
            pid = keep.get(jid)
            if pid is not None:
                count = view.pending[jid].spec.accelerators
                actions.append(Start(jid, pid, count, "las: least attained service"))
            else:
                reasons[jid] = "las: waiting behind jobs with less attained service"
        return Plan(tuple(actions), reasons)


def make_las(**options: object) -> LasPolicy:
    return LasPolicy(**options)  # type: ignore[arg-type]
