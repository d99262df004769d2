"""Slurm-style multifactor priority with EASY backfill.

Follows the Slurm manuals "Multifactor Priority Plugin" and "Scheduling Configuration
Guide" (sched/backfill):
- priority = W_age * age + W_fairshare * F + W_jobsize * size, each factor in [0, 1];
  age = min(1, wait / PriorityMaxAge) (default 7 days); size = accelerators / cluster
  total (PriorityFavorSmall=NO); classic fair-share F = 2^(-U/S) where U is the project's
  share of decayed usage (PriorityDecayHalfLife, default 7 days, kept by the engine) and
  S its normalised shares. Weights default to a common site setting (age 1000,
  fair-share 10000, job size 1000); Slurm's own defaults are 0.
- the main scheduler starts jobs in priority order until one does not fit; that job
  gets a reservation at the earliest time running jobs' *time limits* free enough
  accelerators (Slurm plans on limits, not on actual run times);
- backfill then starts lower-priority jobs that fit now and either end (by their limit)
  before that reservation or leave enough accelerators for it; at most
  ``bf_max_job_test`` (default 500) jobs are tried.
Simplifications: one reservation (EASY) where Slurm's backfill plans several; pools
stand for partitions with typed GRES and placement is first fit; no QOS/partition
factors; no nice values. Jobs without a limit get ``default_limit_s`` (partition
DefaultTime).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from nacc.domain.ids import JobId, PoolId
from nacc.scheduling.fit import Capacity, candidates, first_fit
from nacc.scheduling.plan import Action, Plan, Reject, Start
from nacc.scheduling.reservation import Reservation, ends_by_pool, reserve
from nacc.scheduling.view import ClusterView, PendingJob


@dataclass
class SlurmPolicy:
    name: str = "slurm"
    round_s: float | None = None
    on_events: bool = True
    weight_age: float = 1000.0
    weight_fairshare: float = 10000.0
    weight_size: float = 1000.0
    max_age_s: float = 7 * 86400.0
    bf_max_job_test: int = 500
    default_limit_s: float = 86400.0

    def priority(self, view: ClusterView, job: PendingJob, usage_total: float) -> float:
        spec = job.spec
        age = min(1.0, max(0.0, view.now - spec.submit_s) / self.max_age_s)
        share = view.shares.get(spec.project, 0.0)
        used = view.usage.get(spec.project, 0.0) / usage_total if usage_total > 0 else 0.0
        fairshare = 2.0 ** (-used / share) if share > 0 else 0.0
        size = spec.accelerators / max(1, view.total_accelerators)
        return self.weight_age * age + self.weight_fairshare * fairshare + self.weight_size * size

    def plan(self, view: ClusterView) -> Plan:
        if not view.pending:
            return Plan()
        total = sum(view.usage.values())
        order = sorted(view.pending.items(), key=lambda kv: -self.priority(view, kv[1], total))
        cap = Capacity(view)
        actions: list[Action] = []
        reasons: dict[JobId, str] = {}
        expected: dict[JobId, float] = {}
        resv: Reservation | None = None
        tested = 0
        for jid, job in order:
            if resv is not None:
                tested += 1
                if tested > self.bf_max_job_test or not cap.any_free():
                    break
            spec = job.spec
            pools = candidates(view, spec)
            if not pools:
                actions.append(Reject(jid, "no pool can ever run this job"))
                continue
            pid, resv = self._place(view, cap, job, pools, resv)
            if pid is not None:
                cap.take(pid, spec.accelerators)
                why = "slurm: priority order" if resv is None else "slurm: backfilled"
                actions.append(Start(jid, pid, spec.accelerators, why))
            elif resv is None:
                ends = ends_by_pool(view, self.default_limit_s)
                resv = reserve(spec.accelerators, [p for p, _ in pools], cap.free, ends, view.now)
                reasons[jid] = "slurm: highest priority, reserved (Resources)"
                if resv is not None:
                    expected[jid] = resv.shadow_s
            else:
                reasons[jid] = "slurm: waiting (Priority)"
        return Plan(tuple(actions), reasons, expected)

    def _place(
        self,
        view: ClusterView,
        cap: Capacity,
        job: PendingJob,
        pools: list[tuple[PoolId, float]],
        resv: Reservation | None,
    ) -> tuple[PoolId | None, Reservation | None]:
        spec = job.spec
        if resv is None:
            return first_fit(cap, spec, pools), None
        end = view.now + (spec.time_limit_s or self.default_limit_s)
        for pid, _ in pools:
            if cap.free[pid] < spec.accelerators:
                continue
            ok, extra = resv.allows(pid, spec.accelerators, end)
            if ok:
                return pid, replace(resv, extra=extra)
        return None, resv


def make_slurm(**options: float) -> SlurmPolicy:
    return SlurmPolicy(**options)  # type: ignore[arg-type]
