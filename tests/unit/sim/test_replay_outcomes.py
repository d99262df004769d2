"""Every job's outcome in a Gavel-style replay, pinned: the replay's speed-ups (the
simulator's withdrawn stale completions, ``gavel``'s bookkeeping in arrays) change no
decision.

The run: 150 jobs of ``nacc.sim.traces.generate`` (4.5 jobs/h, seed 3) on
``scenarios/gavel-108.yaml`` (restart cost 0, as the bench's ``bench/gavel_style.py``)
under ``gavel`` and the policies whose code the speed-ups touch only through the
simulator (``fifo``, ``slurm``, ``las``). Per job, the pool, the first start, the end and
the number of preemptions are pinned in ``tests/golden/gavel_style_outcomes.json`` and
compared exactly (the file was made by the code before the speed-ups). ``nacc`` is left
out: its own work moves its outcomes; ``tests/unit/sim/test_golden.py`` pins its metrics.

When a change is meant to move outcomes, regenerate and review the diff::

    NACC_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/sim/test_replay_outcomes.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from nacc.sim import study
from nacc.sim.experiment import SimConfig
from nacc.sim.traces import generate

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "tests" / "golden" / "gavel_style_outcomes.json"
SCENARIO = ROOT / "scenarios" / "gavel-108.yaml"
JOBS, RATE, SEED = 150, 4.5, 3
POLICIES = ("gavel", "fifo", "slurm", "las")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> study.Loaded:
    trace = tmp_path_factory.mktemp("trace") / "gavel.trace"
    generate.write(trace, JOBS, RATE, SEED)
    return study.load(study.StudyInput(SCENARIO, trace, "gavel", sim=SimConfig(seed=SEED)))


def _outcomes(name: str, loaded: study.Loaded) -> list[list[Any]]:
    _, run = study.run_policy(name, loaded, SimConfig(seed=SEED))
    return [
        [str(r.spec.id), str(r.pool_id), r.first_start_s, r.finished_s, r.preemptions]
        for r in sorted(run.jobs, key=lambda r: str(r.spec.id))
    ]


def test_every_job_has_its_pinned_pool_start_end_and_preemptions(loaded: study.Loaded) -> None:
    actual = {name: _outcomes(name, loaded) for name in POLICIES}
    assert sum(job[4] for job in actual["gavel"]) > JOBS  # gavel moves jobs: a real test
    if os.environ.get("NACC_UPDATE_GOLDEN") == "1":
        setup = {"jobs": JOBS, "rate_per_h": RATE, "seed": SEED, "scenario": SCENARIO.name}
        GOLDEN.write_text(json.dumps({"setup": setup, "policies": actual}, indent=1) + "\n")
        return
    golden = json.loads(GOLDEN.read_text())["policies"]
    for name in POLICIES:
        moved = [
            f"{want[0]}: pinned {want[1:]}, got {got[1:]}"
            for want, got in zip(golden[name], actual[name], strict=True)
            if want != got
        ]
        assert not moved, f"{name}: {len(moved)} jobs moved, first: {moved[:3]}"
