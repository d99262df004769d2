"""Test databases, shared by the store, contract, live and API suites (a pytest plugin
loaded by ``tests/conftest.py``).

Each test gets its own database. On PostgreSQL: ``nacc_test_<random>`` on the server
named by ``NACC_TEST_PG`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``),
either empty (migration tests) or copied from a template migrated once per run
(``CREATE DATABASE ... TEMPLATE``), and dropped afterwards. Where the server cannot be
reached the PostgreSQL half is skipped, saying why. The drops run in background threads
(``Dropper``); the session waits for them at its end. On SQLite: a file in the test's
``tmp_path``, copied from one migrated once per worker process (a copy takes a
millisecond, a migration 0.2-1 s), created 0600 as the service creates its own.
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from nacc.adapters.store import upgrade

PG_ADMIN_URL = os.environ.get("NACC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

_pg_unreachable: str | None = None


def _pg_admin_engine() -> sa.Engine:
    """An autocommit engine on the maintenance database; skips the test if unreachable."""
    global _pg_unreachable
    if _pg_unreachable is not None:
        pytest.skip(_pg_unreachable)
    engine = sa.create_engine(
        PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        engine.dispose()
        first_line = str(error.orig).splitlines()[0] if error.orig else str(error)
        _pg_unreachable = f"PostgreSQL at {PG_ADMIN_URL} unreachable: {first_line}"
        pytest.skip(_pg_unreachable)
    return engine


def _create_database(admin: sa.Engine, template: str | None = None) -> str:
    name = f"nacc_test_{uuid.uuid4().hex[:12]}"
    clause = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{clause}'))
    return name


def _drop_database(admin: sa.Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _pg_url(name: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


class Dropper:
    """Drops the tests' databases in background threads. ``DROP DATABASE`` waits for a
    checkpoint of the whole server: 0.1 s on a quiet one, 1.5-5 s while other suites write
    to it, a wait each PostgreSQL test paid in its teardown. Here the test goes on at once;
    the drops run beside the next tests (concurrent drops share checkpoints) and the session
    waits for the last of them at its end."""

    THREADS = 3

    def __init__(self, admin: sa.Engine) -> None:
        self._admin = admin
        self._names: queue.Queue[str | None] = queue.Queue()
        self.failed: list[str] = []
        self._threads = [threading.Thread(target=self._run, name=f"pg-drop-{i}", daemon=True)
                         for i in range(self.THREADS)]  # fmt: skip
        for thread in self._threads:
            thread.start()

    def drop(self, name: str) -> None:
        self._names.put(name)

    def _run(self) -> None:
        while (name := self._names.get()) is not None:
            try:
                _drop_database(self._admin, name)
            except sa.exc.SQLAlchemyError as error:
                self.failed.append(f"{name}: {error}")

    def close(self) -> None:
        """Wait for every queued drop (each ends; a failed one is reported)."""
        for _ in self._threads:
            self._names.put(None)
        for thread in self._threads:
            thread.join()
        assert not self.failed, f"test databases not dropped: {self.failed}"


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[sa.Engine]:
    admin = _pg_admin_engine()
    yield admin
    admin.dispose()


@pytest.fixture(scope="session")
def pg_dropper(pg_admin: sa.Engine) -> Iterator[Dropper]:
    dropper = Dropper(pg_admin)
    yield dropper
    dropper.close()


@pytest.fixture(scope="session")
def pg_template(pg_admin: sa.Engine) -> Iterator[str]:
    """A database migrated to head once per run; each test gets a copy of it."""
    name = _create_database(pg_admin)
    try:
        upgrade(_pg_url(name))
        yield name
    finally:
        _drop_database(pg_admin, name)


@pytest.fixture
def pg_url(pg_admin: sa.Engine, pg_dropper: Dropper) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped after the test."""
    name = _create_database(pg_admin)
    try:
        yield _pg_url(name)
    finally:
        pg_dropper.drop(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per worker process; tests get copies."""
    path = tmp_path_factory.mktemp("sqlite-template") / "nacc.db"
    upgrade(f"sqlite:///{path}")  # disposes its engine: the WAL is checkpointed and gone
    assert not path.with_name("nacc.db-wal").exists(), "the template's WAL was left behind"
    return path


def sqlite_copy(template: Path, path: Path) -> str:
    """The URL of a copy of the migrated ``template`` at ``path`` (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh SQLite database at head, ``tmp_path / "nacc.db"``: a copy of the template
    (for tests that start an app or a server and do not test the migration itself)."""
    return sqlite_copy(sqlite_template, tmp_path / "nacc.db")


def migrated_database(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, name: str = "nacc.db"
) -> Iterator[str]:
    """The URL of a fresh database at head of ``kind``: SQLite copied from the migrated
    template file (``tmp_path / name``), PostgreSQL copied from the migrated template
    database and dropped afterwards. A generator for fixtures to ``yield from``."""
    if kind == "sqlite":
        yield sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path / name)
        return
    admin: sa.Engine = request.getfixturevalue("pg_admin")
    dropper: Dropper = request.getfixturevalue("pg_dropper")
    name = _create_database(admin, template=request.getfixturevalue("pg_template"))
    try:
        yield _pg_url(name)
    finally:
        dropper.drop(name)


@pytest.fixture
def fresh_db_url(tmp_path: Path, request: pytest.FixtureRequest, kind: str) -> Iterator[str]:
    """A fresh database at head of ``kind`` (``sqlite`` or ``postgresql``)."""
    yield from migrated_database(kind, tmp_path, request)
