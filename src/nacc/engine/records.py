"""Engine-owned mutable job records; policies see them through read-only protocols."""

from __future__ import annotations

from dataclasses import dataclass, field

from nacc.domain.ids import PoolId
from nacc.domain.jobs import JobSpec
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Code, Reason
from nacc.ports.dispatch import Payload

SUBMITTED = Reason(Code.SUBMITTED)


@dataclass(slots=True, eq=False)
class JobRecord:
    """State of one job as the engine knows it. Only the engine mutates it."""

    spec: JobSpec
    state: JobState
    queued_since_s: float
    remaining_work: float
    attained_s: float = 0.0
    attained_by_type: dict[str, float] = field(default_factory=dict)
    preemptions: int = 0
    pool_id: PoolId = field(default_factory=lambda: PoolId(""))
    accel_type: str = ""
    started_s: float = 0.0
    metered_s: float = 0.0
    count: int = 0
    credit_rate: float = 0.0
    first_start_s: float | None = None
    finished_s: float | None = None
    credits: float = 0.0
    credits_by_type: dict[str, float] = field(default_factory=dict)
    reason: Reason = SUBMITTED
    expected_start_s: float | None = None
    payload: Payload | None = None
    starting: bool = False
    """Launched on a backend that reports the real start (``Launched.starting``), which
    it has not yet: not metered until then; an end first means it never ran."""
