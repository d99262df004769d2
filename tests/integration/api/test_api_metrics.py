"""``/metrics`` in Prometheus' text format (prometheus_client), parsed back with its own
parser: the names, types, labels and values clients have read since before it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from jobsetup import funded_project, submit_job, wait_job
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from conftest import Api
from nacc.adapters.store import repos_jobs, repos_ledger
from nacc.api.app import create_app
from nacc.ports.store_jobs_data import BackendState
from nacc.service.reports import Metrics
from support.waiting import wait_until

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient) -> tuple[dict[str, str], Samples]:
    """(type per family, value per (sample name, labels)) of one GET /metrics."""
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"] == CONTENT_TYPE_LATEST
    types: dict[str, str] = {}
    samples: Samples = {}
    for family in text_string_to_metric_families(r.text):
        types[family.name] = family.type
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return types, samples


def test_a_snapshot_becomes_typed_families_with_its_values(api: Api) -> None:
    snap = Metrics(queue_length=7, running_jobs=3, utilization={"H100-SXM": 0.75, "RNGD": 0.0},
                   credits_spent=Decimal("12.345678901"), scheduler_up=True,
                   heartbeat_age_s=0.25, step_s=0.0125,
                   backends=(BackendState("slurm://head:6820", ("kisti-h100",), False,
                                          datetime(2026, 12, 3, tzinfo=UTC), "refused"),
                             BackendState("local://", ("local-h100",), True)))  # fmt: skip
    with TestClient(create_app(api.svc, lambda: snap)) as client:
        types, samples = scrape(client)
    assert types == {
        "nacc_queue_length": "gauge",
        "nacc_running_jobs": "gauge",
        "nacc_utilization": "gauge",
        "nacc_credits_spent": "counter",  # its sample: nacc_credits_spent_total
        "nacc_scheduler_up": "gauge",
        "nacc_scheduler_heartbeat_age_seconds": "gauge",
        "nacc_scheduler_step_seconds": "gauge",
        "nacc_backend_up": "gauge",
        "nacc_backends_down": "gauge",
    }
    assert samples == {
        ("nacc_queue_length", ()): 7,
        ("nacc_running_jobs", ()): 3,
        ("nacc_utilization", (("accelerator", "H100-SXM"),)): 0.75,
        ("nacc_utilization", (("accelerator", "RNGD"),)): 0.0,
        ("nacc_credits_spent_total", ()): 12.345678901,
        ("nacc_scheduler_up", ()): 1,
        ("nacc_scheduler_heartbeat_age_seconds", ()): 0.25,
        ("nacc_scheduler_step_seconds", ()): 0.0125,
        ("nacc_backend_up", (("backend", "slurm://head:6820"),)): 0,
        ("nacc_backend_up", (("backend", "local://"),)): 1,
        ("nacc_backends_down", ()): 1,
    }
    assert not any(m.name.startswith("nacc_") for m in REGISTRY.collect())  # its own registry


def test_without_a_scheduler_beat_the_scheduler_is_down_and_ages_are_absent(api: Api) -> None:
    types, samples = scrape(api.client)
    assert samples[("nacc_scheduler_up", ())] == 0
    assert "nacc_scheduler_heartbeat_age_seconds" not in types
    assert "nacc_scheduler_step_seconds" not in types
    then = api.svc.clock() - timedelta(seconds=60)  # a scheduler that stopped a minute ago
    beat = repos_jobs.Beat(repos_jobs.LIVE_SCHEDULER, "elsewhere", 4242, then, then,
                           0.5, 0.01, 3, 1)  # fmt: skip
    with api.svc.tx() as s:
        repos_jobs.record_beat(s, beat)
    _, samples = scrape(api.client)
    assert samples[("nacc_scheduler_up", ())] == 0
    assert 60 <= samples[("nacc_scheduler_heartbeat_age_seconds", ())] < 70
    assert samples[("nacc_scheduler_step_seconds", ())] == 0.01


def test_live_values_are_the_databases(live_api: Api) -> None:
    f = funded_project(live_api.svc)
    h100 = {"accelerator_types": ["H100-SXM"], "job_class": "inference"}
    done = submit_job(live_api, f.pi, f.project_id, command="echo charged", **h100).json()
    assert wait_job(live_api, f.pi, done["id"], {"completed"})["state"] == "completed"
    long = submit_job(live_api, f.pi, f.project_id, command="sleep 60", accelerators=3,
                      **h100).json()  # fmt: skip
    waits = submit_job(live_api, f.pi, f.project_id, command="true", accelerators=4,
                       **h100).json()  # fmt: skip
    assert wait_job(live_api, f.pi, long["id"], {"running"})["state"] == "running"

    def charged() -> Decimal:
        with live_api.svc.tx() as s:
            return repos_ledger.metered_by_job(s).get(done["id"], Decimal(0))

    first = wait_until(charged, 10, "the finished job's charge")
    _, samples = scrape(live_api.client)
    assert samples[("nacc_running_jobs", ())] == 1
    assert samples[("nacc_queue_length", ())] == 1  # the 4-H100 job waits for the 3-H100 one
    assert samples[("nacc_utilization", (("accelerator", "H100-SXM"),))] == 0.75
    assert samples[("nacc_utilization", (("accelerator", "RNGD"),))] == 0
    assert samples[("nacc_scheduler_up", ())] == 1
    with live_api.svc.tx() as s:
        spent = repos_ledger.balance(s, "usage")
    # the finished job's charge is in; the running one's grows while we look
    assert float(first) <= samples[("nacc_credits_spent_total", ())] <= float(spent)
    for job in (long, waits):
        live_api.client.post(f"/jobs/{job['id']}/cancel", headers=live_api.as_(f.pi))
