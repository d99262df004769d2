"""Actions a policy returns. Policies return values; the engine applies them."""

from __future__ import annotations

from dataclasses import dataclass, field

from nacc.domain.ids import JobId, PoolId


@dataclass(frozen=True, slots=True)
class Start:
    job_id: JobId
    pool_id: PoolId
    count: int
    reason: str


@dataclass(frozen=True, slots=True)
class Preempt:
    job_id: JobId
    reason: str


@dataclass(frozen=True, slots=True)
class Reject:
    job_id: JobId
    reason: str


Action = Start | Preempt | Reject


@dataclass(frozen=True, slots=True)
class Plan:
    """Ordered actions (preemptions are applied before starts) and why others wait.

    ``pending_reasons`` need not cover every pending job; the engine reports
    "waiting for resources" for those it omits.
    ``expected_start`` gives, where the policy knows, when a pending job should start.
    """

    actions: tuple[Action, ...] = ()
    pending_reasons: dict[JobId, str] = field(default_factory=dict)
    expected_start: dict[JobId, float] = field(default_factory=dict)
