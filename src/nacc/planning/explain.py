"""Plain-words explanations: shadow prices of binding rows, and relaxations of targets."""

from __future__ import annotations

from typing import Any

from nacc.planning.extract import decisions, fleet_at
from nacc.planning.formulate import BN, OBJ_UNIT
from nacc.planning.milp import Program, Row, Solution
from nacc.planning.problem import Problem
from nacc.planning.shares import weight

DUAL_TOL = 1e-7
_EXPLAINED = ("power", "budget", "demand", "domestic", "outside", "availability")


def krw(value: float) -> str:
    """``KRW 1.23 bn`` / ``KRW 4.5 M`` / ``KRW 12,345``."""
    size = abs(value)
    if size >= 1e12:
        return f"KRW {value / 1e12:,.2f} trn"
    if size >= 1e9:
        return f"KRW {value / 1e9:,.2f} bn"
    if size >= 1e6:
        return f"KRW {value / 1e6:,.1f} M"
    return f"KRW {value:,.0f}"


def tight(row: Row, activity: float) -> bool:
    """Whether the MIP plan meets ``row`` at (or within 1% of) one of its bounds."""
    for bound in (row.lower, row.upper):
        if abs(bound) != float("inf") and abs(activity - bound) <= 0.01 * abs(bound) + 0.05:
            return True
    return False


def binding_rows(
    problem: Problem, prog: Program, relax: Solution, x: list[float], activity: list[float]
) -> list[dict[str, Any]]:
    """Rows tight in the MIP plan with a non-zero dual in the LP relaxation, largest
    effect first (a row the plan leaves slack is not reported, whatever its dual)."""
    out: list[tuple[float, dict[str, Any]]] = []
    for i, row in enumerate(prog.rows):
        dual = relax.duals[i]
        if row.kind not in _EXPLAINED or abs(dual) <= DUAL_TOL or not tight(row, activity[i]):
            continue
        price, text, size = _explain(problem, prog, row, dual, x)
        out.append((size, {"constraint": row.name, "shadow_price": price, "explanation": text}))
    out.sort(key=lambda item: -item[0])
    return [item for _, item in out]


def _explain(
    problem: Problem, prog: Program, row: Row, dual: float, x: list[float]
) -> tuple[float, str, float]:
    """(shadow price in KRW per unit of the row, sentence, KRW size for sorting)."""
    per_unit = dual * OBJ_UNIT  # KRW per unit of the row's bound
    year = row.meta.get("year")
    if row.kind == "power":
        gain = abs(per_unit)
        text = f"1 MW more usable grid power at {row.meta['site']} in {year} would save {krw(gain)}"
        return -gain, text, gain
    if row.kind == "budget":
        gain = abs(per_unit)  # per KRW bn
        text = f"KRW 1 bn more budget in {year} would save {krw(gain)} of total cost"
        return -gain / BN, text, gain
    if row.kind == "demand":
        cost = abs(per_unit) * 1e6
        text = (f"each extra 1 M credits/month of {row.meta['group']} demand in {year} "
                f"costs {krw(cost)}")  # fmt: skip
        return abs(per_unit), text, cost
    if row.kind == "availability":
        gain = abs(per_unit)
        text = f"one more {row.meta['chip']} purchasable in {year} would save {krw(gain)}"
        return -gain, text, gain
    return _share_text(problem, prog, row, per_unit, x)


def _share_text(
    problem: Problem, prog: Program, row: Row, per_unit: float, x: list[float]
) -> tuple[float, str, float]:
    """A share row: the cost of one percentage point of the target (first order)."""
    year, share = row.meta["year"], row.meta["share"]
    total = _share_base(problem, prog, row, x)
    point = abs(per_unit) * total / 100.0
    what = (
        "domestic share of the national center"
        if row.kind == "domestic"
        else "share of the fleet outside the capital area"
    )
    text = (f"the {share:.0%} target for the {what} in {year} costs about {krw(point)} per "
            f"percentage point (lowering it by 1 point would save that much)")  # fmt: skip
    return abs(per_unit), text, point


def _share_base(problem: Problem, prog: Program, row: Row, x: list[float]) -> float:
    """The row's total weighted count (what one percentage point is a percentage of)."""
    buys, _ = decisions(prog, x)
    year = int(row.meta["year"])
    domestic = row.kind == "domestic"
    basis = problem.domestic_basis if domestic else problem.outside_basis
    total = 0.0
    for site, per_type in fleet_at(problem, buys, year).items():
        if domestic and not problem.sites[site].national_center:
            continue
        total += sum(weight(problem.chips[c], basis) * n for c, n in per_type.items())
    return max(total, 1.0)


def slack_items(prog: Program, x: list[float], tol: float) -> list[dict[str, Any]]:
    """Non-zero slacks as relaxations a planner can read."""
    out: list[dict[str, Any]] = []
    for name, j in prog.index.items():
        if not name.startswith("slack:") or x[j] <= tol:
            continue
        _, family, key = name.split(":", 2)
        out.append(_relaxation(family, key, x[j]))
    return out


def _relaxation(family: str, key: str, amount: float) -> dict[str, Any]:
    parts = key.split(",")
    if family == "power":
        site, year = parts
        text = f"{amount:,.2f} MW more usable grid power at {site} in {year}"
        return {"constraint": f"power[{key}]", "amount": amount, "unit": "MW", "explanation": text}
    if family == "budget":
        text = f"{krw(amount * BN)} more budget in {key}"
        return {"constraint": f"budget[{key}]", "amount": amount * BN, "unit": "KRW",
                "explanation": text}  # fmt: skip
    if family == "demand":
        group, year = parts
        text = f"{amount:,.0f} credits/month of {group} demand in {year} left unmet"
        return {"constraint": f"demand[{key}]", "amount": amount, "unit": "credits/month",
                "explanation": text}  # fmt: skip
    what = "domestic-share" if family == "domestic" else "outside-capital-share"
    text = f"the {key} {what} target falls short by {amount:,.1f} accelerators (share basis units)"
    return {"constraint": f"{family}[{key}]", "amount": amount, "unit": "accelerators",
            "explanation": text}  # fmt: skip
