"""Simulation metrics on hand-computed values (test doubles for rates and pools)."""

from __future__ import annotations

import dataclasses

import pytest

from nacc.domain.jobs import JobClass
from nacc.domain.lifecycle import JobState
from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim.experiment import simulate
from nacc.sim.metrics import ideal_jct, jain, percentile, summarize
from support.doubles import TableRates, job, pool

# --- percentile (nearest rank: the value at rank ceil(q/100 * n)) ------------------------


def test_percentile_nearest_rank() -> None:
    ten = [float(v) for v in range(1, 11)]
    assert percentile(ten, 50) == 5.0  # ceil(5.0) = rank 5
    assert percentile(ten, 30) == 3.0  # ceil(3.0) = rank 3 (not 4: no half-to-even rounding)
    assert percentile(ten, 31) == 4.0  # ceil(3.1) = rank 4
    assert percentile(ten, 99) == 10.0  # ceil(9.9) = rank 10
    assert percentile(ten, 100) == 10.0
    assert percentile(ten, 0) == 1.0  # rank clamped to 1
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 50) == 3.0  # ceil(3.0) = rank 3
    assert percentile([7.0], 99) == 7.0


def test_percentile_p99_of_a_hundred_is_the_99th_value() -> None:
    hundred = [float(v) for v in range(1, 101)]
    assert percentile(hundred, 99) == 99.0  # ceil(99.0), despite 0.99 not being exact
    assert percentile(hundred, 99.5) == 100.0


def test_percentile_of_nothing_is_zero() -> None:
    assert percentile([], 50) == 0.0


# --- jain's fairness index -----------------------------------------------------------------


def test_jain_equal_shares_is_one() -> None:
    assert jain([3.0, 3.0, 3.0, 3.0]) == pytest.approx(1.0)


@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_jain_one_non_zero_of_n_is_one_over_n(n: int) -> None:
    assert jain([0.0] * (n - 1) + [7.0]) == pytest.approx(1.0 / n)


def test_jain_hand_value_and_degenerate_inputs() -> None:
    # (1 + 3)^2 / (2 * (1 + 9)) = 16 / 20
    assert jain([1.0, 3.0]) == pytest.approx(0.8)
    assert jain([]) == 1.0
    assert jain([0.0, 0.0]) == 1.0


# --- ideal_jct: fastest allowed type with room for the whole gang --------------------------

IDEAL_RATES = TableRates({"fast": 2.0, "slow": 1.0, "npu": 4.0}, frozenset({"npu"}))
IDEAL_POOLS = [pool("f", "fast", 1), pool("s", "slow", 4), pool("n", "npu", 8)]


def test_ideal_jct_picks_the_fastest_type() -> None:
    assert ideal_jct(job(0, 0, 100, 1), IDEAL_POOLS, IDEAL_RATES) == pytest.approx(50)  # fast


def test_ideal_jct_needs_room_for_the_gang() -> None:
    # 2 accelerators: the one-accelerator fast pool cannot hold the gang -> slow, 100/1.
    assert ideal_jct(job(0, 0, 100, 2), IDEAL_POOLS, IDEAL_RATES) == pytest.approx(100)
    # 8: only the npu pool is big enough, and a vision job cannot run there -> None.
    assert ideal_jct(job(0, 0, 100, 8), IDEAL_POOLS, IDEAL_RATES) is None


def test_ideal_jct_respects_allowed_types_and_class_support() -> None:
    only_slow = dataclasses.replace(job(0, 0, 100, 1), allowed_types=frozenset({"slow"}))
    assert ideal_jct(only_slow, IDEAL_POOLS, IDEAL_RATES) == pytest.approx(100)
    inference = job(0, 0, 100, 1, cls=JobClass.INFERENCE)
    assert ideal_jct(inference, IDEAL_POOLS, IDEAL_RATES) == pytest.approx(25)  # npu, 100/4


