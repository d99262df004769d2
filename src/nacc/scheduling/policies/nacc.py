"""nacc's default policy: heterogeneity-aware, credit-priced, fair, with backfill.

Decisions use only what a real scheduler knows at submit time: the requested size and
time limit, the throughput model, and decayed usage per project. Phases each call:
1. Score every pending job: its requested cost in credits on its best accelerator
   (accelerators x time limit scaled to the best type's speed), times the project's
   fair-share pressure 2^(U/S) (U: share of decayed usage, S: share target), divided by
   an ageing term (1 + wait / aging_s). Lower scores go first: small, cheap jobs of
   under-served projects first (shortest-requested-job-first minimises average
   completion time), while ageing and fair share keep large jobs and heavy projects
   from starving.
2. Starvation guard: the job that has waited longest beyond ``reserve_after_s`` gets an
   EASY-backfill reservation on the pool where it can start earliest (by time limits).
3. Walk the order; start every job that fits now on its *fastest* fitting pool
   (heterogeneity-aware placement), respecting the reservation (backfill). A job is
   never started on a type slower than ``min_relative_speed`` of its best type: it is
   better to wait for a fast accelerator than to run 30x slower on a small inference NPU.
No preemption, so no checkpoint/restart cost is ever paid. Scoring is vectorised over
a ``JobTable`` so a 10,000-job queue costs milliseconds.

Without time limits (``mode="auto"`` and one of the first jobs of the queue, else of the
running ones, has none, as in Gavel's traces)
requested cost orders nothing, and the policy runs duration-agnostic instead
(``policies/attained.py``): attained-service order, heterogeneity-aware placement and
migration to faster types, preemption priced by the restart cost.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from nacc.domain.ids import JobId, PoolId
from nacc.domain.reasons import Code, Reason
from nacc.scheduling.calendar import CapacityCalendar
from nacc.scheduling.placement import (
    ACCEPTABLE_SPEED,
    FASTEST,
    Prefer,
    choose_pool,
    no_pool_reason,
    preference,
)
from nacc.scheduling.plan import Action, Plan, Reject, Start
from nacc.scheduling.policies.attained import AttainedService
from nacc.scheduling.policies.attained_jobs import AttainedConfig
from nacc.scheduling.reservation import Reservation, reserve
from nacc.scheduling.table import Columns, Floats, JobTable, fits_now
from nacc.scheduling.view import ClusterView

_MODE_PROBE = 64  # jobs looked at to tell whether jobs carry time limits
_REASONS_FOR = 50  # pending reasons are written for the first jobs in order only


@dataclass
class NaccPolicy:
    name: str = "nacc"
    round_s: float | None = None
    on_events: bool = True
    rounds_when_idle: bool = False
    aging_s: float = 3600.0
    reserve_after_s: float = 12 * 3600.0
    default_limit_s: float = 86400.0
    max_fairshare_pressure: float = 16.0
    min_relative_speed: float = ACCEPTABLE_SPEED
    short_job_s: float = 3600.0
    short_job_speed: float = 0.4
    mode: str = "auto"  # auto | requested | attained
    attained: AttainedConfig = field(default_factory=AttainedConfig)
    _table: JobTable = field(init=False, repr=False)
    _las: AttainedService = field(init=False, repr=False)
    _wake: float | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in ("auto", "requested", "attained"):
            raise ValueError(f"mode: expected auto, requested or attained; got {self.mode!r}")
        self._table = JobTable(self.default_limit_s, self.min_relative_speed)
        self._las = AttainedService(self.name, self.attained)

    def next_wake(self, now: float) -> float | None:
        """When the duration-agnostic mode wants to decide again (a queue threshold)."""
        wake = self._las.wake
        return wake if wake is not None and wake > now else None

    def _duration_agnostic(self, view: ClusterView) -> bool:
        if self.mode != "auto":
            return self.mode == "attained"
        # O(1): the first jobs of the queue (then the running ones) decide the mode.
        for first in itertools.chain(view.pending.values(), view.running.values()):
            if first.spec.time_limit_s is None:
                return True  # what the scan below answers at its first job
            break
        head = itertools.chain(view.pending.values(), view.running.values())
        return any(j.spec.time_limit_s is None for j in itertools.islice(head, _MODE_PROBE))

    def plan(self, view: ClusterView) -> Plan:
        if self._duration_agnostic(view):
            return self._las.plan(view)
        self._las.wake = None
        if not view.pending:
            return Plan()
        cap = CapacityCalendar(view, self.default_limit_s)
        if not cap.any_free():
            return Plan()
        cols = self._table.columns(view)
        actions: list[Action] = [
            Reject(cols.ids[i], no_pool_reason(view.pending[cols.ids[i]].spec))
            for i in np.flatnonzero(cols.best_rate <= 0)
        ]
        score = self._score(view, cols)
        resv, reasons, expected = self._guard(view, cap, cols)
        self._walk(view, cap, cols, score, resv, actions, reasons)
        return Plan(tuple(actions), reasons, expected)

    # Phase 1 ------------------------------------------------------------------------
    def _score(self, view: ClusterView, cols: Columns) -> Floats:
        total = sum(view.usage.values())
        pressure = np.array([self._pressure(view, p, total) for p in cols.projects] or [1.0])
        best = np.where(cols.best_rate > 0, cols.best_rate, np.inf)
        cost = cols.size * cols.limit / best
        wait = np.maximum(0.0, view.now - cols.submit)
        score: Floats = cost * pressure[cols.project] / (1.0 + wait / self.aging_s)
        return score

    def _pressure(self, view: ClusterView, project: str, total: float) -> float:
        share = view.shares.get(project, 0.0)
        if share <= 0 or total <= 0:
            return 1.0
        used = view.usage.get(project, 0.0) / total
        return float(min(self.max_fairshare_pressure, 2.0 ** (used / share)))

    # Phase 2 ------------------------------------------------------------------------
    def _guard(
        self, view: ClusterView, cap: CapacityCalendar, cols: Columns
    ) -> tuple[Reservation | None, dict[JobId, Reason], dict[JobId, float]]:
        runnable = cols.best_rate > 0
        waited = np.where(runnable, view.now - cols.submit, -1.0)
        i = int(np.argmax(waited))
        if waited[i] < self.reserve_after_s:
            return None, {}, {}
        jid, shape = cols.ids[i], cols.shapes[int(cols.shape[i])]
        if choose_pool(shape.pools, shape.need, cap.free) is not None:
            return None, {}, {}
        resv = reserve(cap, shape.need, [p for p, _ in shape.pools])
        if resv is None:
            return None, {jid: Reason.of(Code.WAITING_NO_RESERVATION, policy=self.name)}, {}
        reason = Reason.of(Code.RESERVED_AFTER_WAIT, policy=self.name, pool=resv.pool_id,
                           waited_s=self.reserve_after_s)  # fmt: skip
        return resv, {jid: reason}, {jid: resv.shadow_s}

    # Phase 3 ------------------------------------------------------------------------
    def _walk(
        self,
        view: ClusterView,
        cap: CapacityCalendar,
        cols: Columns,
        score: Floats,
        resv: Reservation | None,
        actions: list[Action],
        reasons: dict[JobId, Reason],
    ) -> None:
        blocked = ~fits_now(cols.shapes, cap.free)
        order = np.argsort(score, kind="stable")
        waiting = Reason.of(Code.WAITING_FOR_RESOURCES, policy=self.name)
        started = Reason.of(Code.START_BEST_SCORE, policy=self.name)
        for i in order[:_REASONS_FOR].tolist():
            reasons[cols.ids[i]] = waiting
        candidates = ~blocked[cols.shape] & (cols.best_rate > 0)
        walk = order[candidates[order]]
        # Once every shape still in the walk is blocked (no reservation), nothing more starts.
        live = set(np.unique(cols.shape[walk]).tolist())
        is_blocked = blocked.tolist()
        prefs: dict[tuple[int, bool], tuple[tuple[PoolId, float], ...]] = {}
        free, now = cap.free, view.now
        for i, six, limit in zip(walk.tolist(), cols.shape[walk].tolist(),
                                 cols.limit[walk].tolist(), strict=True):  # fmt: skip
            if is_blocked[six]:
                continue
            need = cols.shapes[six].need
            key = (six, limit / float(cols.best_rate[i]) > self.short_job_s)
            pref = prefs.get(key)
            if pref is None:
                pref = prefs[key] = self._preference(cols, i, key[1])
            end = now + limit
            pid = None
            for p, _ in pref:
                if free[p] >= need and (resv is None or resv.admits(p, need, end)):
                    pid = p
                    break
            if pid is None:
                if resv is None:
                    is_blocked[six] = True
                    live.discard(six)
                    if not live:
                        break
                continue
            cap.take(pid, need)
            actions.append(Start(cols.ids[i], pid, need, started))
            if resv is not None:
                resv.consume(pid, need, end)
            if not cap.any_free():
                break

    def _preference(self, cols: Columns, i: int, long: bool) -> tuple[tuple[PoolId, float], ...]:
        """The pools of job ``i``'s shape in the order it takes them (``placement.preference``).
        A short job takes the slowest pool that is still fast enough, leaving the fastest
        accelerators to long jobs, whose completion times gain the most."""
        shape = cols.shapes[int(cols.shape[i])]
        top = float(cols.best_rate[i])
        prefer = FASTEST if long else Prefer.slowest_above(self.short_job_speed * top)
        return preference(shape.pools, prefer)


def make_nacc(**options: object) -> NaccPolicy:
    return NaccPolicy(**options)  # type: ignore[arg-type]
