"""Domain events. Each carries the cause that produced it so charges can be explained."""

from __future__ import annotations

from dataclasses import dataclass

from nacc.domain.ids import JobId
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Reason


@dataclass(frozen=True, slots=True)
class JobEvent:
    """A job changed state at ``at``; ``cause`` is the stimulus (a policy's reason, a
    backend's outcome) as a code with parameters.

    On a start, ``devices``, ``handle`` (the backend's id for the job) and ``log`` (where
    its output goes) say what the backend gave it; on an end, ``exit_code`` where known.
    """

    job_id: JobId
    at: float
    src: JobState
    dst: JobState
    cause: Reason
    pool_id: str | None = None
    exit_code: int | None = None
    devices: tuple[str, ...] = ()
    handle: str = ""
    log: str | None = None
