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

from dataclasses import dataclass, field

import numpy as np

from nacc.domain.ids import JobId, PoolId
from nacc.domain.reasons import Code, Reason
from nacc.scheduling.calendar import CapacityCalendar
from nacc.scheduling.placement import ACCEPTABLE_SPEED, FIRST, choose_pool, no_pool_reason
from nacc.scheduling.plan import Action, Plan, Reject, Start
from nacc.scheduling.reservation import Reservation, reserve
from nacc.scheduling.table import Columns, Floats, JobTable, fits_now
from nacc.scheduling.view import ClusterView


@dataclass
class SlurmPolicy:
    name: str = "slurm"
    round_s: float | None = None
    on_events: bool = True
    rounds_when_idle: bool = False
    weight_age: float = 1000.0
    weight_fairshare: float = 10000.0
    weight_size: float = 1000.0
    max_age_s: float = 7 * 86400.0
    bf_max_job_test: int = 500
    default_limit_s: float = 86400.0
    min_relative_speed: float = ACCEPTABLE_SPEED
    _table: JobTable = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._table = JobTable(self.default_limit_s, self.min_relative_speed)

    def priorities(self, view: ClusterView, cols: Columns) -> Floats:
        """Multifactor priority of every pending job (vectorised)."""
        age = np.minimum(1.0, np.maximum(0.0, view.now - cols.submit) / self.max_age_s)
        total = sum(view.usage.values())
        fs = np.array([self._fairshare(view, p, total) for p in cols.projects] or [0.0])
        size = cols.size / max(1, view.total_accelerators)
        prio: Floats = (
            self.weight_age * age
            + self.weight_fairshare * fs[cols.project]
            + self.weight_size * size
        )
        return prio

    def _fairshare(self, view: ClusterView, project: str, total: float) -> float:
        if view.fairshare is not None:  # a share tree: Slurm's Fair Tree factor
            return float(view.fairshare.get(project, 0.0))
        share = view.shares.get(project, 0.0)
        if share <= 0:
            return 0.0
        used = view.usage.get(project, 0.0) / total if total > 0 else 0.0
        return float(2.0 ** (-used / share))

    def plan(self, view: ClusterView) -> Plan:
        if not view.pending:
            return Plan()
        cap = CapacityCalendar(view, self.default_limit_s)
        cols = self._table.columns(view)
        actions: list[Action] = [
            Reject(cols.ids[i], no_pool_reason(view.pending[cols.ids[i]].spec))
            for i in np.flatnonzero(cols.best_rate <= 0)
        ]
        if not cap.any_free():
            return Plan(tuple(actions))
        order = np.argsort(-self.priorities(view, cols), kind="stable")
        order = order[cols.best_rate[order] > 0]
        reasons, expected = self._walk(view, cap, cols, order.tolist(), actions)
        return Plan(tuple(actions), reasons, expected)

    def _walk(
        self,
        view: ClusterView,
        cap: CapacityCalendar,
        cols: Columns,
        order: list[int],
        actions: list[Action],
    ) -> tuple[dict[JobId, Reason], dict[JobId, float]]:
        """Start jobs in priority order; the first that does not fit gets a reservation,
        later ones backfill around it."""
        reasons: dict[JobId, Reason] = {}
        expected: dict[JobId, float] = {}
        in_order = Reason.of(Code.START_PRIORITY_ORDER, policy=self.name)
        backfilled = Reason.of(Code.START_BACKFILLED, policy=self.name)
        waiting = Reason.of(Code.WAITING_FOR_PRIORITY, policy=self.name)
        blocked = ~fits_now(cols.shapes, cap.free)
        resv: Reservation | None = None
        tested = 0
        for i in order:
            if resv is not None:
                tested += 1
                if tested > self.bf_max_job_test or not cap.any_free():
                    break
            shape = cols.shapes[int(cols.shape[i])]
            pid = None if blocked[int(cols.shape[i])] else self._place(view, cap, cols, i, resv)
            if pid is not None:
                cap.take(pid, shape.need)
                why = in_order if resv is None else backfilled
                actions.append(Start(cols.ids[i], pid, shape.need, why))
            elif resv is None:
                resv = reserve(cap, shape.need, [p for p, _ in shape.pools])
                reasons[cols.ids[i]] = self._blocked(resv)
                if resv is not None:
                    expected[cols.ids[i]] = resv.shadow_s
            elif len(reasons) < 50:
                reasons[cols.ids[i]] = waiting
        return reasons, expected

    def _blocked(self, resv: Reservation | None) -> Reason:
        """Why the highest-priority job that does not fit waits."""
        if resv is None:
            return Reason.of(Code.WAITING_NO_RESERVATION, policy=self.name)
        return Reason.of(Code.RESERVED, policy=self.name, pool=resv.pool_id)

    def _place(
        self,
        view: ClusterView,
        cap: CapacityCalendar,
        cols: Columns,
        i: int,
        resv: Reservation | None,
    ) -> PoolId | None:
        shape = cols.shapes[int(cols.shape[i])]
        if resv is None:
            return choose_pool(shape.pools, shape.need, cap.free, FIRST)
        end, need = view.now + float(cols.limit[i]), shape.need
        pid = choose_pool(shape.pools, need, cap.free, FIRST, lambda p: resv.admits(p, need, end))
        if pid is not None:
            resv.consume(pid, need, end)
        return pid


def make_slurm(**options: object) -> SlurmPolicy:
    return SlurmPolicy(**options)  # type: ignore[arg-type]
