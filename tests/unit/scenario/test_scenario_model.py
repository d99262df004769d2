"""Scenario model helpers: domain pools, sums, scaling."""

from __future__ import annotations

import pytest

from nacc.domain.errors import InputError
from nacc.scenario import Scenario, load_scenario, scale_counts, shipped_scenario_path


@pytest.fixture(scope="module")
def korea() -> Scenario:
    return load_scenario(shipped_scenario_path("korea-2026"))


def test_domain_pools_mark_npus_domestic(korea: Scenario) -> None:
    pools = {str(p.id): p for p in korea.domain_pools()}
    assert pools["npu-rngd"].domestic
    assert pools["npu-rebel-quad"].domestic
    assert pools["npu-atom"].domestic
    assert not pools["nhn-b200"].domestic
    assert not pools["gwangju-h100"].domestic


def test_domain_pools_carry_provider_site_and_shape(korea: Scenario) -> None:
    pool = next(p for p in korea.domain_pools() if p.id == "kisti-gh200")
    assert (pool.provider, pool.site, pool.accel_type) == ("kisti", "kisti-daejeon", "GH200")
    assert (pool.count, pool.node_size, pool.engine) == (8346, 4, "slurm")
    assert sum(p.count for p in korea.domain_pools()) == korea.total_accelerators()
    assert pool.backend == ""  # no backend named: the service's local one


def test_a_pools_backend_url_reaches_the_domain_pool(korea: Scenario) -> None:
    url = "slurm://kisti-head:6820"  # the scenario checks the shape, not the scheme
    pools = [p.model_copy(update={"backend": url}) if p.id == "kisti-gh200" else p
             for p in korea.pools]  # fmt: skip
    named = korea.model_copy(update={"pools": pools})
    backends = {p.id: p.backend for p in scale_counts(named, 0.01).domain_pools()}
    assert backends["kisti-gh200"] == url and backends["nhn-b200"] == ""


def test_by_site_sums_to_total(korea: Scenario) -> None:
    assert sum(korea.by_site().values()) == korea.total_accelerators()


def test_scale_counts_rounds_and_keeps_at_least_one(korea: Scenario) -> None:
    small = scale_counts(korea, 0.01)
    counts = {p.id: p.count for p in small.pools}
    assert counts["nhn-b200"] == 77
    assert counts["kisti-h200"] == 2
    assert all(c >= 1 for c in counts.values())
    assert all(p.government_share is None or p.government_share <= p.count for p in small.pools)
    assert korea.total_accelerators() == 24906  # the original is untouched
    tiny = scale_counts(korea, 1e-6)
    assert all(p.count == 1 for p in tiny.pools)


@pytest.mark.parametrize("factor", [0.0, -1.0, float("nan")])
def test_scale_counts_rejects_bad_factor(korea: Scenario, factor: float) -> None:
    with pytest.raises(InputError, match="factor"):
        scale_counts(korea, factor)