# --- summarize on a tiny hand-computed run ---------------------------------------------------
#
# Pools, in scenario order: n = 2 domestic "npu" at speed 0.5, g = 2 "fast" at speed 2.
# TableRates charges credit_rate = speed. FIFO: strict arrival order, first fit in pool order.
#
#   job  submit  work  gpus  project
#   j0      0    100    2    p0     -> n (first fit) at 0, runs 100/0.5 = 200 s, ends 200
#   j1      0    100    2    p1     -> g at 0, runs 100/2 = 50 s, ends 50
#   j2     10     40    1    p0     -> waits (both full); g at 50, runs 20 s, ends 70
#   j3     20     60    2    p1     -> behind j2; g has 1 free at 50; g at 70, 30 s, ends 100
#   j4     30     10    4    p1     -> no pool holds 4: rejected (when FIFO reaches it at 70)
#
# JCTs (done jobs j0..j3): 200, 50, 60, 80 -> sorted [50, 60, 80, 200]
#   avg = 390 / 4 = 97.5; p50 = rank ceil(2) = 60; p99 = rank ceil(3.96) = 200
# queue: 0, 0, 40, 50 -> avg 22.5
# makespan: first submit 0 .. last finish 200 = 200
# utilisation: npu: j0 2 acc x 200 s = 400 / (2 x 200) = 1.0
#              fast: j1 2x50 + j2 1x20 + j3 2x30 = 180 / (2 x 200) = 0.45
# credits = accelerators x hours x credit_rate:
#   j0 2 x 200/3600 x 0.5 = 200/3600; j1 2 x 50/3600 x 2 = 200/3600;
#   j2 1 x 20/3600 x 2 = 40/3600;     j3 2 x 30/3600 x 2 = 120/3600   -> 560/3600
# domestic_share = 200 / 560 (only j0 ran on the domestic npu pool)
# ideal JCTs (fastest type with room): j0 100/2 = 50, j1 50, j2 40/2 = 20, j3 60/2 = 30;
#   j4 has no pool -> left out. lower_bound_avg_jct_s = 150 / 4 = 37.5
# slowdown = jct / ideal: 4, 1, 3, 8/3 -> avg 8/3
# fairness: per project mean of min(1, ideal/jct): p0 (50/200 + 20/60)/2 = 7/24,
#   p1 (50/50 + 30/80)/2 = 11/16 -> jain = (14+33)^2 / (2 (14^2 + 33^2)) = 2209/2570

SUM_RATES = TableRates({"fast": 2.0, "npu": 0.5})
SUM_POOLS = [pool("n", "npu", 2, domestic=True), pool("g", "fast", 2)]
SUM_JOBS = [
    job(0, 0, 100, 2, "p0"),
    job(1, 0, 100, 2, "p1"),
    job(2, 10, 40, 1, "p0"),
    job(3, 20, 60, 2, "p1"),
    job(4, 30, 10, 4, "p1"),
]


@pytest.fixture(scope="module")
def summary() -> dict[str, object]:
    run = simulate(SUM_JOBS, SUM_POOLS, builtin_policies().create("fifo"), SUM_RATES)
    states = {str(j.spec.id): j.state for j in run.jobs}
    assert states["j4"] is JobState.REJECTED
    return summarize(run, SUM_RATES, skipped=3)


def test_summarize_counts(summary: dict[str, object]) -> None:
    assert summary["policy"] == "fifo"
    assert summary["jobs"] == 5
    assert summary["completed"] == 4
    assert summary["skipped"] == 3 + 1  # skipped by the reader + rejected by the policy
    assert summary["unfinished"] == 0
    assert summary["preemptions"] == 0
    assert summary["events"] == 5 + 4  # five arrivals, four finishes


def test_summarize_jct_and_queue(summary: dict[str, object]) -> None:
    assert summary["avg_jct_s"] == pytest.approx(97.5)
    assert summary["p50_jct_s"] == pytest.approx(60)
    assert summary["p99_jct_s"] == pytest.approx(200)
    assert summary["avg_queue_s"] == pytest.approx(22.5)
    assert summary["makespan_s"] == pytest.approx(200)
    assert summary["avg_slowdown"] == pytest.approx(8 / 3)


def test_summarize_utilisation_per_type(summary: dict[str, object]) -> None:
    assert summary["utilization"] == pytest.approx({"npu": 1.0, "fast": 0.45})


def test_summarize_credits_and_domestic_share(summary: dict[str, object]) -> None:
    assert summary["credits"] == pytest.approx(560 / 3600)
    assert summary["domestic_share"] == pytest.approx(200 / 560)


def test_summarize_lower_bound_and_fairness(summary: dict[str, object]) -> None:
    assert summary["lower_bound_avg_jct_s"] == pytest.approx(37.5)
    assert summary["jain_fairness"] == pytest.approx(2209 / 2570)


def test_summarize_without_domestic_pools_has_zero_domestic_share() -> None:
    pools = [pool("g", "fast", 2)]
    run = simulate([job(0, 0, 100, 1)], pools, builtin_policies().create("fifo"), SUM_RATES)
    result = summarize(run, SUM_RATES)
    assert result["domestic_share"] == 0.0
    assert result["credits"] == pytest.approx(100 / 3600)  # 1 x 50 s x rate 2
    assert result["utilization"] == pytest.approx({"fast": 0.5})  # 1 of 2 busy all along
