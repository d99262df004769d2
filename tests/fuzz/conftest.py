"""A served API per database (SQLite and PostgreSQL), seeded once per module, that the
fuzz tests share: the fuzzer's writes (users, programs, jobs) pile up as they would in a
long-running service."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from server import serve
from world import Served, seed_world

from support.pg import migrated_database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    home = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    database = migrated_database(request.param, home, request)
    try:
        with serve(next(database), home) as (url, svc):
            yield Served(request.param, url, seed_world(svc))
    finally:
        database.close()
