"""Ports: the protocols the engine needs from the outside world.

The live service and the simulator differ only in what they plug in here.
"""

from __future__ import annotations

from typing import Protocol

from nacc.domain.events import JobEvent
from nacc.domain.jobs import JobSpec
from nacc.domain.pools import Pool
from nacc.ports.dispatch import (
    ENDED,
    AccountLimits,
    BackendUnreachable,
    Closable,
    Dispatcher,
    Launch,
    Launched,
    LaunchRefused,
    LogSource,
    Observation,
    Outcome,
    Payload,
    Recoverable,
    Recovered,
    Reserving,
)

__all__ = [
    "ENDED",
    "AccountLimits",
    "BackendUnreachable",
    "Clock",
    "Closable",
    "Dispatcher",
    "EventSink",
    "Launch",
    "LaunchRefused",
    "Launched",
    "LogSource",
    "Observation",
    "Outcome",
    "Payload",
    "Recoverable",
    "Recovered",
    "Reserving",
    "UsageSink",
]


class Clock(Protocol):
    def now(self) -> float: ...


class EventSink(Protocol):
    def emit(self, event: JobEvent) -> None: ...


class UsageSink(Protocol):
    """Receives metered usage: one call per stretch of running (start to stop)."""

    def meter(
        self, spec: JobSpec, pool: Pool, count: int, start_s: float, end_s: float, credits: float
    ) -> None: ...
