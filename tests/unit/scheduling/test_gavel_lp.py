"""Gavel's max-min fairness LP (MaxMinFairnessPolicyWithPerf semantics) on HiGHS."""

from __future__ import annotations

import numpy as np
import pytest

from nacc.scheduling.policies.gavel_lp import (
    LpResult,
    coefficients,
    equal_share,
    proportional_throughput,
    solve_max_min,
)


def _solve(
    thr: list[list[float]],
    cap: list[float],
    scale: list[float] | None = None,
    weight: list[float] | None = None,
) -> tuple[LpResult, np.ndarray, np.ndarray]:
    t = np.array(thr, dtype=float)
    m = t.shape[0]
    s = np.ones(m) if scale is None else np.array(scale, dtype=float)
    w = np.ones(m) if weight is None else np.array(weight, dtype=float)
    return solve_max_min(t, s, w, np.array(cap, dtype=float)), t, s


def test_proportional_throughput_is_fleet_share_weighted() -> None:
    # Gavel's ProportionalPolicy: x[i, j] = N_j / sum(N), whatever the number of jobs.
    prop = proportional_throughput(np.array([[3.0, 1.0]]), np.array([1.0, 3.0]))
    assert prop == pytest.approx([3.0 * 0.25 + 1.0 * 0.75])


def test_two_by_two_matches_hand_optimum() -> None:
    # A: 3.0 on X, 1.0 on Y; B: 1.2 on X, 1.0 on Y; one X and one Y.
    # prop_A = 2.0, prop_B = 1.1, so c_A = (1.5, 0.5), c_B = (12/11, 10/11).
    # Both jobs use all their time (a + b = 1): value_A = 0.5 + a, value_B = 12/11 - 2a/11,
    # equal at a = 1/2, giving t = 1.0 and x = 1/2 everywhere (unique optimum).
    res, _, _ = _solve([[3.0, 1.0], [1.2, 1.0]], [1.0, 1.0])
    assert res.ok
    assert res.t == pytest.approx(1.0, abs=1e-6)
    assert res.x == pytest.approx(np.full((2, 2), 0.5), abs=1e-5)


def test_job_with_larger_speedup_gets_more_of_the_fast_type() -> None:
    # A is 3x faster on X, B and C only 1.2x; one X and one Y for three jobs.
    res, _, _ = _solve([[3.0, 1.0], [1.2, 1.0], [1.2, 1.0]], [1.0, 1.0])
    a, b, c = res.x
    assert a[0] > b[0] + 0.1 and a[0] > c[0] + 0.1
    assert a[1] == pytest.approx(0.0, abs=1e-5)  # A leaves Y to the others
    assert b[0] == pytest.approx(c[0], abs=1e-5)


def test_constraints_hold_and_infeasible_pairs_stay_zero() -> None:
    rng = np.random.default_rng(7)
    thr = rng.uniform(0.5, 4.0, (40, 4)) * (rng.uniform(size=(40, 4)) > 0.3)
    thr[:, 0] += 0.1  # every job runs somewhere
    scale = rng.choice([1.0, 2.0, 4.0], 40)
    cap = np.array([8.0, 16.0, 4.0, 12.0])
    res = solve_max_min(thr, scale, np.ones(40), cap)
    assert res.ok
    assert np.all(res.x >= -1e-9)
    assert np.all(res.x.sum(axis=1) <= 1 + 1e-6)
    assert np.all((scale[:, None] * res.x).sum(axis=0) <= cap + 1e-6)
    assert np.all(res.x[thr <= 0] == 0.0)
    values = (coefficients(thr, scale, np.ones(40), cap) * res.x).sum(axis=1)
    assert values.min() == pytest.approx(res.t, rel=1e-4)


def test_priority_weight_scales_the_share() -> None:
    # Identical jobs on one type; weight 2 should get twice the time of weight 1.
    res, _, _ = _solve([[1.0], [1.0]], [1.0], weight=[2.0, 1.0])
    assert res.x[0, 0] == pytest.approx(2 * res.x[1, 0], rel=1e-4)


def test_scale_factor_equalises_accelerator_time() -> None:
    # Gavel: a 1-GPU job gets scale_factor times the time of a gang of equal throughput.
    # One accelerator: x_A + 2 x_B <= 1 and x_A = 2 x_B at the optimum.
    res, _, _ = _solve([[1.0], [1.0]], [1.0], scale=[1.0, 2.0])
    assert res.x[0, 0] == pytest.approx(0.5, rel=1e-4)
    assert res.x[1, 0] == pytest.approx(0.25, rel=1e-4)


def test_equal_share_fallback_is_feasible() -> None:
    thr = np.array([[1.0, 0.0], [1.0, 2.0], [0.0, 3.0]])
    scale = np.array([1.0, 2.0, 1.0])
    cap = np.array([2.0, 1.0])
    x = equal_share(thr, scale, cap)
    assert np.all(x.sum(axis=1) <= 1 + 1e-9)
    assert np.all((scale[:, None] * x).sum(axis=0) <= cap + 1e-9)
    assert x[0, 1] == 0.0 and x[2, 0] == 0.0


def test_empty_problem() -> None:
    res = solve_max_min(np.zeros((0, 2)), np.zeros(0), np.zeros(0), np.ones(2))
    assert res.ok and res.x.shape == (0, 2)
