"""A small named linear/mixed-integer program and its solution with HiGHS (``highspy``).

Variables and rows carry names (and a ``kind`` tag for rows) so results can be read back
without index bookkeeping. ``solve`` runs the MIP; ``solve(relax=True)`` the LP relaxation,
whose row duals are the shadow prices reported as binding constraints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

INF = float("inf")


@dataclass(slots=True)
class Row:
    name: str
    kind: str
    coeffs: dict[int, float]
    lower: float
    upper: float
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Program:
    """Minimise ``cost @ x`` subject to ``lower <= A x <= upper`` and column bounds."""

    names: list[str] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def var(
        self, name: str, cost: float = 0.0, lower: float = 0.0, upper: float = INF,
        integer: bool = False,
    ) -> int:  # fmt: skip
        """Add a column; returns its index."""
        self.index[name] = len(self.names)
        self.names.append(name)
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        return self.index[name]

    def row(
        self, name: str, kind: str, coeffs: dict[int, float], lower: float = -INF,
        upper: float = INF, **meta: Any,
    ) -> None:  # fmt: skip
        """Add a row ``lower <= sum coeffs[j] x_j <= upper``."""
        self.rows.append(
            Row(name, kind, {j: v for j, v in coeffs.items() if v != 0}, lower, upper, meta)
        )


@dataclass(frozen=True, slots=True)
class Solution:
    """HiGHS's answer: status, objective, values, and (LP only) row duals.

    ``limit_reached``: the solver stopped at a limit (time, nodes, iterations, memory)
    before it finished, so a missing or imperfect answer says nothing about feasibility."""

    status: str
    optimal: bool
    objective: float
    x: list[float]
    activity: list[float]
    duals: list[float]
    gap: float
    limit_reached: bool = False
    bound: float = float("nan")  # the MIP's best (dual) bound on the objective; NaN for an LP
    seconds: float = 0.0  # HiGHS's own run time


_LIMITS = ("kTimeLimit", "kIterationLimit", "kSolutionLimit", "kInterrupt", "kMemoryLimit")


def quiet_highs(highspy: Any) -> Any:
    """A HiGHS instance that prints nothing: ``highspy.Highs()`` logs its banner to stdout
    as it is built, before any option can be set; its base class does not."""
    h: Any = getattr(highspy, "_Highs", highspy.Highs)()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    return h


def solve(
    prog: Program, relax: bool = False, time_limit_s: float | None = 30.0, gap: float = 1e-4,
    node_limit: int | None = None,
) -> Solution:  # fmt: skip
    """Solve ``prog`` (its LP relaxation when ``relax``); single-threaded, deterministic.
    ``time_limit_s`` None: no wall-clock limit (the answer then never depends on load);
    ``node_limit``: at most that many branch-and-bound nodes."""
    import highspy as _highspy

    highspy: Any = _highspy
    h = quiet_highs(highspy)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    if time_limit_s is not None:
        h.setOptionValue("time_limit", float(time_limit_s))
    if node_limit is not None:
        h.setOptionValue("mip_max_nodes", int(node_limit))
    h.setOptionValue("mip_rel_gap", gap)
    h.passModel(_lp(highspy, prog, relax))
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    optimal = status == highspy.HighsModelStatus.kOptimal
    limited = status in [getattr(highspy.HighsModelStatus, n, None) for n in _LIMITS]
    has_x = optimal or info.primal_solution_status == 2
    sol = h.getSolution()
    x = list(sol.col_value) if has_x else []
    activity = list(sol.row_value) if has_x else []
    duals = list(sol.row_dual) if (relax and optimal) else []
    gap = float(info.mip_gap) if not relax and has_x else 0.0
    obj = float(info.objective_function_value) if has_x else float("nan")
    bound = float(info.mip_dual_bound) if not relax and any(prog.integer) else float("nan")
    text = h.modelStatusToString(status)
    return Solution(text, optimal, obj, x, activity, duals, gap, limited, bound, h.getRunTime())


def _lp(highspy: Any, prog: Program, relax: bool) -> Any:
    inf = highspy.kHighsInf
    lp: Any = highspy.HighsLp()
    n, m = len(prog.names), len(prog.rows)
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = np.asarray(prog.cost, dtype=float)
    lp.col_lower_ = np.asarray(prog.lower, dtype=float)
    lp.col_upper_ = np.asarray([min(u, inf) for u in prog.upper], dtype=float)
    lp.row_lower_ = np.asarray([max(r.lower, -inf) for r in prog.rows], dtype=float)
    lp.row_upper_ = np.asarray([min(r.upper, inf) for r in prog.rows], dtype=float)
    starts, index, value = [0], [], []
    for r in prog.rows:
        for j, v in sorted(r.coeffs.items()):
            index.append(j)
            value.append(v)
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(value, dtype=float)
    if not relax and any(prog.integer):
        kind = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
            for i in prog.integer
        ]
        lp.integrality_ = kind
    return lp
