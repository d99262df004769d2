"""First-in, first-out with gang scheduling, heterogeneity-agnostic.

Jobs start strictly in arrival order; the first job that does not fit blocks all
later ones (head-of-line blocking), as in the FIFO baselines of Tiresias (NSDI'19) and
Gavel (OSDI'20). Placement is first fit in scenario pool order, blind to speed, among
the pools a user would accept (``placement.candidates``). A job no pool can ever hold is
rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nacc.domain.ids import JobId
from nacc.domain.reasons import Code, Reason
from nacc.scheduling.calendar import CapacityCalendar
from nacc.scheduling.placement import (
    ACCEPTABLE_SPEED,
    FIRST,
    CandidateCache,
    choose_pool,
    no_pool_reason,
)
from nacc.scheduling.plan import Action, Plan, Reject, Start
from nacc.scheduling.view import ClusterView


@dataclass
class FifoPolicy:
    name: str = "fifo"
    round_s: float | None = None
    on_events: bool = True
    rounds_when_idle: bool = False
    min_relative_speed: float = ACCEPTABLE_SPEED
    _cache: CandidateCache = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._cache = CandidateCache(self.min_relative_speed)

    def plan(self, view: ClusterView) -> Plan:
        cap = CapacityCalendar(view)
        actions: list[Action] = []
        reasons: dict[JobId, Reason] = {}
        for jid, job in view.pending.items():
            pools = self._cache.get(view, job.spec)
            if not pools:
                actions.append(Reject(jid, no_pool_reason(job.spec)))
                continue
            pid = choose_pool(pools, job.spec.accelerators, cap.free, FIRST)
            if pid is None:
                reasons[jid] = Reason.of(Code.WAITING_AT_HEAD, policy=self.name)
                break
            cap.take(pid, job.spec.accelerators)
            why = Reason.of(Code.START_HEAD_OF_QUEUE, policy=self.name)
            actions.append(Start(jid, pid, job.spec.accelerators, why))
        return Plan(tuple(actions), reasons)


def make_fifo(**options: object) -> FifoPolicy:
    return FifoPolicy(**options)  # type: ignore[arg-type]
