"""Ports: the protocols the engine needs from the outside world.

The live service and the simulator differ only in what they plug in here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from nacc.domain.events import JobEvent
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobSpec
from nacc.domain.pools import Pool


class Clock(Protocol):
    def now(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Observation:
    """Something a dispatcher saw happen to a job it runs."""

    job_id: JobId
    at: float
    ok: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class Launch:
    """Everything a dispatcher needs to run one job on one pool."""

    spec: JobSpec
    pool: Pool
    count: int
    at: float
    remaining_work: float
    setup_s: float


class Dispatcher(Protocol):
    """Runs jobs on an engine (simulated, local processes, Slurm, Kubernetes).

    ``unsupported`` declares, as data, the capabilities this backend lacks, each with a
    reason (SkyPilot style); the engine checks it before asking for them.
    """

    unsupported: Mapping[str, str]

    def launch(self, launch: Launch) -> None: ...

    def stop(self, job_id: JobId, at: float) -> float | None:
        """Stop a running job (preemption). Returns work done since launch where known."""
        ...

    def poll(self, now: float) -> Sequence[Observation]: ...


class EventSink(Protocol):
    def emit(self, event: JobEvent) -> None: ...


class UsageSink(Protocol):
    """Receives metered usage: one call per stretch of running (start to stop)."""

    def meter(
        self, spec: JobSpec, pool: Pool, count: int, start_s: float, end_s: float, credits: float
    ) -> None: ...
