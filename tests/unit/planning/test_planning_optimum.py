"""Small planning problems with hand-checked optima, and plans that satisfy every row."""

from __future__ import annotations

import math
import random

import pytest

from nacc.planning.milp import Program, solve
from nacc.planning.problem import ChipData, Problem, SiteData
from nacc.planning.solve import plan

HPM, UTIL = 730.0, 0.7


def _problem(
    chips: list[ChipData],
    sites: list[SiteData],
    demand: dict[tuple[int, str], float],
    budget: dict[int, float],
    years: list[int],
    **kw: object,
) -> Problem:
    return Problem(
        years=years, lifetime=5, hours_per_month=HPM, utilisation=UTIL, demand=demand,
        budget=budget, chips={c.name: c for c in chips}, sites={s.id: s for s in sites},
        existing={}, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def _site(sid: str = "s", mw: float = 100.0, capital: bool = False, nc: bool = True) -> SiteData:
    return SiteData(sid, capital, nc, 1.3, 182.7, {y: mw for y in range(2026, 2031)})


def test_one_chip_one_site_one_year_buys_ceil_of_demand() -> None:
    chip = ChipData("H100-SXM", False, 1.275, {"training": 1.0}, price_krw=50e6)
    demand = 1_000_000.0
    result = plan(_problem([chip], [_site()], {(2026, "training"): demand}, {2026: 1e13}, [2026]))
    assert result.feasible
    expected = math.ceil(demand / (1.0 * HPM * UTIL))
    assert result.years[0].bought == {"H100-SXM": expected}
    assert result.years[0].capex_krw == pytest.approx(expected * 50e6)


def test_cheaper_per_credit_chip_wins() -> None:
    fast = ChipData("B200", False, 1.79, {"training": 2.0}, price_krw=80e6)  # 40 M per credit/h
    slow = ChipData("H100-SXM", False, 1.275, {"training": 1.0}, price_krw=50e6)
    demand = {(2026, "training"): 2.0 * HPM * UTIL * 100}
    result = plan(_problem([fast, slow], [_site()], demand, {2026: 1e13}, [2026]))
    assert result.years[0].bought == {"B200": 100}


def test_power_limit_binds_and_has_a_shadow_price() -> None:
    b200 = ChipData("B200", False, 1.79, {"training": 2.0}, price_krw=80e6)
    h100 = ChipData("H100-SXM", False, 1.275, {"training": 1.0}, price_krw=30e6)
    tight = _site("small", mw=1.0)
    big = _site("far", mw=100.0)
    far = SiteData("far", False, True, 1.3, 400.0, big.usable_mw)  # dear energy
    demand = {(2026, "training"): 2.0 * HPM * UTIL * 1000}
    result = plan(_problem([b200, h100], [tight, far], demand, {2026: 1e13}, [2026]))
    assert result.feasible
    assert result.years[0].power_mw["small"] <= 1.0 + 1e-9
    names = [b["constraint"] for b in result.binding]
    assert "power[small,2026]" in names
    power = next(b for b in result.binding if b["constraint"] == "power[small,2026]")
    assert power["shadow_price"] < 0 and "1 MW more" in power["explanation"]


def test_npu_serves_only_serving_demand() -> None:
    npu = ChipData("RNGD", True, 0.375, {"serving": 0.5}, price_krw=1e6)
    gpu = ChipData("H100-SXM", False, 1.275, {"training": 1.0, "serving": 1.0}, price_krw=50e6)
    per = HPM * UTIL
    demand = {(2026, "training"): per * 10, (2026, "serving"): per * 10}
    result = plan(_problem([npu, gpu], [_site()], demand, {2026: 1e13}, [2026]))
    assert result.years[0].bought == {"H100-SXM": 10, "RNGD": 20}


def test_infeasible_targets_are_explained() -> None:
    chip = ChipData("H100-SXM", False, 1.275, {"training": 1.0}, price_krw=50e6)
    demand = {(2026, "training"): HPM * UTIL * 100}
    result = plan(_problem([chip], [_site()], demand, {2026: 1e9}, [2026]))  # 20 units only
    assert not result.feasible
    out = result.to_json()
    assert out["infeasible"]["conflicting"]
    budget = [r for r in result.relaxations if r["constraint"] == "budget[2026]"]
    assert budget and budget[0]["amount"] == pytest.approx(80 * 50e6, rel=1e-3)
    alone = {a["relax"]: a for a in result.alternatives}
    assert alone["budget"]["sufficient"] and not alone["power"]["sufficient"]


def _check(problem: Problem, result_years: list, tol: float = 1e-6) -> None:  # type: ignore[type-arg]
    for y in result_years:
        cap: dict[str, float] = {}
        for chip, n in y.fleet.items():
            for g, r in problem.chips[chip].rate.items():
                cap[g] = cap.get(g, 0.0) + n * r * HPM * UTIL
        total = sum(cap.values())
        assert total + tol >= sum(v for (yy, _), v in problem.demand.items() if yy == y.year)
        for g in ("training",):
            need = problem.demand.get((y.year, g), 0.0)
            have = sum(
                n * problem.chips[c].rate.get(g, 0.0) * HPM * UTIL for c, n in y.fleet.items()
            )
            assert have + tol >= need
        for s, mw in y.power_mw.items():
            assert mw <= y.power_limit_mw[s] + tol
        assert y.capex_krw <= problem.budget[y.year] + 1.0
        start, share = problem.domestic_from, problem.domestic_share
        if share is not None and start is not None and y.year >= start:
            assert y.domestic_share + 1e-9 >= share


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_plans_satisfy_every_constraint(seed: int) -> None:
    rng = random.Random(seed)
    years = [2026, 2027, 2028]
    chips = [
        ChipData("B200", False, 1.79, {"training": 2.3, "serving": 2.3},
                 price_krw=rng.uniform(60e6, 100e6)),
        ChipData("H200", False, 1.275, {"training": 1.0, "serving": 1.4},
                 price_krw=rng.uniform(40e6, 70e6)),
        ChipData("RNGD", True, 0.375, {"serving": 0.45}, price_krw=rng.uniform(5e6, 30e6)),
    ]  # fmt: skip
    sites = [_site("a", rng.uniform(2, 10)), _site("b", rng.uniform(2, 10), capital=True, nc=False)]
    base = rng.uniform(0.5e6, 1.5e6)
    demand = {(y, g): base * 1.3 ** (y - 2026) * s for y in years
              for g, s in (("training", 0.7), ("serving", 0.3))}  # fmt: skip
    budget = {y: 1e12 for y in years}
    problem = _problem(chips, sites, demand, budget, years, domestic_share=0.3,
                       domestic_from=2028, outside_share=0.5)  # fmt: skip
    result = plan(problem)
    if result.feasible:
        _check(problem, result.years)
    else:
        assert result.relaxations


def test_milp_wrapper_reads_duals_of_a_tiny_lp() -> None:
    prog = Program()
    x = prog.var("x", cost=3.0)
    prog.row("need", "demand", {x: 1.0}, lower=4.0)
    sol = solve(prog, relax=True)
    assert sol.optimal and sol.x[0] == pytest.approx(4.0)
    assert sol.duals[0] == pytest.approx(3.0)


def _small_infeasible() -> Problem:
    chip = ChipData("H100-SXM", False, 1.275, {"training": 1.0}, price_krw=50e6)
    demand = {(2026, "training"): HPM * UTIL * 100}
    return _problem([chip], [_site()], demand, {2026: 1e9}, [2026])  # budget: 20 units only


def test_a_solver_limit_is_reported_as_a_limit_never_as_infeasible() -> None:
    # A feasible plan, but no branch-and-bound node allowed: HiGHS stops before it has a
    # plan, whatever the machine's load.
    chip = ChipData("H100-SXM", False, 1.275, {"training": 1.0}, price_krw=50e6)
    problem = _problem([chip], [_site()], {(2026, "training"): 1e6}, {2026: 1e13}, [2026])
    assert plan(problem, time_limit_s=None).feasible
    result = plan(problem, time_limit_s=None, node_limit=0)
    assert result.limit_reached and not result.feasible
    assert "limit reached" in result.stopped and "does not mean the targets conflict" in (
        result.stopped
    )
    out = result.to_json()
    assert "infeasible" not in out and out["stopped"]["message"] == result.stopped
    assert result.relaxations == [] and result.alternatives == []
    assert out["objective_krw"] is None  # no plan found: no cost, and no NaN in the JSON


def test_a_finished_solve_is_not_marked_stopped() -> None:
    result = plan(_small_infeasible(), time_limit_s=None)
    assert not result.limit_reached and result.stopped == "" and "stopped" not in result.to_json()
    assert result.to_json()["infeasible"]["conflicting"] == ["budget[2026]"]
