"""The lower bound that sees crowding (``nacc.sim.crowding``), hand-computed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nacc.sim.crowding import crowded_bound
from support.doubles import TableRates, job, pool


def test_two_jobs_on_one_accelerator() -> None:
    # Both arrive at 0 with 10 s of work: alone 10 s each, but one accelerator keeps only
    # one of them for those 10 s: excess >= 10 s, so average JCT >= (10 + 10 + 10) / 2.
    specs = [replace(job(i, 0, 10), time_limit_s=None) for i in range(2)]
    rates = TableRates({"g": 1.0})
    assert crowded_bound(specs, [pool("a", "g", 1)], rates) == pytest.approx(15.0)
    assert crowded_bound(specs, [pool("a", "g", 2)], rates) == pytest.approx(10.0)


def test_a_slow_pool_keeps_part_of_the_crowd() -> None:
    # Fast runs 1/s, slow 0.5/s. Two jobs of 10 work at 0 on one fast + one slow: for the
    # 10 s both are ideally present, the best assignment keeps 1 + 0.5: excess >= 5 s.
    specs = [replace(job(i, 0, 10), time_limit_s=None) for i in range(2)]
    rates = TableRates({"fast": 1.0, "slow": 0.5})
    pools = [pool("f", "fast", 1), pool("s", "slow", 1)]
    assert crowded_bound(specs, pools, rates) == pytest.approx((10 + 10 + 5) / 2)
