"""Placement with datasets: residency (domestic-only data only on pools at domestic
sites) and the preference for the sites holding the data, for every built-in policy."""

from __future__ import annotations

import dataclasses

import pytest
from sched_views import view

from nacc.domain.ids import PoolId
from nacc.domain.jobs import JobSpec
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code
from nacc.scheduling.placement import acceptable, shape_of
from nacc.scheduling.plan import Reject, Start
from nacc.scheduling.policies.registry import builtin_policies
from support.doubles import TableRates, job

RATES = TableRates({"fast": 2.0, "mid": 1.0})


def _pool(pid: str, accel: str, site: str, country: str = "KR", count: int = 4) -> Pool:
    return Pool(PoolId(pid), "prov", site, accel, count, count, "sim", country=country)


# scenario order: the pool abroad first, then two domestic sites
ABROAD = _pool("us-fast", "fast", "us-east", "US")
SEOUL = _pool("seoul-mid", "mid", "seoul")
DAEJEON = _pool("daejeon-fast", "fast", "daejeon")
POOLS = [ABROAD, SEOUL, DAEJEON]


def _uses(spec: JobSpec, domestic: bool, *sites: str) -> JobSpec:
    return dataclasses.replace(spec, domestic_only=domestic, data_sites=frozenset(sites))


def test_domestic_only_data_leaves_out_pools_abroad() -> None:
    plain = job(1, 0, 10)
    assert [p for p, _ in acceptable(POOLS, plain, RATES)] == ["us-fast", "seoul-mid",
                                                                "daejeon-fast"]  # fmt: skip
    domestic = _uses(plain, True)
    assert [p for p, _ in acceptable(POOLS, domestic, RATES)] == ["seoul-mid", "daejeon-fast"]
    assert shape_of(domestic) != shape_of(plain)  # memoised apart


def test_pools_at_the_data_sites_come_first_in_scenario_order() -> None:
    near_daejeon = _uses(job(1, 0, 10), False, "daejeon")
    assert [p for p, _ in acceptable(POOLS, near_daejeon, RATES)] == ["daejeon-fast", "us-fast",
                                                                       "seoul-mid"]  # fmt: skip
    both = _uses(job(1, 0, 10), False, "seoul", "us-east")
    assert [p for p, _ in acceptable(POOLS, both, RATES)] == ["us-fast", "seoul-mid",
                                                               "daejeon-fast"]  # fmt: skip
    # residency first, then the preference: domestic data held in Seoul
    assert [p for p, _ in acceptable(POOLS, _uses(job(1, 0, 10), True, "seoul"), RATES)] == [
        "seoul-mid", "daejeon-fast"]  # fmt: skip


@pytest.mark.parametrize("name", sorted(builtin_policies().names()))
def test_every_policy_starts_domestic_data_only_at_home(name: str) -> None:
    """Three domestic-data jobs of 4 on a fleet whose pool abroad is first and fastest:
    every start lands on a domestic pool; a plain job may go abroad."""
    jobs = [_uses(job(i, 0, 100, gpus=4), True) for i in range(3)]
    plan = builtin_policies().create(name).plan(view(0.0, POOLS, jobs, rates=RATES))
    starts = [a for a in plan.actions if isinstance(a, Start)]
    assert starts, plan
    assert {a.pool_id for a in starts} <= {"seoul-mid", "daejeon-fast"}


@pytest.mark.parametrize("name", sorted(builtin_policies().names()))
def test_no_domestic_pool_is_a_coded_refusal(name: str) -> None:
    spec = _uses(job(1, 0, 100, gpus=2), True)
    plan = builtin_policies().create(name).plan(view(0.0, [ABROAD], [spec], rates=RATES))
    rejects = [a for a in plan.actions if isinstance(a, Reject)]
    assert [(a.job_id, a.reason.code) for a in rejects] == [("j1", Code.REJECTED_NO_DOMESTIC_POOL)]


def test_first_fit_prefers_the_site_holding_the_data() -> None:
    spec = _uses(job(1, 0, 100, gpus=2), False, "daejeon")
    plan = builtin_policies().create("fifo").plan(view(0.0, POOLS, [spec], rates=RATES))
    assert [a.pool_id for a in plan.actions if isinstance(a, Start)] == ["daejeon-fast"]
