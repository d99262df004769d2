"""Planning files: the shipped one loads and plans; malformed ones name file and field;
the model reproduces the public arithmetic of FACTS.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from nacc.catalog.throughput import default_model
from nacc.domain.errors import InputError
from nacc.planning import build_problem, load_planning, plan
from nacc.planning.terms import annual_energy_krw, facility_mw, it_mw
from nacc.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "planning" / "korea-2030.yaml"


def _data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_public_power_arithmetic() -> None:
    # FACTS §3a: 18,000 H100-class GPUs at 1.275 kW = 22.95 MW IT; 29.8-34.4 MW at PUE 1.3-1.5
    assert it_mw(18_000, 1.275) == pytest.approx(22.95)
    assert facility_mw(18_000, 1.275, 1.3) == pytest.approx(29.8, abs=0.05)
    assert facility_mw(18_000, 1.275, 1.5) == pytest.approx(34.4, abs=0.05)
    # ... about KRW 48-55 bn a year at 182.7 KRW/kWh
    assert annual_energy_krw(18_000, 1.275, 1.3, 182.7) == pytest.approx(47.7e9, rel=0.01)
    assert annual_energy_krw(18_000, 1.275, 1.5, 182.7) == pytest.approx(55.0e9, rel=0.01)


def test_public_procurement_arithmetic() -> None:
    # FACTS §2b/§3c: KRW 1.46 trn for 13,136 GPUs all-in; KRW 860 bn GPU portion for 10,000
    assert pytest.approx(111e6, rel=0.01) == 1.46e12 / 13_136
    assert pytest.approx(86e6) == 860e9 / 10_000
    assert pytest.approx(82e6, rel=0.01) == 860e9 / 10_456
    spec = load_planning(SHIPPED)
    b200 = next(c for c in spec.chips if c.name == "B200")
    assert b200.price_krw == pytest.approx(860e9 / 10_000)


def test_shipped_plan_is_feasible_and_meets_the_domestic_target() -> None:
    spec = load_planning(SHIPPED)
    problem = build_problem(spec, load_scenario(ROOT / "scenarios" / "korea-2026.yaml"),
                            default_model())  # fmt: skip
    result = plan(problem, time_limit_s=None)  # no wall-clock limit: the same answer under load
    assert (result.status, result.limit_reached, result.stopped) == ("Optimal", False, "")
    assert result.feasible
    last = result.years[-1]
    assert last.year == 2030 and last.domestic_share >= 0.5 - 1e-9
    for y in result.years:
        assert y.capex_krw <= spec.budget_krw[y.year] + 1
        for site, mw in y.power_mw.items():
            assert mw <= y.power_limit_mw[site] + 1e-6
    keys = set(result.to_json())
    assert {"feasible", "objective_krw", "years", "binding"} <= keys


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["chips"][0].update(price_krw="lots"), "chips[0].price_krw"),
        (lambda d: d["chips"][1].update(name="H999"), "chips[1].name"),
        (lambda d: d["sites"][0].update(pue=0.5), "sites[0].pue"),
        (lambda d: d["policy"]["domestic"].update(by_year=2040), "policy.domestic.by_year"),
        (lambda d: d["demand"]["mix"].update(inference=0.9), "demand.mix"),
        (lambda d: d.pop("budget_krw"), "budget_krw"),
        (lambda d: d["sites"][1].update(colour="red"), "sites[1].colour"),
        (lambda d: d["sites"][2]["grid_mw"].pop(2029), "sites[2].grid_mw"),
    ],
)
def test_malformed_files_name_file_and_field(tmp_path: Path, mutate: Any, field: str) -> None:
    data = _data()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(InputError) as info:
        load_planning(path)
    message = str(info.value)
    assert str(path) in message and field in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nyears: [2026\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.yaml:\d+: YAML syntax error"):
        load_planning(path)
