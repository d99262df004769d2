"""The live service with a scenario pool on ``k8s://``, against the FAKE Kubernetes API
server (``support.fake_kube``; no real cluster): a job submitted over HTTP becomes a
suspended Kueue Job; the test, playing Kueue and the kubelet, admits it, runs it and ends
it; the service reports it running, completed with its Pod's log, charged, the ledger
verifying; a failure keeps its exit code; a cancel over HTTP deletes the Job. On SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from jobsetup import funded_project, submit_job, wait_job

from conftest import Api, live_app
from nacc.adapters.dispatch.background import BackgroundPoll
from nacc.adapters.dispatch.k8s import K8sDispatcher
from nacc.bootstrap import Settings
from nacc.service.reports import verify_ledger
from support.fake_kube import FakeKube, fake_kube
from support.fleets import NAVER, write_fleet
from support.waiting import wait_until


def _scenario(tmp_path: Path, url: str) -> Path:
    pool = {"id": "naver-h200", "site": "s1", "accelerator": "H200", "count": 8,
            "node_size": 8, "engine": "kubernetes", "backend": url}  # fmt: skip
    return write_fleet(tmp_path, "on-k8s", [pool], NAVER)


@pytest.fixture
def on_k8s(db_url: str, tmp_path: Path) -> Iterator[tuple[Api, FakeKube]]:
    with fake_kube(tmp_path) as kube:
        url = f"k8s://fake?kubeconfig={kube.kubeconfig}"
        settings = Settings(database_url=db_url, workdir=tmp_path / "jobs",
                            scenario=_scenario(tmp_path, url), tick_s=0.1,
                            meter_s=0.5)  # fmt: skip
        with live_app(settings) as api:
            yield api, kube


def test_a_job_over_http_runs_through_kueue_and_is_charged(on_k8s: tuple[Api, FakeKube]) -> None:
    api, kube = on_k8s
    router = api.client.app.state.live.engine.dispatcher  # type: ignore[attr-defined]
    backend = router.for_pool("naver-h200")  # polled off the scheduler's step
    assert isinstance(backend, BackgroundPoll) and isinstance(backend.inner, K8sDispatcher)
    f = funded_project(api.svc)
    r = submit_job(api, f.pi, f.project_id, command="python train.py", accelerators=2)
    assert r.status_code == 201, r.text
    jid = r.json()["id"]
    job = wait_until(lambda: kube.job_of(jid), 30, "the Kubernetes Job")
    assert job["spec"]["suspend"] is True
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == f"{f.project_id}-naver-h200"
    limits = job["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits == {"nvidia.com/gpu": "2"}
    name = job["metadata"]["name"]
    kube.controller.admit(name)
    kube.controller.run(name)
    assert wait_job(api, f.pi, jid, {"running"})["state"] == "running"
    kube.controller.succeed(name, log=f"hello from {jid}\n")
    done = wait_job(api, f.pi, jid, {"completed", "failed"})
    assert done["state"] == "completed" and done["exit_code"] == 0, done
    log = api.client.get(f"/jobs/{jid}/logs", headers=api.as_(f.member)).text
    assert f"hello from {jid}" in log
    report = verify_ledger(api.svc)
    assert report.ok, report.lines()


def test_a_failure_keeps_its_exit_code_and_a_cancel_deletes_the_job(
    on_k8s: tuple[Api, FakeKube],
) -> None:
    api, kube = on_k8s
    f = funded_project(api.svc)
    bad = submit_job(api, f.pi, f.project_id, command="exit 3").json()
    long = submit_job(api, f.pi, f.project_id, command="sleep 120").json()
    for jid in (bad["id"], long["id"]):
        name = wait_until(lambda j=jid: kube.job_of(j), 30, "the Job")["metadata"]["name"]
        kube.controller.admit(name)
        kube.controller.run(name)
    kube.controller.fail(kube.job_of(bad["id"])["metadata"]["name"], exit_code=3)  # type: ignore[index]
    assert wait_job(api, f.pi, bad["id"], {"failed"})["exit_code"] == 3
    assert wait_job(api, f.pi, long["id"], {"running"})["state"] == "running"
    r = api.client.post(f"/jobs/{long['id']}/cancel", headers=api.as_(f.pi))
    assert r.status_code == 202
    assert wait_job(api, f.pi, long["id"], {"cancelled"})["state"] == "cancelled"
    wait_until(lambda: kube.job_of(long["id"]) is None, 30, "the Job to be deleted")
    assert kube.store.items("pods", "default") == [p for p in kube.store.items("pods", "default")
                                                  if p["metadata"]["labels"]["nacc.io/job-id"]
                                                  == bad["id"]]  # fmt: skip
