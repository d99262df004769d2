"""Which database, and an engine for it.

``NACC_DATABASE_URL`` picks the database (e.g. ``postgresql+psycopg://postgres@127.0.0.1/nacc``);
without it nacc uses an embedded SQLite file, ``$NACC_HOME/nacc.db`` (``NACC_HOME``
defaults to ``~/.local/share/nacc``), created on first use.

SQLite runs with foreign keys ON, WAL journal, a 30 s busy timeout, and every transaction
opened with ``BEGIN IMMEDIATE``: transactions are serialised, so a read-then-write (a
balance check before a posting) cannot be overtaken, and no write fails half-way with
``database is locked``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

ENV_URL = "NACC_DATABASE_URL"
ENV_HOME = "NACC_HOME"


def default_sqlite_path(env: Mapping[str, str]) -> Path:
    """Where the embedded database lives when no URL is configured."""
    home = env.get(ENV_HOME) or str(Path.home() / ".local" / "share" / "nacc")
    return Path(home) / "nacc.db"


def database_url(env: Mapping[str, str] | None = None) -> str:
    """``NACC_DATABASE_URL`` if set, else the default SQLite file's URL."""
    env = os.environ if env is None else env
    url = env.get(ENV_URL, "").strip()
    if url:
        return url
    return f"sqlite:///{default_sqlite_path(env)}"


def normalise_url(url: str | URL) -> URL:
    """Parse ``url``; a bare ``postgresql://`` gets the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url`` with nacc's settings for its backend."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    kwargs.setdefault("pool_recycle", 1800)  # no pre-ping: it costs a round trip per request
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    return sa.create_engine(parsed, **kwargs)


def warm_pool(engine: Engine, connections: int) -> None:
    """Open ``connections`` pooled connections now (they stay in the pool), so the first
    requests after start-up do not each pay for a new database connection."""
    held = [engine.raw_connection() for _ in range(connections)]  # no transaction begun
    for connection in held:
        connection.close()  # back to the pool, still open


def lock_key(name: str) -> int:
    """The 64-bit advisory-lock key of a lock name (stable across processes)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def database_lock(
    engine: Engine, name: str, on_wait: Callable[[], None] | None = None
) -> Iterator[Callable[[], bool]]:
    """Hold the database-wide exclusive lock ``name`` for the block, waiting for it if
    another process holds it (``on_wait`` is called once, first). Yields ``held()``:
    False once the lock is lost, and then the holder must stop. PostgreSQL: a session
    advisory lock on a connection kept open, released when that connection ends (the
    holder's crash, a server restart, ``pg_terminate_backend``), so ``held`` asks that
    connection whether it is still alive. SQLite: a file on one machine; callers hold a
    file lock instead, and this does nothing."""
    if engine.dialect.name != "postgresql":
        yield lambda: True
        return
    key = {"k": lock_key(name)}
    with engine.connect() as conn:
        if not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), key).scalar():
            if on_wait is not None:
                on_wait()
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), key)
        conn.commit()

        def held() -> bool:
            try:
                conn.execute(sa.text("SELECT 1"))
                conn.commit()
            except sa.exc.DBAPIError:
                return False
            return True

        try:
            yield held
        finally:
            with suppress(sa.exc.DBAPIError):  # a lost connection has released it already
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), key)
                conn.commit()


def read_one_snapshot(session: Session) -> None:
    """Make the session's (not yet begun) transaction read from one snapshot, so a report
    of several queries is consistent while others write: REPEATABLE READ on PostgreSQL
    (its default, READ COMMITTED, gives each statement its own); SQLite's transactions
    are serialised already."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (handy for API responses)."""
    return sessionmaker(engine, expire_on_commit=False)


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        _private_file(Path(database).expanduser())
    connect_args = {"check_same_thread": False, "timeout": 30.0}
    connect_args.update(kwargs.pop("connect_args", {}))
    engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
    sa.event.listen(engine, "connect", _on_sqlite_connect)
    sa.event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _private_file(path: Path) -> None:
    """Create the database file readable by its owner only (0600; SQLite gives its -wal
    and -shm files the same mode): jobs run on this host under other accounts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event own transactions (pysqlite's own BEGIN is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
