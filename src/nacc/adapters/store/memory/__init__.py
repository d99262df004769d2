"""The in-memory store: the store port over Python objects, for fast service tests.

Each unit of work runs on a private copy of the tables under one lock and swaps it in on
commit, so units are serialisable and a unit that raises changes nothing (like the SQL
store). It passes the same contract suite (``tests/contract/store``) as SQLite and
PostgreSQL. Not for production: nothing is kept when the process ends.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

from nacc.adapters.store.memory.challenges import ChallengesTables, MemChallenges
from nacc.adapters.store.memory.datasets import DatasetsTables, MemDatasets
from nacc.adapters.store.memory.jobs import JobsTables, MemJobs, MemProjects
from nacc.adapters.store.memory.ledger import MemLedger
from nacc.adapters.store.memory.notices import MemNotices, NoticesTables
from nacc.adapters.store.memory.people import MemPeople, PeopleTables
from nacc.adapters.store.memory.programs import MemAwards, MemPrograms
from nacc.adapters.store.memory.reports import MemReports
from nacc.adapters.store.memory.reservations import MemReservations, ReservationsTables
from nacc.adapters.store.memory.scheduler import MemScheduler


@dataclass
class Tables:
    """Every table, by area (each area's module defines its own)."""

    jobs: JobsTables = field(default_factory=JobsTables)
    people: PeopleTables = field(default_factory=PeopleTables)
    reservations: ReservationsTables = field(default_factory=ReservationsTables)
    notices: NoticesTables = field(default_factory=NoticesTables)
    challenges: ChallengesTables = field(default_factory=ChallengesTables)
    datasets: DatasetsTables = field(default_factory=DatasetsTables)
    roles_changed: bool = False


class MemUnit:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    @cached_property
    def jobs(self) -> MemJobs:
        return MemJobs(self.tables)

    @cached_property
    def projects(self) -> MemProjects:
        return MemProjects(self.tables)

    @cached_property
    def ledger(self) -> MemLedger:
        return MemLedger(self.tables)

    @cached_property
    def people(self) -> MemPeople:
        return MemPeople(self.tables)

    @cached_property
    def programs(self) -> MemPrograms:
        return MemPrograms(self.tables)

    @cached_property
    def awards(self) -> MemAwards:
        return MemAwards(self.tables)

    @cached_property
    def scheduler(self) -> MemScheduler:
        return MemScheduler(self.tables)

    @cached_property
    def reports(self) -> MemReports:
        return MemReports(self.tables)

    @cached_property
    def reservations(self) -> MemReservations:
        return MemReservations(self.tables.reservations, self.tables.jobs)

    @cached_property
    def datasets(self) -> MemDatasets:
        return MemDatasets(self.tables.datasets)

    @cached_property
    def notices(self) -> MemNotices:
        return MemNotices(self.tables)

    @cached_property
    def challenges(self) -> MemChallenges:
        return MemChallenges(self.tables.challenges)

    def roles_changed(self) -> None:
        self.tables.roles_changed = True


class MemoryStore:
    def __init__(self) -> None:
        self._tables = Tables()
        self._lock = threading.RLock()
        self._hooks: list[Callable[[], None]] = []
        self._generation = 0

    @property
    def kind(self) -> str:
        return "memory"

    def auth_generation(self) -> int:
        return self._generation

    def after_roles_changed(self, hook: object) -> None:
        assert callable(hook)
        self._hooks.append(hook)

    @contextmanager
    def unit(self) -> Iterator[MemUnit]:
        with self._lock:
            work = copy.deepcopy(self._tables)
            yield MemUnit(work)
            changed, work.roles_changed = work.roles_changed, False
            self._tables = work
            self._generation += changed
        if changed:
            for hook in self._hooks:
                hook()

    @contextmanager
    def snapshot(self) -> Iterator[MemUnit]:
        with self._lock:
            yield MemUnit(copy.deepcopy(self._tables))
