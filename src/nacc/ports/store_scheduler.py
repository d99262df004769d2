"""Store port: the live scheduler's batched reads and writes."""

from __future__ import annotations

from typing import Protocol


class SchedulerRepo(Protocol):
    """(filled in as the area moves behind the port)"""
