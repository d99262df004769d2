"""The store port for usage reports: metered usage, job starts and what a project
belongs to (program, organisation, sector), read in one snapshot.

Reports (``nacc.service.usage``) group these facts; the repository only filters by time,
so the sums a report shows are sums of the very rows ``ledger verify`` proves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple, Protocol

from nacc.ports.store_report_groups import UsageGroup, WaitGroup


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


class UsageDay(NamedTuple):
    """A job's metered intervals that start on one UTC day, summed (on one pool and
    accelerator type): what a report needs of them, ~one row per job instead of one per
    interval (a named tuple: a report reads thousands)."""

    job_id: str
    project_id: int
    pool_id: str | None
    accelerator_type: str
    day: date  # the UTC day the intervals start on
    credits: Decimal
    accelerator_seconds: float  # sum of (end - start) x count


class ReportsRepo(Protocol):
    def usage(self, since: datetime | None, until: datetime | None) -> list[UsageFact]:
        """Metered intervals that start in ``[since, until)`` (None: unbounded)."""
        ...

    def usage_days(self, since: datetime | None, until: datetime | None) -> list[UsageDay]:
        """The intervals of ``usage(since, until)`` summed by job, pool, accelerator type
        and the UTC day each starts on; ordered by day, then job."""
        ...

    def usage_overlapping(self, since: datetime, until: datetime) -> list[UsageFact]:
        """Metered intervals that overlap ``[since, until)`` (end after ``since``, start
        before ``until``), ordered by start."""
        ...

    def summarised_by_job(self) -> dict[str, Decimal]:
        """The credits of each job with usage, as the daily summary the reports read
        holds them (``ledger verify`` proves them equal to the intervals'; a store
        that sums the intervals for its reports returns their sums)."""
        ...

    def delivered_by_pool(self) -> dict[str, Decimal]:
        """Metered credits of every job that ran on a pool, summed by pool."""
        ...

    def projects(self) -> list[ProjectFacts]:
        """Every project with its program, organisation and the call's sector tags."""
        ...

    def starts(self, since: datetime | None, until: datetime | None) -> list[StartFact]:
        """Jobs that started in ``[since, until)``."""
        ...

    def usage_groups(self, since: datetime | None, until: datetime | None, period: str,
                     keys: Sequence[str]) -> list[UsageGroup]:  # fmt: skip
        """The intervals of ``usage(since, until)`` summed by ``period`` (one of
        ``PERIOD_KEYS``) and ``keys`` (of ``USAGE_KEYS``), in no particular order
        (``nacc.ports.store_report_groups``)."""
        ...

    def wait_groups(self, since: datetime | None, until: datetime | None, key: str,
                    buckets: Sequence[tuple[int, str]], rest: str) -> list[WaitGroup]:  # fmt: skip
        """The waits of the jobs of ``starts(since, until)`` by ``key`` (of ``WAIT_KEYS``;
        ``size``: the first of ``buckets`` (top, name) the job's accelerators fit, else
        ``rest``), in no particular order."""
        ...
