"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from web.world import Portal, serve

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
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
    """The portal on SQLite, or on the database kind a test names (``indirect``)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield from serve(f"sqlite:///{tmp_path / 'nacc.db'}", tmp_path)
    else:
        yield from serve(request.getfixturevalue("pg_url"), tmp_path)
