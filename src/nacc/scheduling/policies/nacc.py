"""nacc's default policy: heterogeneity-aware, credit-priced, fair, with backfill.

Decisions use only what a real scheduler knows at submit time: the requested size and
time limit, the throughput model, and decayed usage per project. Phases each call:
1. Score every pending job: its estimated cost in credits on its best accelerator
   (accelerators x time limit scaled to the best type's speed x credit rate), multiplied
   by the project's fair-share pressure 2^(U/S) (U: share of decayed usage, S: share
   target) and divided by an ageing term (1 + wait / aging_s). Lower scores go first —
   small, cheap jobs of under-served projects first (shortest-job-first on requested
   credits, which minimises average completion time), while ageing and fair share keep
   large jobs and heavy projects from starving.
2. Starvation guard: the job that has waited longest beyond ``reserve_after_s`` gets an
   EASY-backfill reservation on the pool where it can start earliest (by time limits).
3. Walk the order; start every job that fits now on its *fastest* fitting pool
   (heterogeneity-aware placement), respecting the reservation.
No preemption (no checkpoint/restart cost is ever paid).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nacc.domain.ids import JobId, PoolId
from nacc.scheduling.fit import Capacity, CandidateCache, fastest_fit
from nacc.scheduling.plan import Action, Plan, Reject, Start
from nacc.scheduling.reservation import Reservation, ends_by_pool, reserve
from nacc.scheduling.view import ClusterView, PendingJob


@dataclass
class NaccPolicy:
    name: str = "nacc"
    round_s: float | None = None
    on_events: bool = True
    aging_s: float = 3600.0
    reserve_after_s: float = 12 * 3600.0
    default_limit_s: float = 86400.0
    max_fairshare_pressure: float = 16.0
    _cache: CandidateCache = field(default_factory=CandidateCache, repr=False)

    def plan(self, view: ClusterView) -> Plan:
        if not view.pending:
            return Plan()
        cap = Capacity(view)
        if not cap.any_free():
            return Plan()
        actions: list[Action] = []
        scored = self._score(view, actions)
        resv, reasons, expected = self._guard(view, cap, scored)
        for _, jid, job, pools in scored:
            if not cap.any_free():
                break
            pid = self._fit(view, cap, job, pools, resv)
            if pid is None:
                reasons.setdefault(jid, "nacc: waiting for a fitting pool (Resources)")
                continue
            cap.take(pid, job.spec.accelerators)
            actions.append(Start(jid, pid, job.spec.accelerators, "nacc: best-scored job fits"))
            if resv is not None and resv.pool_id == pid:
                resv = self._shrink(view, resv, job, pid)
        return Plan(tuple(actions), reasons, expected)

    # Phase 1 ------------------------------------------------------------------------
    def _score(
        self, view: ClusterView, actions: list[Action]
    ) -> list[tuple[float, JobId, PendingJob, list[tuple[PoolId, float]]]]:
        total_usage = sum(view.usage.values())
        pressure: dict[str, float] = {}
        out = []
        for jid, job in view.pending.items():
            spec = job.spec
            pools = self._cache.get(view, spec)
            if not pools:
                actions.append(Reject(jid, "no pool can ever run this job"))
                continue
            p = pressure.get(spec.project)
            if p is None:
                p = pressure[spec.project] = self._pressure(view, spec.project, total_usage)
            best = max(rate for _, rate in pools)
            limit = spec.time_limit_s or self.default_limit_s
            cost = spec.accelerators * limit / best
            wait = view.now - spec.submit_s
            out.append((cost * p / (1.0 + wait / self.aging_s), jid, job, pools))
        out.sort(key=lambda r: (r[0], r[1]))
        return out

    def _pressure(self, view: ClusterView, project: str, total_usage: float) -> float:
        share = view.shares.get(project, 0.0)
        if share <= 0 or total_usage <= 0:
            return 1.0
        used = view.usage.get(project, 0.0) / total_usage
        return min(self.max_fairshare_pressure, 2.0 ** (used / share))

    # Phase 2 ------------------------------------------------------------------------
    def _guard(
        self,
        view: ClusterView,
        cap: Capacity,
        scored: list[tuple[float, JobId, PendingJob, list[tuple[PoolId, float]]]],
    ) -> tuple[Reservation | None, dict[JobId, str], dict[JobId, float]]:
        oldest = None
        for row in scored:
            wait = view.now - row[2].spec.submit_s
            if wait >= self.reserve_after_s and (
                oldest is None or row[2].spec.submit_s < oldest[2].spec.submit_s
            ):
                oldest = row
        if oldest is None:
            return None, {}, {}
        _, jid, job, pools = oldest
        if fastest_fit(cap, job.spec, pools) is not None:
            return None, {}, {}
        ends = ends_by_pool(view, self.default_limit_s)
        resv = reserve(job.spec.accelerators, [p for p, _ in pools], cap.free, ends, view.now)
        if resv is None:
            return None, {jid: "nacc: waiting (no reservation possible)"}, {}
        reason = f"nacc: waited over {self.reserve_after_s:.0f} s, reserved on {resv.pool_id}"
        return resv, {jid: reason}, {jid: resv.shadow_s}

    # Phase 3 ------------------------------------------------------------------------
    def _fit(
        self,
        view: ClusterView,
        cap: Capacity,
        job: PendingJob,
        pools: list[tuple[PoolId, float]],
        resv: Reservation | None,
    ) -> PoolId | None:
        if resv is None:
            return fastest_fit(cap, job.spec, pools)
        end = view.now + (job.spec.time_limit_s or self.default_limit_s)
        allowed = [
            (pid, rate)
            for pid, rate in pools
            if resv.allows(pid, job.spec.accelerators, end)[0]
        ]
        return fastest_fit(cap, job.spec, allowed)

    def _shrink(
        self, view: ClusterView, resv: Reservation, job: PendingJob, pid: PoolId
    ) -> Reservation:
        end = view.now + (job.spec.time_limit_s or self.default_limit_s)
        _, extra = resv.allows(pid, job.spec.accelerators, end)
        return Reservation(resv.pool_id, resv.shadow_s, extra)


def make_nacc(**options: object) -> NaccPolicy:
    return NaccPolicy(**options)  # type: ignore[arg-type]
