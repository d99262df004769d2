"""The order tests run in: the long ones first (a pytest plugin loaded by
``tests/conftest.py``; docs/testing.md).

Each run records every test's time in pytest's cache (``.pytest_cache``); the next run
starts those that took ``LONG_S`` or more first, the slowest first, and with them the
tests marked ``slow`` that no run has measured yet. A fresh clone (CI) has no cache: it
takes the long tests' times from ``tests/long_tests.json`` (checked in; written from a
cache by ``python tests/support/order.py``). The rest keep their order, so module-wide
fixtures are still built once per worker.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

DURATIONS = "nacc/durations"
"""Where the last runs' time per test (setup, call and teardown, in seconds) is kept in
pytest's cache (``.pytest_cache``), so the next run can start the long tests first."""
LONG_S = 5.0
"""A test that took this long is started early (the slowest first)."""
UNMEASURED_SLOW_S = 30.0
"""A test marked ``slow`` that no earlier run measured is taken to take this long."""
RECORDED = Path(__file__).resolve().parents[1] / "long_tests.json"
"""The long tests' times of a recorded run, for a checkout whose cache has none."""


def recorded() -> dict[str, float]:
    """``RECORDED``'s times by test id (none if the file is missing)."""
    if not RECORDED.exists():
        return {}
    found: dict[str, float] = json.loads(RECORDED.read_text())
    return found


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long tests run first, the longest first: those marked ``slow`` (real servers,
    whole replays: 5-40 s each on a busy machine) and those an earlier run measured at
    ``LONG_S`` or more. The rest keep their order (module fixtures are built once). With
    xdist handing out one test at a time (``--maxschedchunk=1`` in pyproject.toml), the two
    workers start the long tests early and the thousand short ones fill in around them,
    instead of one long test ending the run alone. Every xdist worker reads the same
    cache, so all collect the same order (xdist requires it)."""
    cache = getattr(config, "cache", None)
    measured: dict[str, float] = cache.get(DURATIONS, {}) if cache is not None else {}
    known = {**recorded(), **measured}

    def expected(item: pytest.Item) -> float:
        took = known.get(item.nodeid)
        if took is None and item.get_closest_marker("slow") is not None:
            return UNMEASURED_SLOW_S
        return took or 0.0

    longest: dict[object, float] = {}
    for item in items:
        key = _group(item)
        longest[key] = max(longest.get(key, 0.0), expected(item))
    items.sort(key=lambda item: -t if (t := longest[_group(item)]) >= LONG_S else 0.0)


def _group(item: pytest.Item) -> object:
    """Tests that share a module-wide fixture (with the same parameter) move together, so
    it is still built once per worker: its module and those parameters; else the test."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return item.nodeid
    shared = sorted(name for name, defs in info.name2fixturedefs.items()
                    if defs and defs[-1].scope in ("class", "module", "package"))  # fmt: skip
    if not shared:
        return item.nodeid
    params = getattr(getattr(item, "callspec", None), "params", {})
    return (str(item.path), tuple((name, repr(params.get(name))) for name in shared))


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_Recorder(config), "nacc-durations")


class _Recorder:
    """Each test's time, summed over its phases (under xdist: in the controlling process,
    which receives every worker's reports), written to the cache at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.took: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.took[report.nodeid] = self.took.get(report.nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self) -> None:
        cache = getattr(self.config, "cache", None)
        if cache is None or hasattr(self.config, "workerinput") or not self.took:
            return  # an xdist worker: the controlling process records
        known: dict[str, float] = cache.get(DURATIONS, {})
        cache.set(DURATIONS, {**known, **{k: round(v, 2) for k, v in self.took.items()}})


def write_recorded(cache_dir: Path) -> int:
    """Write ``RECORDED`` from the durations in ``cache_dir`` (a ``.pytest_cache``): the
    tests that took ``LONG_S`` or more, by id; how many."""
    took: dict[str, float] = json.loads((cache_dir / "v" / DURATIONS).read_text())
    long = {k: v for k, v in sorted(took.items()) if v >= LONG_S}
    RECORDED.write_text(json.dumps(long, indent=0, sort_keys=True) + "\n")
    return len(long)


if __name__ == "__main__":  # python tests/support/order.py [.pytest_cache]
    print(write_recorded(Path(sys.argv[1] if len(sys.argv) > 1 else ".pytest_cache")))
