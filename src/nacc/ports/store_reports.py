"""The store port for usage reports: metered usage, job starts and what a project
belongs to (program, organisation, sector), read in one snapshot.

Reports (``nacc.service.usage``) group these facts; the repository only filters by time,
so the sums a report shows are sums of the very rows ``ledger verify`` proves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True, slots=True)
class UsageFact:
    """One metered interval with the job's project and pool."""

    job_id: str
    project_id: int
    pool_id: str | None
    accelerator_type: str
    start_at: datetime
    end_at: datetime
    count: int
    credits: Decimal


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """What a project belongs to; empty strings where it came from no proposal."""

    project_id: int
    project: str
    program: str
    organisation: str
    org_kind: str
    sectors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StartFact:
    """A job that started: how long it waited."""

    job_id: str
    project_id: int
    accelerators: int
    submitted_at: datetime
    started_at: datetime


class ReportsRepo(Protocol):
    def usage(self, since: datetime | None, until: datetime | None) -> list[UsageFact]:
        """Metered intervals that start in ``[since, until)`` (None: unbounded)."""
        ...

    def projects(self) -> list[ProjectFacts]:
        """Every project with its program, organisation and the call's sector tags."""
        ...

    def starts(self, since: datetime | None, until: datetime | None) -> list[StartFact]:
        """Jobs that started in ``[since, until)``."""
        ...
