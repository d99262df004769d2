"""Gavel's heterogeneity-aware max-min fairness LP (MaxMinFairnessPolicyWithPerf), on HiGHS.

Gavel (Narayanan et al., OSDI'20) computes a time-fraction allocation ``X[i, j]``: the
fraction of wall time job ``i`` should spend on accelerator type ``j``. The policy
``MaxMinFairnessPolicyWithPerf`` (``scheduler/policies/max_min_fairness.py``) solves::

    maximise   min_i  sum_j  c[i, j] * X[i, j]
    subject to X >= 0
               sum_j X[i, j] <= 1                         (a job runs on one type at a time)
               sum_i scale[i] * X[i, j] <= capacity[j]    (gangs fit in the cluster)

with ``c[i, j] = T[i, j] * scale[i] / (weight[i] * prop[i])``. ``T`` is the gang's
throughput, ``scale`` the gang size, ``weight`` the job's priority weight, and
``prop[i] = sum_j T[i, j] * capacity[j] / sum(capacity)`` the throughput under Gavel's
``ProportionalPolicy`` (every job gets each type in proportion to its share of the fleet).

We add the min as a variable ``t`` (maximise ``t`` with ``sum_j c[i, j] X[i, j] >= t``) and
build the sparse LP directly; only feasible (job, type) pairs become columns. HiGHS's
interior-point method without crossover is used first because Gavel solved with ECOS (also
interior point): both return a central optimum that spreads slack across jobs, where a
simplex vertex would hand all slack to a few. Simplex is the fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class LpResult:
    """An allocation ``x`` (jobs x types), the max-min value ``t`` and how it was found."""

    x: FloatArray
    t: float
    ok: bool
    note: str


def proportional_throughput(thr: FloatArray, capacity: FloatArray) -> FloatArray:
    """Throughput of each job under Gavel's ProportionalPolicy (x[i, j] = N_j / sum N)."""
    total = float(capacity.sum())
    if total <= 0:
        return np.zeros(thr.shape[0])
    result: FloatArray = thr @ (capacity / total)
    return result


def coefficients(
    thr: FloatArray, scale: FloatArray, weight: FloatArray, capacity: FloatArray
) -> FloatArray:
    """Gavel's objective coefficients T * scale / (weight * proportional throughput)."""
    prop = proportional_throughput(thr, capacity)
    denom = weight * prop
    safe = np.where(denom > 0, denom, 1.0)
    result: FloatArray = thr * (scale / safe)[:, None]
    return result


def solve_max_min(
    thr: FloatArray, scale: FloatArray, weight: FloatArray, capacity: FloatArray
) -> LpResult:
    """Solve the LP; ``thr[i, j] <= 0`` marks a pair that must stay at zero.

    Every row must have at least one positive throughput (the caller filters the rest).
    On solver failure returns the equal-share fallback with ``ok=False``.
    """
    return LpSolver().solve_max_min(thr, scale, weight, capacity)


class LpSolver:
    """``solve_max_min`` with one HiGHS instance per method, kept between solves (a
    policy solves thousands of small LPs: the same solutions, without re-creating the
    solver each time)."""

    def __init__(self) -> None:
        self._highs: dict[str, Any] = {}

    def solve_max_min(
        self, thr: FloatArray, scale: FloatArray, weight: FloatArray, capacity: FloatArray
    ) -> LpResult:
        """See the module function ``solve_max_min``."""
        return _solve(thr, scale, weight, capacity, self._highs)


