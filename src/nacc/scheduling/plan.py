"""Actions a policy returns. Policies return values; the engine applies them.

Every action and pending job carries a coded reason (``nacc.domain.reasons``), rendered
to English or Korean only at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field

from nacc.domain.ids import JobId, PoolId
from nacc.domain.reasons import Reason


@dataclass(frozen=True, slots=True)
class Start:
    job_id: JobId
    pool_id: PoolId
    count: int
    reason: Reason


@dataclass(frozen=True, slots=True)
class Preempt:
    job_id: JobId
    reason: Reason


@dataclass(frozen=True, slots=True)
class Reject:
    job_id: JobId
    reason: Reason


Action = Start | Preempt | Reject


@dataclass(frozen=True, slots=True)
class Plan:
    """Ordered actions (preemptions are applied before starts) and why others wait.

    ``pending_reasons`` need not cover every pending job; the engine reports
    the reason they last had (at first ``submitted``) for those it omits.
    ``expected_start`` gives, where the policy knows, when a pending job should start.
    """

    actions: tuple[Action, ...] = ()
    pending_reasons: dict[JobId, Reason] = field(default_factory=dict)
    expected_start: dict[JobId, float] = field(default_factory=dict)
