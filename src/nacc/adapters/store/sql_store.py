"""The SQL implementation of the store port (SQLite and PostgreSQL).

``SqlStore.unit()`` opens one session and transaction; the unit's repositories share it.
Repository classes live beside their functions: ``sql_jobs`` (jobs, projects, ledger),
``sql_people`` (people, programs), ``sql_scheduler`` (the live scheduler's batches).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from nacc.adapters.store.engine import read_one_snapshot
from nacc.adapters.store.repos_people import ROLES_CHANGED
from nacc.adapters.store.sql_challenges import SqlChallenges
from nacc.adapters.store.sql_datasets import SqlDatasets
from nacc.adapters.store.sql_jobs import SqlJobs, SqlLedger, SqlProjects
from nacc.adapters.store.sql_notices import SqlNotices
from nacc.adapters.store.sql_people import SqlAwards, SqlPeople, SqlPrograms
from nacc.adapters.store.sql_reports import SqlReports
from nacc.adapters.store.sql_reservations import SqlReservations
from nacc.adapters.store.sql_scheduler import SqlScheduler
from nacc.adapters.store.tables_identity import AuthGeneration


class SqlUnit:
    """The repositories of one SQL transaction (``session`` is for adapters only)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @cached_property
    def jobs(self) -> SqlJobs:
        return SqlJobs(self.session)

    @cached_property
    def projects(self) -> SqlProjects:
        return SqlProjects(self.session)

    @cached_property
    def ledger(self) -> SqlLedger:
        return SqlLedger(self.session)

    @cached_property
    def people(self) -> SqlPeople:
        return SqlPeople(self.session)

    @cached_property
    def programs(self) -> SqlPrograms:
        return SqlPrograms(self.session)

    @cached_property
    def awards(self) -> SqlAwards:
        return SqlAwards(self.session)

    @cached_property
    def scheduler(self) -> SqlScheduler:
        return SqlScheduler(self.session)

    @cached_property
    def reports(self) -> SqlReports:
        return SqlReports(self.session)

    @cached_property
    def reservations(self) -> SqlReservations:
        return SqlReservations(self.session)

    @cached_property
    def notices(self) -> SqlNotices:
        return SqlNotices(self.session)

    @cached_property
    def challenges(self) -> SqlChallenges:
        return SqlChallenges(self.session)

    @cached_property
    def datasets(self) -> SqlDatasets:
        return SqlDatasets(self.session)

    def roles_changed(self) -> None:
        self.session.info[ROLES_CHANGED] = True


_BUMP = (sa.update(AuthGeneration).where(AuthGeneration.id == 1)
         .values(generation=AuthGeneration.generation + 1))  # fmt: skip
_READ = sa.select(AuthGeneration.generation).where(AuthGeneration.id == 1)
_READ_SQL = "SELECT generation FROM auth_generation WHERE id = 1"


class SqlStore:
    """A store over a SQLAlchemy session factory."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._hooks: list[Callable[[], None]] = []

    @property
    def kind(self) -> str:
        return str(self.sessions.kw["bind"].dialect.name)

    def after_roles_changed(self, hook: object) -> None:
        assert callable(hook)
        self._hooks.append(hook)

    @contextmanager
    def unit(self) -> Iterator[SqlUnit]:
        with self.sessions.begin() as session:
            yield SqlUnit(session)
            if session.info.get(ROLES_CHANGED):  # in the same commit as the change
                session.execute(_BUMP)
        if session.info.pop(ROLES_CHANGED, False):
            for hook in self._hooks:
                hook()

    def auth_generation(self) -> int:
        """The revocation generation (see ``tables_identity.AuthGeneration``): one read
        outside any unit, so that on SQLite it takes no write lock (every unit does)."""
        engine = self.sessions.kw["bind"]
        if engine.dialect.name == "sqlite":  # autocommit (engine.py): a plain WAL read
            raw = engine.raw_connection()
            try:
                row = raw.cursor().execute(_READ_SQL).fetchone()
            finally:
                raw.close()
        else:  # no transaction to begin and roll back: one round trip (~1 ms, not ~2)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                row = conn.execute(_READ).first()
        return int(row[0]) if row else 0

    @contextmanager
    def snapshot(self) -> Iterator[SqlUnit]:
        with self.sessions.begin() as session:
            read_one_snapshot(session)
            yield SqlUnit(session)