def _solve(
    thr: FloatArray,
    scale: FloatArray,
    weight: FloatArray,
    capacity: FloatArray,
    highs: dict[str, Any],
) -> LpResult:
    m, n = thr.shape
    if m == 0 or n == 0:
        return LpResult(np.zeros((m, n)), 0.0, True, "empty")
    coef = coefficients(thr, scale, weight, capacity)
    rows, cols = np.nonzero(thr > 0)
    for solver in ("ipm", "simplex"):
        values = _run_highs(coef, scale, capacity, rows, cols, solver, highs)
        if values is not None:
            x = np.zeros((m, n))
            x[rows, cols] = np.clip(values[:-1], 0.0, 1.0)
            return LpResult(x, float(values[-1]), True, f"HiGHS {solver}")
    x = equal_share(thr, scale, capacity)
    t = float(np.min((coef * x).sum(axis=1)))
    return LpResult(x, t, False, "HiGHS failed; equal-share fallback")


def equal_share(thr: FloatArray, scale: FloatArray, capacity: FloatArray) -> FloatArray:
    """A feasible allocation without a solver: each type split evenly by gang size."""
    feasible = (thr > 0).astype(float)
    demand = (feasible * scale[:, None]).sum(axis=0)
    share = np.where(demand > 0, np.minimum(1.0, capacity / np.maximum(demand, 1e-12)), 0.0)
    x = feasible * share[None, :]
    row = x.sum(axis=1)
    x = x / np.maximum(row, 1.0)[:, None]
    result: FloatArray = x
    return result


def _run_highs(
    coef: FloatArray,
    scale: FloatArray,
    capacity: FloatArray,
    rows: npt.NDArray[np.intp],
    cols: npt.NDArray[np.intp],
    solver: str,
    highs: dict[str, Any] | None = None,
) -> FloatArray | None:
    """Build the sparse LP column-wise and solve it; None unless HiGHS reports optimal.
    ``highs``: HiGHS instances by method, made here on first use and kept there."""
    import highspy as _highspy

    highspy: Any = _highspy  # no type stubs: everything HiGHS returns is Any
    m, n = coef.shape
    k = len(rows)
    lp: Any = highspy.HighsLp()
    lp.num_col_ = k + 1
    lp.num_row_ = 2 * m + n
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate([np.zeros(k), [1.0]])
    lp.col_lower_ = np.zeros(k + 1)
    lp.col_upper_ = np.concatenate([np.ones(k), [highspy.kHighsInf]])
    inf = highspy.kHighsInf
    # Rows 0..m-1: sum_j c x - t >= 0; rows m..2m-1: sum_j x <= 1; rows 2m..: capacity.
    lp.row_lower_ = np.concatenate([np.zeros(m), np.full(m + n, -inf)])
    lp.row_upper_ = np.concatenate([np.full(m, inf), np.ones(m), capacity])
    start, index, value = _csc(coef, scale, rows, cols, m)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    h: Any = None if highs is None else highs.get(solver)
    if h is None:
        h = getattr(highspy, "_Highs", highspy.Highs)()  # Highs() prints a banner as built
        h.setOptionValue("output_flag", False)
        h.setOptionValue("solver", solver)
        h.setOptionValue("threads", 1)
        if solver == "ipm":
            h.setOptionValue("run_crossover", "off")
        if highs is not None:
            highs[solver] = h
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(h.getSolution().col_value, dtype=float)


def _csc(
    coef: FloatArray,
    scale: FloatArray,
    rows: npt.NDArray[np.intp],
    cols: npt.NDArray[np.intp],
    m: int,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], FloatArray]:
    """Column-wise matrix: each x column has three entries, the t column has m (-1 each)."""
    k = len(rows)
    index = np.empty(3 * k + m, dtype=np.int32)
    value = np.empty(3 * k + m)
    index[0 : 3 * k : 3] = rows
    index[1 : 3 * k : 3] = m + rows
    index[2 : 3 * k : 3] = 2 * m + cols
    value[0 : 3 * k : 3] = coef[rows, cols]
    value[1 : 3 * k : 3] = 1.0
    value[2 : 3 * k : 3] = scale[rows]
    index[3 * k :] = np.arange(m, dtype=np.int32)
    value[3 * k :] = -1.0
    start = np.concatenate([np.arange(0, 3 * k + 1, 3), [3 * k + m]]).astype(np.int32)
    return start, index, value
