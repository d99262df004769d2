"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from support.pg import migrated_database
from web.world import Portal, serve

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module. Not one per worker (session scope): Playwright's sync
    API keeps its event loop while a browser is open, so the screenshot script's own
    ``sync_playwright`` in a later module fails ("Sync API inside the asyncio loop")."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (Debian: apt-get install chromium; `make install` "
                    "does it as root)")  # fmt: skip
    with sync_api.sync_playwright() as p:
        found = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield found
        found.close()


@pytest.fixture
def portal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Portal]:
    """The portal on SQLite, or on the database kind a test names (``indirect``): a fresh
    database at head, copied from the template migrated once (``support.pg``)."""
    kind = getattr(request, "param", "sqlite")
    with contextmanager(migrated_database)(kind, tmp_path, request) as url:
        yield from serve(url, tmp_path)
