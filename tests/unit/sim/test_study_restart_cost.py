"""The checkpoint/restart cost comes from the flag, else the scenario, else 30 s."""

from __future__ import annotations

from pathlib import Path

from nacc.scenario import load_scenario
from nacc.sim import study
from nacc.sim.experiment import SimConfig

ROOT = Path(__file__).resolve().parents[3]
TRACE = ROOT / "tests" / "fixtures" / "traces" / "max_min_fairness.trace"


def test_shipped_scenarios_declare_restart_cost() -> None:
    assert load_scenario(ROOT / "scenarios" / "gavel-108.yaml").restart_cost_s == 0
    assert load_scenario(ROOT / "scenarios" / "korea-2026.yaml").restart_cost_s is None


def _avg_jct(cfg: SimConfig) -> tuple[float, int]:
    inp = study.StudyInput(ROOT / "scenarios" / "gavel-108.yaml", TRACE, "gavel", sim=cfg)
    res, _ = study.run_policy("gavel", study.load(inp), cfg)
    return res["avg_jct_s"], res["preemptions"]


def test_scenario_cost_applies_unless_flag_overrides() -> None:
    from_scenario, moves = _avg_jct(SimConfig())
    assert moves > 0  # gavel moves jobs between rounds, so the cost matters
    assert _avg_jct(SimConfig(restart_cost_s=0.0))[0] == from_scenario
    assert _avg_jct(SimConfig(restart_cost_s=600.0))[0] > from_scenario
