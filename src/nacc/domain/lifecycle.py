"""Job lifecycle as a transition table (dask-style): each edge names its meaning."""

from __future__ import annotations

from enum import StrEnum

from nacc.domain.errors import InvalidTransition


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


TRANSITIONS: dict[tuple[JobState, JobState], str] = {
    (JobState.PENDING, JobState.RUNNING): "started",
    (JobState.PENDING, JobState.CANCELLED): "cancelled while pending",
    (JobState.PENDING, JobState.REJECTED): "rejected by policy",
    (JobState.PENDING, JobState.FAILED): "the backend refused to launch it",
    (JobState.RUNNING, JobState.PENDING): "preempted and requeued",
    (JobState.RUNNING, JobState.COMPLETED): "finished",
    (JobState.RUNNING, JobState.FAILED): "failed",
    (JobState.RUNNING, JobState.CANCELLED): "cancelled while running",
}

TERMINAL: frozenset[JobState] = frozenset(
    {JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED, JobState.REJECTED}
)


def check(src: JobState, dst: JobState) -> str:
    """Return the meaning of ``src -> dst`` or raise ``InvalidTransition``."""
    try:
        return TRANSITIONS[(src, dst)]
    except KeyError:
        raise InvalidTransition(f"a job cannot go from {src} to {dst}") from None
