"""The planner's explanations are reason codes with parameters: the same sentence in
English as before codes, and in Korean with money in 억/조 원."""

from __future__ import annotations

from test_planning_optimum import HPM, UTIL, _problem, _site

from nacc.i18n.format import money
from nacc.planning.explain import text_in
from nacc.planning.problem import ChipData, SiteData
from nacc.planning.solve import plan


def test_a_binding_power_row_in_english_and_korean() -> None:
    b200 = ChipData("B200", False, 1.79, {"training": 2.0}, price_krw=80e6)
    h100 = ChipData("H100-SXM", False, 1.275, {"training": 1.0}, price_krw=30e6)
    far = SiteData("far", False, True, 1.3, 400.0, _site("far", mw=100.0).usable_mw)
    demand = {(2026, "training"): 2.0 * HPM * UTIL * 1000}
    result = plan(_problem([b200, h100], [_site("small", mw=1.0), far], demand, {2026: 1e13},
                           [2026]))  # fmt: skip
    power = next(b for b in result.binding if b["constraint"] == "power[small,2026]")
    saving = power["params"]["saving_krw"]
    assert power["code"] == "plan_binding_power"
    assert power["explanation"] == (f"1 MW more usable grid power at small in 2026 would save "
                                    f"{money(saving, 'en')}")  # fmt: skip
    assert text_in(power, "en") == power["explanation"]
    assert text_in(power, "ko") == (f"2026년 small의 사용 가능한 전력이 1 MW 늘면 "
                                    f"{money(saving, 'ko')} 절감돼요")  # fmt: skip


def test_a_relaxation_in_korean() -> None:
    chip = ChipData("H100-SXM", False, 1.275, {"training": 1.0}, price_krw=50e6)
    demand = {(2026, "training"): HPM * UTIL * 100}
    result = plan(_problem([chip], [_site()], demand, {2026: 1e9}, [2026]))
    budget = next(r for r in result.relaxations if r["constraint"] == "budget[2026]")
    assert budget["explanation"] == f"{money(budget['amount'], 'en')} more budget in 2026"
    assert text_in(budget, "ko") == f"2026년 예산 {money(budget['amount'], 'ko')} 추가"
    assert text_in({"explanation": "old text"}, "ko") == "old text"  # a plan.json from before


def test_money_reads_as_people_say_it() -> None:
    assert [money(v, "en") for v in (12_345, 4.5e6, 1.234e9, 4.5e12)] == [
        "KRW 12,345", "KRW 4.5 M", "KRW 1.23 bn", "KRW 4.50 trn"]  # fmt: skip
    assert [money(v, "ko") for v in (9_000, 4.5e6, 1.234e9, 4.5e12)] == [
        "9,000원", "450만 원", "12.3억 원", "4.50조 원"]  # fmt: skip
