"""Domain events. Each carries the cause that produced it so charges can be explained."""

from __future__ import annotations

from dataclasses import dataclass

from nacc.domain.ids import JobId
from nacc.domain.lifecycle import JobState


@dataclass(frozen=True, slots=True)
class JobEvent:
    """A job changed state at ``at``; ``cause`` is the stimulus (policy reason, dispatcher note)."""

    job_id: JobId
    at: float
    src: JobState
    dst: JobState
    cause: str
    pool_id: str | None = None
