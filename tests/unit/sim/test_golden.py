"""Golden simulator run: pinned metrics of a real Philly slice on a scaled Korea 2026 fleet.

The run: ``tests/fixtures/traces/philly_slice.csv`` (300 real Philly rows, format
``philly``) on ``scenarios/korea-2026.yaml`` with every pool scaled by ``FACTOR`` (about 125
accelerators) and arrivals compressed by ``LOAD_SCALE``, so queues build and preemptive
policies preempt, under every built-in policy. The metrics are pinned in
``tests/golden/philly_slice_korea.json`` and compared with ``pytest.approx(rel=1e-9)``.

A change to the engine, a policy, the throughput model, the trace reader, the scenario or
the metrics that moves any number fails this test. When the change is intended, regenerate
the file and review its diff before committing::

    NACC_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/sim/test_golden.py

With ``NACC_UPDATE_GOLDEN=1`` the test rewrites the file instead of comparing (and passes).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from nacc.catalog.throughput import default_model
from nacc.scenario import load_scenario, scale_counts
from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim import study
from nacc.sim.experiment import SimConfig
from nacc.sim.traces import read_trace

ROOT = Path(__file__).resolve().parents[3]
TRACE = "tests/fixtures/traces/philly_slice.csv"
SCENARIO = "scenarios/korea-2026.yaml"
GOLDEN = ROOT / "tests" / "golden" / "philly_slice_korea.json"
FACTOR = 0.005
LOAD_SCALE = 30.0
PINNED = (
    "completed",
    "avg_jct_s",
    "p50_jct_s",
    "p99_jct_s",
    "avg_queue_s",
    "makespan_s",
    "jain_fairness",
    "credits",
    "domestic_share",
    "lower_bound_avg_jct_s",
    "preemptions",
)
# Timing and other run-specific numbers that legitimately differ between two equal runs.
NOT_DETERMINISTIC = {"wall_s", "events_per_s"}
POLICIES = builtin_policies().names()


def _setup() -> dict[str, Any]:
    return {
        "trace": TRACE,
        "format": "philly",
        "scenario": SCENARIO,
        "scale_counts": FACTOR,
        "load_scale": LOAD_SCALE,
        "seed": 0,
    }


@pytest.fixture(scope="module")
def loaded() -> study.Loaded:
    scenario = scale_counts(load_scenario(ROOT / SCENARIO), FACTOR)
    trace = read_trace(ROOT / TRACE, "philly")
    return study.Loaded(scenario.domain_pools(), trace, default_model())


def _run(name: str, loaded: study.Loaded) -> dict[str, Any]:
    result, _ = study.run_policy(name, loaded, SimConfig(load_scale=LOAD_SCALE, seed=0))
    return result


def test_golden_metrics_of_every_builtin_policy(loaded: study.Loaded) -> None:
    results = {name: _run(name, loaded) for name in POLICIES}
    for name, res in results.items():
        # The slice must keep exercising the scheduler: jobs queue under every policy.
        assert res["avg_queue_s"] > 0, f"{name}: no job queued; the golden run tests nothing"
        assert res["completed"] == res["jobs"] == 300
    actual = {name: {k: res[k] for k in PINNED} for name, res in results.items()}
    if os.environ.get("NACC_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        payload = {"setup": _setup(), "policies": actual}
        GOLDEN.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
        return
    golden = json.loads(GOLDEN.read_text())
    hint = "intended? regenerate with NACC_UPDATE_GOLDEN=1 (see the module docstring)"
    assert golden["setup"] == _setup(), f"golden file made with another setup; {hint}"
    assert sorted(golden["policies"]) == sorted(actual), f"policy set changed; {hint}"
    mismatches = [
        f"{name}.{key}: pinned {golden['policies'][name][key]!r}, got {value!r}"
        for name, metrics in actual.items()
        for key, value in metrics.items()
        if value != pytest.approx(golden["policies"][name][key], rel=1e-9)
    ]
    assert not mismatches, "golden metrics moved; " + hint + "\n" + "\n".join(mismatches)


def test_golden_run_shows_policy_differences(loaded: study.Loaded) -> None:
    """Guard the setup itself: preemptive policies preempt, domestic pools get work."""
    results = {name: _run(name, loaded) for name in ("fifo", "las")}
    assert results["fifo"]["preemptions"] == 0
    assert results["las"]["preemptions"] > 0
    assert results["fifo"]["avg_jct_s"] != results["las"]["avg_jct_s"]
    assert results["fifo"]["domestic_share"] > 0


@pytest.mark.parametrize("name", POLICIES)
def test_golden_run_is_deterministic(name: str, loaded: study.Loaded) -> None:
    first, second = _run(name, loaded), _run(name, loaded)
    for res in (first, second):
        for key in NOT_DETERMINISTIC:
            res.pop(key)
    assert first == second
