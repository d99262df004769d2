"""The demo study `make run` starts: the Philly trace on the Korea 2026 fleet."""

from __future__ import annotations

from pathlib import Path

from nacc.sim.experiment import SimConfig
from nacc.sim.study import StudyInput
from nacc.sim.traces import ReadOptions

_ROOT = Path(__file__).resolve().parents[3]

DEMO_POLICIES = ["fifo", "slurm", "las", "gavel", "nacc"]
DEMO_JOBS = 40_000
DEMO_LOAD_SCALE = 40000.0
DEMO_CYCLE_S = 5.0


def demo_input() -> tuple[StudyInput, list[str]]:
    """Scenario, trace and settings of the demo (files shipped in the repository)."""
    scenario = _ROOT / "scenarios" / "korea-2026.yaml"
    trace = _ROOT / "data" / "traces" / "philly.csv.gz"
    for path in (scenario, trace):
        if not path.exists():
            raise FileNotFoundError(f"demo input {path} is missing (run from a nacc checkout)")
    inp = StudyInput(
        scenario,
        trace,
        "philly",
        ReadOptions(limit=DEMO_JOBS),
        SimConfig(load_scale=DEMO_LOAD_SCALE, cycle_s=DEMO_CYCLE_S),
    )
    return inp, DEMO_POLICIES
