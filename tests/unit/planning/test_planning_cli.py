"""`nacc plan` through the CLI: the shipped plan, its outputs, and a bad planning file."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from typer.testing import CliRunner

from nacc.cli.main import app

ROOT = Path(__file__).resolve().parents[3]
KEYS = {"year", "fleet", "bought", "leased", "domestic_share", "capex_krw", "opex_krw",
        "power_mw"}  # fmt: skip


def test_plan_writes_the_promised_json_and_report(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    r = CliRunner().invoke(app, ["plan", "--scenario", str(ROOT / "scenarios/korea-2026.yaml"),
                                 "--planning", str(ROOT / "planning/korea-2030.yaml"),
                                 "--out", str(out), "--time-limit", "0"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "HiGHS" not in r.output and "stopped" not in r.output
    plan = json.loads((out / "plan.json").read_text())
    assert plan["status"] == "Optimal" and "stopped" not in plan and "infeasible" not in plan
    assert plan["feasible"] is True and plan["objective_krw"] > 0
    assert [y["year"] for y in plan["years"]] == [2026, 2027, 2028, 2029, 2030]
    assert all(set(y) >= KEYS for y in plan["years"])
    assert plan["years"][-1]["domestic_share"] >= 0.5  # the plan's 2030 target
    assert all({"constraint", "shadow_price", "explanation"} <= set(b) for b in plan["binding"])
    for png in ("fleet.png", "domestic_share.png", "power.png", "cost.png"):
        assert (out / png).stat().st_size > 1000
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<h1>nacc plan: " in html and "feasible: <b>True</b>" in html
    for year in plan["years"]:
        assert f"<td>{year['year']}</td>" in html and f"{year['domestic_share']:.1%}" in html
    for b in plan["binding"]:
        assert escape(b["explanation"]) in html
    for png in ("fleet.png", "domestic_share.png", "power.png", "cost.png"):
        assert f'<img src="{png}"' in html


def test_bad_planning_file_names_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = (ROOT / "planning/korea-2030.yaml").read_text().replace("name:", "nmae:", 1)
    bad.write_text(text)
    r = CliRunner().invoke(app, ["plan", "--scenario", str(ROOT / "scenarios/korea-2026.yaml"),
                                 "--planning", str(bad), "--out", str(tmp_path / "o")])  # fmt: skip
    assert r.exit_code == 2
    assert "bad.yaml" in r.output and "nmae" in r.output
    assert not (tmp_path / "o" / "plan.json").exists()
