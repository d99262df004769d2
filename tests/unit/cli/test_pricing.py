"""Submissions are priced at the rate metering charges (domestic incentive included), so
a job's reservation covers its charges."""

from __future__ import annotations

import pytest

from nacc.bootstrap import local_pools, pricing
from nacc.catalog.throughput import default_model
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobClass, JobSpec


def test_pricing_uses_the_metered_credit_rate() -> None:
    pools, _ = local_pools({"H100-SXM": 2, "RNGD": 2})
    dear = default_model(domestic_incentive=2.0)
    table = pricing(pools, dear)
    job = JobSpec(JobId("j"), 0.0, 1, JobClass.INFERENCE, 1.0, "p")
    for accel in ("H100-SXM", "RNGD"):
        assert table.rates[(accel, "inference")] == dear.credit_rate(job, accel)
    speed = dear.speed(JobClass.INFERENCE, "RNGD")
    assert speed is not None
    assert table.rates[("RNGD", "inference")] == pytest.approx(2 * speed)  # the incentive
    assert ("RNGD", JobClass.PRETRAIN.value) not in table.rates  # NPUs do not train
    assert ("H100-SXM", JobClass.PRETRAIN.value) in table.rates
    assert table.worst_rate("inference", None) == max(
        table.rates[("H100-SXM", "inference")], table.rates[("RNGD", "inference")]
    )
