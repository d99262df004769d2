"""Plain-words explanations: shadow prices of binding rows, and relaxations of targets.

Each explanation is a reason code with parameters (``code``, ``params``: rendered in Korean
or English at the edge, ``nacc.i18n``) and its English text (``explanation``)."""

from __future__ import annotations

from typing import Any

from nacc.domain.reasons import Code, Reason
from nacc.i18n import render
from nacc.planning.extract import decisions, fleet_at
from nacc.planning.formulate import BN, OBJ_UNIT
from nacc.planning.milp import Program, Row, Solution
from nacc.planning.problem import Problem
from nacc.planning.shares import weight

DUAL_TOL = 1e-7
_EXPLAINED = ("power", "budget", "demand", "domestic", "outside", "availability")


def _said(reason: Reason, **fields: Any) -> dict[str, Any]:
    """An explanation: the fields, the reason as code and parameters, its English text."""
    return {**fields, "code": reason.code, "params": dict(reason.args),
            "explanation": render(reason, "en")}  # fmt: skip


def text_in(item: dict[str, Any], lang: str) -> str:
    """An explanation in ``lang`` (its stored English where it carries no code)."""
    if lang == "en" or not item.get("code"):
        return str(item["explanation"])
    return render(Reason.of(str(item["code"]), **item.get("params", {})), lang)


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
        price, reason, size = _explain(problem, prog, row, dual, x)
        out.append((size, _said(reason, constraint=row.name, shadow_price=price)))
    out.sort(key=lambda item: -item[0])
    return [item for _, item in out]


def _explain(
    problem: Problem, prog: Program, row: Row, dual: float, x: list[float]
) -> tuple[float, Reason, float]:
    """(shadow price in KRW per unit of the row, the reason, KRW size for sorting)."""
    per_unit = dual * OBJ_UNIT  # KRW per unit of the row's bound
    year = int(row.meta["year"]) if "year" in row.meta else 0
    if row.kind == "power":
        gain = abs(per_unit)
        why = Reason.of(Code.PLAN_BINDING_POWER, site=str(row.meta["site"]), year=year,
                        saving_krw=gain)  # fmt: skip
        return -gain, why, gain
    if row.kind == "budget":
        gain = abs(per_unit)  # per KRW bn
        return -gain / BN, Reason.of(Code.PLAN_BINDING_BUDGET, year=year, saving_krw=gain), gain
    if row.kind == "demand":
        cost = abs(per_unit) * 1e6
        why = Reason.of(Code.PLAN_BINDING_DEMAND, group=str(row.meta["group"]), year=year,
                        cost_krw=cost)  # fmt: skip
        return abs(per_unit), why, cost
    if row.kind == "availability":
        gain = abs(per_unit)
        why = Reason.of(Code.PLAN_BINDING_AVAILABILITY, chip=str(row.meta["chip"]), year=year,
                        saving_krw=gain)  # fmt: skip
        return -gain, why, gain
    return _share_text(problem, prog, row, per_unit, x)


def _share_text(
    problem: Problem, prog: Program, row: Row, per_unit: float, x: list[float]
) -> tuple[float, Reason, float]:
    """A share row: the cost of one percentage point of the target (first order)."""
    year, share = int(row.meta["year"]), float(row.meta["share"])
    total = _share_base(problem, prog, row, x)
    point = abs(per_unit) * total / 100.0
    code = Code.PLAN_BINDING_DOMESTIC if row.kind == "domestic" else Code.PLAN_BINDING_OUTSIDE
    why = Reason.of(code, share_pct=round(share * 100), year=year, cost_krw=point)
    return abs(per_unit), why, point


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
    name = f"{family}[{key}]"
    if family == "power":
        site, year = parts
        why = Reason.of(
            Code.PLAN_RELAX_POWER, amount_mw=round(amount, 2), site=site, year=int(year)
        )
        return _said(why, constraint=name, amount=amount, unit="MW")
    if family == "budget":
        why = Reason.of(Code.PLAN_RELAX_BUDGET, amount_krw=amount * BN, year=int(key))
        return _said(why, constraint=name, amount=amount * BN, unit="KRW")
    if family == "demand":
        group, year = parts
        why = Reason.of(Code.PLAN_RELAX_DEMAND, amount=round(amount), group=group, year=int(year))
        return _said(why, constraint=name, amount=amount, unit="credits/month")
    code = Code.PLAN_RELAX_DOMESTIC if family == "domestic" else Code.PLAN_RELAX_OUTSIDE
    why = Reason.of(code, year=int(key), amount=round(amount, 1))
    return _said(why, constraint=name, amount=amount, unit="accelerators")
