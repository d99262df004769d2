"""`nacc plan --what-if`: the variants are the planning file with one assumption changed,
and their plans move the way the change must move them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from nacc.catalog.throughput import default_model
from nacc.cli.main import app
from nacc.planning import load_planning
from nacc.planning.whatif import delay_grid, variants

ROOT = Path(__file__).resolve().parents[3]
KOREA = ROOT / "planning/korea-2030.yaml"
YEARS = [2026, 2027]


def _domestic(name: str) -> bool:
    return default_model().catalog()[name].domestic


def _small(tmp_path: Path) -> Path:
    """korea-2030 cut to two years, three chips and three sites (solves in about a second)."""
    d = yaml.safe_load(KOREA.read_text(encoding="utf-8"))
    d.update(name="small-whatif", years=YEARS, budget_krw={2026: 400e9, 2027: 600e9})
    d["chips"] = [c for c in d["chips"] if c["name"] in ("B200", "RNGD", "H200")]
    for c in d["chips"]:
        c["available"] = {y: v for y, v in c.get("available", {}).items() if y in YEARS}
    keep = ("haenam-solaseado", "gyeonggi-colo", "ulsan-ai-dc")
    d["sites"] = [s for s in d["sites"] if s["id"] in keep]
    for s in d["sites"]:
        s["grid_mw"] = {y: v for y, v in s["grid_mw"].items() if y in YEARS}
    d["policy"]["domestic"]["by_year"] = 2027
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    return path


def test_each_variant_changes_one_assumption_of_the_file() -> None:
    spec = load_planning(KOREA)
    found = {v.key: v.spec for v in variants(spec, _domestic)}
    assert list(found) == ["base", "budget-10", "budget+10", "npu-price-30", "npu-price+30",
                           "grid-delay:haenam-solaseado"]  # fmt: skip
    assert found["base"] == spec
    for year, krw in spec.budget_krw.items():
        assert found["budget-10"].budget_krw[year] == pytest.approx(krw * 0.9)
        assert found["budget+10"].budget_krw[year] == pytest.approx(krw * 1.1)
    cheap = {c.name: c for c in found["npu-price-30"].chips}
    for chip in spec.chips:
        factor = 0.7 if _domestic(chip.name) else 1.0
        if chip.price_krw is not None:
            assert cheap[chip.name].price_krw == pytest.approx(chip.price_krw * factor)
        if chip.lease is not None:
            assert cheap[chip.name].lease.krw_per_hour == pytest.approx(  # type: ignore[union-attr]
                chip.lease.krw_per_hour * factor
            )
    assert any(_domestic(c.name) for c in spec.chips) and any(
        not _domestic(c.name) for c in spec.chips
    )
    late = {s.id: s for s in found["grid-delay:haenam-solaseado"].sites}
    # haenam's file: 2026: 3, 2027: 20, 2028: 35, 2029: 70, 2030: 116 -> a year later
    assert late["haenam-solaseado"].grid_mw == {2026: 3, 2027: 3, 2028: 20, 2029: 35, 2030: 70}
    assert all(late[s.id] == s for s in spec.sites if s.id != "haenam-solaseado")


def test_a_grid_delay_of_two_years_and_an_unknown_site() -> None:
    spec = load_planning(KOREA)
    two = {s.id: s for s in delay_grid(spec, "ulsan-ai-dc", 2).sites}
    assert two["ulsan-ai-dc"].grid_mw == {2026: 0, 2027: 0, 2028: 0, 2029: 0, 2030: 10}
    with pytest.raises(ValueError, match=r"unknown site 'nowhere'.*haenam-solaseado"):
        variants(spec, _domestic, ["nowhere"])


def test_what_if_table_files_and_the_direction_of_each_change(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["--lang", "ko", "plan", "--scenario",
                                 str(ROOT / "scenarios/korea-2026.yaml"), "--planning",
                                 str(_small(tmp_path)), "--out", str(out), "--time-limit", "0",
                                 "--what-if", "--delay-site", "ulsan-ai-dc"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "가정 바꿔 보기: 변형 6가지의 계획" in r.output and "예산 -10%" in r.output
    assert "솔버: Optimal" in r.output and "국가센터 부지의 국산 칩 비중" in r.output
    rows = {
        row["variant"]: row for row in json.loads((out / "whatif.json").read_text())["variants"]
    }
    assert list(rows) == ["base", "budget-10", "budget+10", "npu-price-30", "npu-price+30",
                          "grid-delay:ulsan-ai-dc"]  # fmt: skip
    assert rows["npu-price+30"]["label"] == "국산 칩 가격 +30%"
    assert rows["grid-delay:ulsan-ai-dc"]["label"] == "ulsan-ai-dc 전력망 1년 지연"
    base = rows["base"]
    assert base["outcome"] == "feasible" and base["change"] == 0.0
    slack = 1e-3  # the solver stops within --mip-gap (1e-4) of the best plan
    # what costs less cannot make the best plan dearer, what costs more cannot make it cheaper
    assert rows["npu-price-30"]["cost_krw"] <= base["cost_krw"] * (1 + slack)
    assert rows["npu-price+30"]["cost_krw"] >= base["cost_krw"] * (1 - slack)
    for looser in ("budget+10",):
        assert rows[looser]["cost_krw"] <= base["cost_krw"] * (1 + slack)
    for tighter in ("budget-10", "grid-delay:ulsan-ai-dc"):
        row = rows[tighter]
        assert row["outcome"] != "feasible" or row["cost_krw"] >= base["cost_krw"] * (1 - slack)
    with (out / "whatif.csv").open(encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert [t["variant"] for t in table] == list(rows) and table[1]["label"] == "예산 -10%"
    assert (out / "whatif.png").stat().st_size > 1000
    solver = json.loads((out / "plan.json").read_text())["solver"]
    assert solver["status"] == "Optimal" and 0 <= solver["gap"] <= 1e-4
    assert solver["bound"] <= solver["objective"] * (1 + 1e-9)


def test_a_delay_site_needs_what_if_and_a_bad_gap_is_refused(tmp_path: Path) -> None:
    base = ["plan", "--scenario", str(ROOT / "scenarios/korea-2026.yaml"), "--planning",
            str(_small(tmp_path)), "--out", str(tmp_path / "o")]  # fmt: skip
    r = CliRunner().invoke(app, [*base, "--delay-site", "ulsan-ai-dc"])
    assert r.exit_code == 2 and "--delay-site: only with --what-if" in r.output
    r = CliRunner().invoke(app, [*base, "--mip-gap", "0.9"])
    assert r.exit_code == 2 and "--mip-gap" in r.output
    assert not (tmp_path / "o" / "plan.json").exists()
