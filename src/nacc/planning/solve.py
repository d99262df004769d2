"""Solve a planning problem: the plan, its binding constraints, and (if any) relaxations.

1. Solve the elastic MILP (every target has a slack with a penalty cost); the plan is
   feasible when every slack is zero.
2. Solve its LP relaxation and read the row duals: the shadow prices of the binding rows.
   (With every integer fixed at the MIP optimum, nothing continuous would be left to move
   but the allocation, so every power or budget dual would be zero; the relaxation's duals
   are the marginal values of the same constraints around the same plan.)
3. If infeasible, the non-zero slacks are the cheapest joint relaxation; then each kind of
   constraint is relaxed alone to see whether that kind alone could make the plan work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nacc.planning.explain import binding_rows, slack_items
from nacc.planning.extract import YearPlan, extract_years
from nacc.planning.formulate import FAMILIES, build
from nacc.planning.milp import Solution, solve
from nacc.planning.problem import Problem

MIP_GAP = 1e-4  # relative optimality gap HiGHS stops at
SLACK_TOL = 0.05  # in the row's unit: MW, KRW bn, credits/month, accelerators


@dataclass(frozen=True, slots=True)
class PlanResult:
    """The answer: plan per year, cost, binding constraints, and relaxations if needed."""

    feasible: bool
    status: str
    objective_krw: float
    years: list[YearPlan]
    binding: list[dict[str, Any]]
    relaxations: list[dict[str, Any]] = field(default_factory=list)
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    mip_gap: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The ``plan.json`` object."""
        out: dict[str, Any] = {
            "feasible": self.feasible,
            "objective_krw": round(self.objective_krw),
            "years": [y.to_json() for y in self.years],
            "binding": self.binding,
        }
        if not self.feasible:
            out["infeasible"] = {
                "status": self.status,
                "conflicting": sorted({r["constraint"] for r in self.relaxations}),
                "cheapest_relaxation": self.relaxations,
                "alternatives": self.alternatives,
            }
        return out


def plan(problem: Problem, time_limit_s: float = 10.0) -> PlanResult:
    """Optimise ``problem`` (see the module docstring for the three phases)."""
    built = build(problem)
    mip = solve(built.program, time_limit_s=time_limit_s, gap=MIP_GAP)
    if not mip.x:
        return PlanResult(False, mip.status, float("nan"), [], [], [], [])
    relax = solve(built.program, relax=True, time_limit_s=time_limit_s)
    years = extract_years(problem, built.program, mip.x)
    objective = sum(y.capex_krw + y.opex_krw for y in years)
    slacks = slack_items(built.program, mip.x, SLACK_TOL)
    binding = (
        binding_rows(problem, built.program, relax, mip.x, mip.activity) if relax.duals else []
    )
    if not slacks:
        return PlanResult(True, mip.status, objective, years, binding, mip_gap=mip.gap)
    alternatives = _alternatives(problem, time_limit_s)
    return PlanResult(False, mip.status, objective, years, binding, slacks, alternatives, mip.gap)


def _alternatives(problem: Problem, time_limit_s: float) -> list[dict[str, Any]]:
    """For each kind of target, whether relaxing that kind alone suffices, and by how much."""
    out: list[dict[str, Any]] = []
    for family in FAMILIES:
        built = build(problem, elastic=(family,))
        sol: Solution = solve(built.program, time_limit_s=time_limit_s, gap=MIP_GAP)
        if not sol.x:
            out.append({"relax": family, "sufficient": False, "changes": []})
            continue
        changes = slack_items(built.program, sol.x, SLACK_TOL)
        out.append({"relax": family, "sufficient": True, "changes": changes})
    return out
