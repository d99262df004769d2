"""Alembic environment for the nacc store.

Run from code by ``nacc.adapters.store.migrate`` (which hands over an open connection in
``config.attributes["connection"]``), or by the ``alembic`` command with a config whose
``sqlalchemy.url`` is set.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from nacc.adapters.store.engine import make_engine
from nacc.adapters.store.tables import Base

target_metadata = Base.metadata


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: set sqlalchemy.url or pass a connection")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run them online")
run_migrations_online()
