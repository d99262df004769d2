"""The store contract suite: every test here runs against each implementation of the
store port — SQLite, PostgreSQL (a fresh database each) and the in-memory store — and
must pass on all three. Tests use only ``nacc.ports.store`` (``store.unit()``), never SQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from nacc.adapters.store import make_engine, make_sessionmaker
from nacc.adapters.store.memory import MemoryStore
from nacc.adapters.store.sql_store import SqlStore
from nacc.ports.store import Store


@pytest.fixture(params=["sqlite", "postgresql", "memory"])
def kind(request: pytest.FixtureRequest) -> str:
    param: str = request.param
    return param


@pytest.fixture
def store(kind: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    if kind == "memory":
        yield MemoryStore()
        return
    url: str = request.getfixturevalue("fresh_db_url")
    engine: sa.Engine = make_engine(url)
    try:
        yield SqlStore(make_sessionmaker(engine))
    finally:
        engine.dispose()
