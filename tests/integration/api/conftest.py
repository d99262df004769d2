"""Fixtures: the real app over a real database — SQLite and PostgreSQL each fresh, at
head (copied from a template migrated once, ``tests/support/pg.py``; the app's own
migration at start then finds nothing to do)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from nacc.bootstrap import Settings, build_app, first_operator
from nacc.service.context import Services
from support.pg import migrated_database

PG_ADMIN_URL = os.environ.get("NACC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_database() -> Iterator[str]:
    """An empty PostgreSQL database, dropped afterwards (for a module-wide world)."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT",
                             connect_args={"connect_timeout": 3})  # fmt: skip
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        pytest.skip(f"PostgreSQL at {PG_ADMIN_URL} unreachable: {error.orig}")
    name = f"nacc_api_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from migrated_database(request.param, tmp_path, request)


@dataclass
class Api:
    client: TestClient
    svc: Services
    operator: str  # token secret

    def as_(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


def _api(db_url: str, tmp_path: Path, live: bool) -> Iterator[Api]:
    settings = Settings(database_url=db_url, workdir=tmp_path / "jobs",
                        devices={"H100-SXM": 4, "RNGD": 2}, tick_s=0.1, meter_s=0.5)  # fmt: skip
    yield from app_with(settings, live)


def app_with(settings: Settings, live: bool) -> Iterator[Api]:
    """The app on ``settings`` (with its live scheduler if ``live``), an operator, a client."""
    app, svc = build_app(settings, live=live)
    try:
        secret = first_operator(svc, "Ops", "ops@nacc.example")
        with TestClient(app) as client:
            yield Api(client, svc, secret)
    finally:
        svc.sessions.kw["bind"].dispose()


@contextmanager
def live_app(settings: Settings) -> Iterator[Api]:
    """``app_with(settings, live=True)`` for a fixture that yields more beside the app."""
    yield from app_with(settings, live=True)


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[Api]:
    """The app without its live scheduler (programs, people, authorisation)."""
    yield from _api(db_url, tmp_path, live=False)


@pytest.fixture
def live_api(db_url: str, tmp_path: Path) -> Iterator[Api]:
    """The app with its live scheduler running real local processes."""
    yield from _api(db_url, tmp_path, live=True)
