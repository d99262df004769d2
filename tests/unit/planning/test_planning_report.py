"""The plan's report.html: from a shipped template, every value escaped."""

from __future__ import annotations

from pathlib import Path

from nacc.planning.report import write_report
from nacc.planning.solve import PlanResult


def test_markup_in_a_plan_name_or_explanation_is_shown_as_text(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    result = PlanResult(False, "Optimal", 2e9, [], [{"explanation": f"power {evil}"}],
                        [{"explanation": f"relax {evil}"}])  # fmt: skip
    html = write_report(tmp_path, f"nacc plan: {evil}", result, None, []).read_text("utf-8")
    assert "<script>" not in html
    assert "<h1>nacc plan: &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html
    assert "<li>power &lt;script&gt;" in html and "<li>relax &lt;script&gt;" in html
    assert "feasible: <b>False</b>; total cost KRW 2.0 bn" in html


def test_a_stopped_solve_says_so_in_the_report(tmp_path: Path) -> None:
    result = PlanResult(False, "Time limit reached", float("nan"), [], [], limit_reached=True)
    html = write_report(tmp_path, "p", result, None, []).read_text("utf-8")
    assert "<b>stopped:</b> Time limit reached before a plan" in html
    assert "<li>none</li>" in html and "Cheapest relaxation" not in html
