"""The store port: repositories behind one unit of work.

Service and API code see only these protocols and the views the repositories return
(frozen dataclasses), never SQL or ORM rows. ``Store.unit()`` is one transaction:
committed when the block ends, rolled back when it raises, so a refused request changes
nothing. ``Store.snapshot()`` reads one consistent view (``ledger verify``, reports).

Adapters: ``nacc.adapters.store.sql_store.SqlStore`` (SQLite, PostgreSQL) and
``nacc.adapters.store.memory.MemoryStore`` (in memory, for fast service tests); both pass
the contract suite in ``tests/contract/store``.

Repository protocols, one module per area:
- ``nacc.ports.store_jobs``: jobs, projects' funds, the ledger (``jobs``, ``projects``,
  ``ledger``);
- ``nacc.ports.store_people``: people, organisations, tokens, programs, calls, proposals,
  awards (``people``, ``programs``, ``awards``);
- ``nacc.ports.store_scheduler``: what the live scheduler reads and writes in batches
  each tick (``scheduler``);
- ``nacc.ports.store_reports``: the facts usage reports group (``reports``), and the
  groups the store makes of them (``nacc.ports.store_report_groups``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from nacc.ports.store_challenges import ChallengesRepo
from nacc.ports.store_datasets import DatasetsRepo
from nacc.ports.store_jobs import JobsRepo, LedgerRepo, ProjectsRepo
from nacc.ports.store_notices import NoticesRepo
from nacc.ports.store_people import AwardsRepo, PeopleRepo, ProgramsRepo
from nacc.ports.store_reports import ReportsRepo
from nacc.ports.store_reservations import ReservationsRepo
from nacc.ports.store_scheduler import SchedulerRepo


class UnitOfWork(Protocol):
    """The repositories of one transaction."""

    @property
    def jobs(self) -> JobsRepo: ...

    @property
    def projects(self) -> ProjectsRepo: ...

    @property
    def ledger(self) -> LedgerRepo: ...

    @property
    def people(self) -> PeopleRepo: ...

    @property
    def programs(self) -> ProgramsRepo: ...

    @property
    def awards(self) -> AwardsRepo: ...

    @property
    def scheduler(self) -> SchedulerRepo: ...

    @property
    def reports(self) -> ReportsRepo: ...

    @property
    def reservations(self) -> ReservationsRepo: ...

    @property
    def notices(self) -> NoticesRepo: ...

    @property
    def challenges(self) -> ChallengesRepo: ...

    @property
    def datasets(self) -> DatasetsRepo: ...

    def roles_changed(self) -> None:
        """Mark that roles or tokens changed: after commit, callers' caches are dropped."""
        ...


class Store(Protocol):
    """Where the service keeps its state."""

    @property
    def kind(self) -> str:
        """``sqlite``, ``postgresql`` or ``memory``."""
        ...

    def unit(self) -> AbstractContextManager[UnitOfWork]:
        """One read-write transaction."""
        ...

    def snapshot(self) -> AbstractContextManager[UnitOfWork]:
        """One read-only, consistent view (REPEATABLE READ on PostgreSQL)."""
        ...

    def after_roles_changed(self, hook: object) -> None:
        """Run ``hook()`` after each commit that changed roles or tokens."""
        ...

    def auth_generation(self) -> int:
        """A number that grows with every commit that changed roles or revoked a token,
        by any process on this store (read cheaply: once a request)."""
        ...
