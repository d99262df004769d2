"""Solve a planning problem: the plan, its binding constraints, and (if any) relaxations.

1. Solve the elastic MILP (every target has a slack with a penalty cost); the plan is
   feasible when every slack is zero.
2. Solve its LP relaxation and read the row duals: the shadow prices of the binding rows.
   (With every integer fixed at the MIP optimum, nothing continuous would be left to move
   but the allocation, so every power or budget dual would be zero; the relaxation's duals
   are the marginal values of the same constraints around the same plan.)
3. If infeasible, the non-zero slacks are the cheapest joint relaxation; then each kind of
   constraint is relaxed alone to see whether that kind alone could make the plan work.

A solve stopped by a limit (time, nodes) proves nothing: the result then says the limit was
reached (``limit_reached``, ``to_json()["stopped"]``), never that the targets conflict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nacc.planning.explain import binding_rows, slack_items
from nacc.planning.extract import YearPlan, extract_years
from nacc.planning.formulate import FAMILIES, OBJ_UNIT, build
from nacc.planning.milp import Solution, solve
from nacc.planning.problem import Problem

MIP_GAP = 1e-4  # relative optimality gap HiGHS stops at
TIME_LIMIT_S = 120.0  # per solve; the shipped plan takes seconds (docs/planning.md)
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
    limit_reached: bool = False
    bound: float = float("nan")  # KRW: HiGHS's best bound on the objective (penalties included)
    solver_objective: float = float("nan")  # KRW: cost plus slack penalties
    seconds: float = 0.0  # HiGHS's run time over every solve of this plan

    @property
    def stopped(self) -> str:
        """Why the answer may not be final ("" when the solver finished)."""
        if not self.limit_reached:
            return ""
        if self.feasible:
            return (f"{self.status}: the plan meets every target but may not be the "
                    f"cheapest (gap {self.mip_gap:.2%})")  # fmt: skip
        return (f"{self.status} before a plan meeting every target was found; this does "
                "not mean the targets conflict: allow the solver more time")  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The ``plan.json`` object."""
        finite = self.objective_krw == self.objective_krw  # NaN when no plan was found
        out: dict[str, Any] = {
            "feasible": self.feasible,
            "status": self.status,
            "objective_krw": round(self.objective_krw) if finite else None,
            "years": [y.to_json() for y in self.years],
            "binding": self.binding,
        }
        out["solver"] = {
            "status": self.status,
            "gap": round(self.mip_gap, 6),
            "objective": _finite(self.solver_objective),
            "bound": _finite(self.bound),
            "seconds": round(self.seconds, 2),
        }
        if self.limit_reached:
            out["stopped"] = {"status": self.status, "message": self.stopped}
        elif not self.feasible:
            out["infeasible"] = {
                "status": self.status,
                "conflicting": sorted({r["constraint"] for r in self.relaxations}),
                "cheapest_relaxation": self.relaxations,
                "alternatives": self.alternatives,
            }
        return out


@dataclass(frozen=True, slots=True)
class _Solver:
    bound: float
    objective: float
    seconds: float


def _krw(objective: float, constant_krw: float) -> float:
    """The solver's objective (million KRW, without the constant) in KRW."""
    return objective * OBJ_UNIT + constant_krw


def _finite(value: float) -> float | None:
    return round(value) if value == value and abs(value) != float("inf") else None


def plan(
    problem: Problem, time_limit_s: float | None = TIME_LIMIT_S, node_limit: int | None = None,
    mip_gap: float = MIP_GAP,
) -> PlanResult:  # fmt: skip
    """Optimise ``problem`` (see the module docstring for the three phases). The limits
    apply to each solve; ``time_limit_s`` None means none (the answer then does not depend
    on how busy the machine is); HiGHS stops once within ``mip_gap`` (relative) of its
    bound. Every solve is single-threaded with a fixed seed: the same input gives the same
    plan."""
    if not 0.0 <= mip_gap < 1.0:
        raise ValueError(f"mip_gap: expected a relative gap in [0, 1), got {mip_gap}")
    built = build(problem)
    mip = solve(built.program, time_limit_s=time_limit_s, gap=mip_gap, node_limit=node_limit)
    stopped = mip.limit_reached
    if not mip.x:
        return PlanResult(False, mip.status, float("nan"), [], [], limit_reached=stopped,
                          bound=_krw(mip.bound, built.constant_krw),
                          seconds=mip.seconds)  # fmt: skip
    relax = solve(built.program, relax=True, time_limit_s=time_limit_s)
    solver = _Solver(_krw(mip.bound, built.constant_krw), _krw(mip.objective, built.constant_krw),
                     mip.seconds + relax.seconds)  # fmt: skip
    years = extract_years(problem, built.program, mip.x)
    objective = sum(y.capex_krw + y.opex_krw for y in years)
    slacks = slack_items(built.program, mip.x, SLACK_TOL)
    binding = (
        binding_rows(problem, built.program, relax, mip.x, mip.activity) if relax.duals else []
    )
    if not slacks or stopped:  # a stopped solve's slacks prove no conflict: none reported
        return PlanResult(not slacks, mip.status, objective, years, binding, mip_gap=mip.gap,
                          limit_reached=stopped, bound=solver.bound,
                          solver_objective=solver.objective, seconds=solver.seconds)  # fmt: skip
    alternatives = _alternatives(problem, time_limit_s, node_limit, mip_gap)
    return PlanResult(False, mip.status, objective, years, binding, slacks, alternatives, mip.gap,
                      bound=solver.bound, solver_objective=solver.objective,
                      seconds=solver.seconds)  # fmt: skip


def _alternatives(
    problem: Problem, time_limit_s: float | None, node_limit: int | None, mip_gap: float
) -> list[dict[str, Any]]:
    """For each kind of target, whether relaxing that kind alone suffices, and by how much
    (``sufficient`` None: the solver stopped at a limit before it could tell)."""
    out: list[dict[str, Any]] = []
    for family in FAMILIES:
        built = build(problem, elastic=(family,))
        sol: Solution = solve(built.program, time_limit_s=time_limit_s, gap=mip_gap,
                              node_limit=node_limit)  # fmt: skip
        if not sol.x:
            sufficient = None if sol.limit_reached else False
            out.append({"relax": family, "sufficient": sufficient, "changes": []})
            continue
        changes = slack_items(built.program, sol.x, SLACK_TOL)
        out.append({"relax": family, "sufficient": True, "changes": changes})
    return out
