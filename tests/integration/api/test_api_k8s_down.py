"""A cancel of a job on a Kubernetes backend that is down, over HTTP (SQLite), against the
FAKE API server (``support.fake_kube``; no real cluster): the fake hangs up on every
request (``store.down``) while a job runs there; after ``backend_down_s`` the backend is
down (``/healthz``); the user's cancel ends the job in nacc at once, and no scheduler step
fails (the router owes the stop: a Kubernetes dispatcher cannot forget a launch); once
the API server answers again the Job is deleted there and nothing is owed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from jobsetup import funded_project, submit_job, wait_job

from conftest import Api, live_app
from nacc.bootstrap import Settings
from nacc.service.reports import verify_ledger
from support.fake_kube import FakeKube, fake_kube
from support.fleets import NAVER, write_fleet
from support.waiting import wait_until


def _scenario(tmp_path: Path, url: str) -> Path:
    pool = {"id": "naver-h200", "site": "s1", "accelerator": "H200", "count": 8,
            "node_size": 8, "engine": "kubernetes", "backend": url}  # fmt: skip
    return write_fleet(tmp_path, "k8s-down", [pool], NAVER)


@pytest.fixture
def down_k8s(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[Api, FakeKube]]:
    with fake_kube(tmp_path) as kube:
        url = f"k8s://fake?kubeconfig={kube.kubeconfig}&timeout=2"
        settings = Settings(database_url=sqlite_url,
                            workdir=tmp_path / "jobs", scenario=_scenario(tmp_path, url),
                            tick_s=0.1, meter_s=0.5, backend_down_s=1.0)  # fmt: skip
        with live_app(settings) as api:
            yield api, kube


def test_a_cancel_on_a_down_kubernetes_is_owed_not_a_failing_step(
    down_k8s: tuple[Api, FakeKube], caplog: pytest.LogCaptureFixture
) -> None:
    api, kube = down_k8s
    live = api.client.app.state.live  # type: ignore[attr-defined]
    f = funded_project(api.svc)
    jid = submit_job(api, f.pi, f.project_id, command="sleep 600").json()["id"]
    name = wait_until(lambda: kube.job_of(jid), 30, "the Job")["metadata"]["name"]
    kube.controller.admit(name)
    kube.controller.run(name)
    assert wait_job(api, f.pi, jid, {"running"})["state"] == "running"
    kube.store.down = True
    wait_until(lambda: api.client.get("/healthz").json()["backends_down"] == 1, 60,
               "the Kubernetes backend to be down")  # fmt: skip
    caplog.set_level(logging.WARNING, logger="nacc.live")
    r = api.client.post(f"/jobs/{jid}/cancel", headers=api.as_(f.pi))
    assert r.status_code == 202
    assert wait_job(api, f.pi, jid, {"cancelled"})["state"] == "cancelled"
    assert set(live.engine.dispatcher.owed) == {jid}
    assert kube.job_of(jid) is not None  # not deleted yet: the API server hangs up
    assert not [r for r in caplog.records if "step failed" in r.getMessage()]
    kube.store.down = False
    wait_until(lambda: kube.job_of(jid) is None, 60, "the owed delete to be made")
    wait_until(lambda: api.client.get("/healthz").json()["backends_down"] == 0, 30,
               "the backend to be up")  # fmt: skip
    assert live.engine.dispatcher.owed == {}
    assert not [r for r in caplog.records if "step failed" in r.getMessage()]
    report = verify_ledger(api.svc)
    assert report.ok, report.lines()
