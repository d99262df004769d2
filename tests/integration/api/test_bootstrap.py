"""Start-up settings: local device lists and the scenario fleet in miniature."""

from __future__ import annotations

from pathlib import Path

import pytest

from nacc.bootstrap import parse_devices, restart_cost, scenario_pools
from nacc.config import Settings
from nacc.domain.errors import InputError
from nacc.engine.engine import DEFAULT_RESTART_COST_S

ROOT = Path(__file__).resolve().parents[3]
KOREA = ROOT / "scenarios" / "korea-2026.yaml"


def test_scenario_in_miniature_keeps_pools_and_types() -> None:
    pools, ids = scenario_pools(KOREA, 2)
    assert len(pools) == 10 and all(p.count == 2 and p.engine == "local" for p in pools)
    assert {p.accel_type for p in pools} >= {"H100-SXM", "H200", "B200", "GH200", "RNGD"}
    devices = [d for pool in pools for d in ids[pool.id]]
    assert len(devices) == len(set(devices)) == 20
    assert [p.domestic for p in pools if p.accel_type == "RNGD"] == [True]


def test_device_list_parsing_and_errors() -> None:
    assert parse_devices("H100-SXM:4, RNGD:2") == {"H100-SXM": 4, "RNGD": 2}
    with pytest.raises(InputError, match="unknown accelerator 'H100'"):
        parse_devices("H100:4")
    with pytest.raises(InputError, match="TYPE:COUNT"):
        parse_devices("H100-SXM:zero")


def test_live_restart_cost_is_the_scenarios_else_the_engines_default(tmp_path: Path) -> None:
    """The live engine prices a preemption as ``simulate`` does for the same scenario."""
    db = f"sqlite:///{tmp_path}/n.db"
    gavel = Settings(database_url=db, scenario=ROOT / "scenarios" / "gavel-108.yaml")
    korea = Settings(database_url=db, scenario=ROOT / "scenarios" / "korea-2026.yaml")
    assert restart_cost(gavel) == 0.0  # the scenario says restart_cost_s: 0
    assert restart_cost(korea) == DEFAULT_RESTART_COST_S == 30.0
    assert restart_cost(Settings(database_url=db)) == DEFAULT_RESTART_COST_S
