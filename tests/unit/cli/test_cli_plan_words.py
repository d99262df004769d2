"""`nacc plan`'s summary lines in Korean and English (``cli.plan._print``): the verdict,
each year, binding rows and relaxations rendered from their codes."""

from __future__ import annotations

import pytest

from nacc.cli import plan
from nacc.cli.say import set_language

PAYLOAD = {
    "objective_krw": 1.5e12, "feasible": False,
    "years": [{"year": 2030, "fleet": {"RNGD": 8}, "bought": {"RNGD": 8}, "leased": {},
               "domestic_share": 0.5}],
    "binding": [{"constraint": "budget[2030]", "code": "plan_binding_budget",
                 "params": {"year": 2030, "saving_krw": 2.5e9},
                 "explanation": "(stored English)"}],
    "infeasible": {"cheapest_relaxation": [
        {"constraint": "budget[2030]", "code": "plan_relax_budget",
         "params": {"amount_krw": 3e9, "year": 2030}, "explanation": "(stored English)"}]},
}  # fmt: skip


@pytest.mark.parametrize(("lang", "lines"), [
    ("en", ["feasible: no  total cost KRW 1,500.0 bn  (2.0 s)",
            "2030: fleet {'RNGD': 8} bought {'RNGD': 8} leased {} domestic at the national "
            "center 50.0%",
            "binding budget[2030]: (stored English)",  # English: the stored text
            "relax: (stored English)"]),
    ("ko", ["실행 가능: 아니요  총비용 1,500.0십억 원  (2.0초)",
            "2030년: 보유 {'RNGD': 8} 구매 {'RNGD': 8} 임차 {} 국가센터 국산 비중 50.0%",
            "제약 budget[2030]: 2030년 예산이 10억 원 늘면 총비용이 25.0억 원 줄어들어요",
            "완화: 2030년 예산 30.0억 원 추가"]),
])  # fmt: skip
def test_the_summary_in_each_language(lang: str, lines: list[str],
                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    set_language(lang)
    try:
        with plan.console.capture() as seen:
            plan._print(PAYLOAD, [], 2.0)
    finally:
        set_language(None)
    assert seen.get().splitlines() == lines


@pytest.mark.parametrize(("lang", "said"), [
    ("en", ["solving 5 years (time limit 60 s)", "solving 5 years (no time limit)",
            "simulating 5 years", "plan: out/plan.json  report: out/report.html"]),
    ("ko", ["5개 연도를 푸는 중이에요 (제한 시간 60초)",
            "5개 연도를 푸는 중이에요 (제한 시간 없음)",
            "5개 연도를 시뮬레이션하는 중이에요",
            "계획: out/plan.json  보고서: out/report.html"]),
])  # fmt: skip
def test_the_progress_and_the_files_in_each_language(lang: str, said: list[str]) -> None:
    set_language(lang)
    try:
        got = [
            plan._word("plan.solving", years=5, limit=plan._word("plan.limit", seconds="60")),
            plan._word("plan.solving", years=5, limit=plan._word("plan.no_limit")),
            plan._word("plan.simulating", years=5),
            plan._word("plan.written", plan="out/plan.json", report="out/report.html"),
        ]
    finally:
        set_language(None)
    assert got == said
