"""Start-up settings: local device lists and the scenario fleet in miniature."""

from __future__ import annotations

from pathlib import Path

import pytest

from nacc.bootstrap import parse_devices, scenario_pools
from nacc.domain.errors import InputError

KOREA = Path(__file__).resolve().parents[3] / "scenarios" / "korea-2026.yaml"


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
