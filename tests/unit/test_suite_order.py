"""The suite's own ordering (``tests/support/order.py``): long tests first, by the times
the last runs recorded in pytest's cache; the rest in their order. Run in an inner
pytest session (pytester) on a tiny suite with a cache written here."""

from __future__ import annotations

import json

import pytest

from support import order

SUITE = """
import pytest

def test_short():
    pass

def test_long():
    pass

def test_longer():
    pass

@pytest.mark.slow
def test_slow_unmeasured():
    pass

def test_also_short():
    pass
"""


def _order(pytester: pytest.Pytester) -> list[str]:
    done = pytester.runpytest("-p", "support.order", "--collect-only", "-q", "-p", "no:xdist")
    return [line.split("::")[1] for line in done.outlines if "::" in line]


def _cache(pytester: pytest.Pytester) -> dict[str, float]:
    found: dict[str, float] = json.loads(
        (pytester.path / ".pytest_cache" / "v" / "nacc" / "durations").read_text()
    )
    return found


def test_the_long_tests_go_first_the_slowest_first(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmarkers = slow: long\n")
    pytester.makepyfile(test_suite=SUITE)
    assert _order(pytester) == [  # no times yet (a fresh clone): only ``slow`` moves
        "test_slow_unmeasured", "test_short", "test_long", "test_longer", "test_also_short"
    ]  # fmt: skip
    times = {"test_short": 0.1, "test_long": 6.0, "test_longer": 9.0,
             "test_slow_unmeasured": 1.0, "test_also_short": 4.9}  # fmt: skip
    cache = pytester.path / ".pytest_cache" / "v" / "nacc"
    cache.mkdir(parents=True)
    (cache / "durations").write_text(
        json.dumps({f"test_suite.py::{name}": s for name, s in times.items()})
    )
    # measured: a ``slow`` test that took 1 s is short; 4.9 s is under LONG_S (5 s)
    assert _order(pytester) == [
        "test_longer", "test_long", "test_short", "test_slow_unmeasured", "test_also_short"
    ]  # fmt: skip


def test_a_fresh_clone_takes_the_long_tests_from_the_recorded_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\nmarkers = slow: long\n")
    pytester.makepyfile(test_suite=SUITE)
    (pytester.path / "long.json").write_text(json.dumps({"test_suite.py::test_longer": 9.0}))
    monkeypatch.setattr(order, "RECORDED", pytester.path / "long.json")
    assert _order(pytester) == [  # no cache: the recorded time counts
        "test_slow_unmeasured", "test_longer", "test_short", "test_long", "test_also_short"
    ]  # fmt: skip
    cache = pytester.path / ".pytest_cache" / "v" / "nacc"
    cache.mkdir(parents=True)
    (cache / "durations").write_text(json.dumps({"test_suite.py::test_longer": 0.1}))
    assert _order(pytester)[1:] == [  # this checkout's own run counts over the recorded
        "test_short", "test_long", "test_longer", "test_also_short"
    ]  # fmt: skip
    (pytester.path / "long.json").unlink()
    assert _order(pytester)[0] == "test_slow_unmeasured"  # no file: as before


def test_the_recorded_file_keeps_the_long_tests_of_a_cache(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = pytester.path / ".pytest_cache"
    (cache / "v" / "nacc").mkdir(parents=True)
    took = {"a.py::test_x": 0.2, "a.py::test_y": order.LONG_S, "b.py::test_z": 31.5}
    (cache / "v" / "nacc" / "durations").write_text(json.dumps(took))
    monkeypatch.setattr(order, "RECORDED", pytester.path / "long.json")
    assert order.write_recorded(cache) == 2
    assert order.recorded() == {"a.py::test_y": order.LONG_S, "b.py::test_z": 31.5}


def test_a_run_records_its_times_and_keeps_the_others(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmarkers = slow: long\n")
    pytester.makepyfile(test_suite=SUITE)
    pytester.runpytest("-p", "support.order", "-p", "no:xdist").assert_outcomes(passed=5)
    recorded = _cache(pytester)
    names = ["test_short", "test_long", "test_longer", "test_slow_unmeasured", "test_also_short"]
    assert sorted(recorded) == sorted(f"test_suite.py::{name}" for name in names)
    assert all(s >= 0 for s in recorded.values())
    pytester.runpytest("-p", "support.order", "-p", "no:xdist", "-k", "test_short")
    assert sorted(_cache(pytester)) == sorted(recorded)  # a partial run forgets nothing


SHARED = """
import pytest

@pytest.fixture(scope="module", params=["a", "b"])
def world(request):
    return request.param

def test_first(world):
    pass

def test_second(world):
    pass

def test_alone():
    pass
"""


def test_tests_sharing_a_module_fixture_move_together(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_shared=SHARED)
    cache = pytester.path / ".pytest_cache" / "v" / "nacc"
    cache.mkdir(parents=True)
    times = {"test_second[b]": 7.0, "test_first[b]": 0.1, "test_alone": 6.0}
    (cache / "durations").write_text(
        json.dumps({f"test_shared.py::{name}": s for name, s in times.items()})
    )
    # [b]'s world is built once: both of its tests go first, in their order
    assert _order(pytester) == [
        "test_first[b]", "test_second[b]", "test_alone", "test_first[a]", "test_second[a]"
    ]  # fmt: skip
