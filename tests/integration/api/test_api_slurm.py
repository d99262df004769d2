"""The live service with a scenario pool on ``slurm://`` (a real Slurm lab): a job
submitted over HTTP runs as a Slurm job carrying its nacc id, its output is served by the
logs endpoint, it is charged and the ledger verifies; a failing job keeps its exit code,
and a cancel over HTTP cancels the Slurm job. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from jobsetup import funded_project, submit_job, wait_job

from conftest import Api, live_app
from nacc.adapters.dispatch.background import BackgroundPoll
from nacc.adapters.dispatch.slurm import SlurmDispatcher
from nacc.adapters.store import repos_ledger
from nacc.bootstrap import Settings
from nacc.service.reports import verify_ledger
from support.fleets import write_fleet
from support.slurm_lab import Lab
from support.waiting import wait_until


def _scenario(tmp_path: Path, url: str) -> Path:
    pool = {"id": "kisti-h100", "site": "s1", "accelerator": "H100-SXM", "count": 16,
            "node_size": 8, "engine": "slurm", "backend": url}  # fmt: skip
    return write_fleet(tmp_path, "on-slurm", [pool])


@pytest.fixture
def on_slurm(db_url: str, tmp_path: Path, slurm_lab: Lab) -> Iterator[tuple[Api, str]]:
    tag = f"api{uuid.uuid4().hex[:8]}"
    url = f"{slurm_lab.url}?tag={tag}&gres.kisti-h100=h100"  # the lab's GPUs are typed h100
    settings = Settings(database_url=db_url,
                        workdir=tmp_path / "jobs", scenario=_scenario(tmp_path, url),
                        tick_s=0.1, meter_s=0.5)  # fmt: skip
    with live_app(settings) as api:
        yield api, tag


def _slurm_state(lab: Lab, comment: str) -> str:
    rows = lab.run("squeue", "-h", "-t", "all", "-o", "%k %T").splitlines()
    return " ".join(state for c, state in (r.split() for r in rows) if c == comment)


def test_a_job_over_http_runs_in_slurm_and_is_charged(
    on_slurm: tuple[Api, str],
    slurm_lab: Lab,
) -> None:
    api, tag = on_slurm
    router = api.client.app.state.live.engine.dispatcher  # type: ignore[attr-defined]
    backend = router.for_pool("kisti-h100")  # polled off the scheduler's step
    assert isinstance(backend, BackgroundPoll) and isinstance(backend.inner, SlurmDispatcher)
    f = funded_project(api.svc)
    cmd = 'echo "hello from $NACC_JOB_ID on $SLURMD_NODENAME gpus $CUDA_VISIBLE_DEVICES"; sleep 1'
    r = submit_job(api, f.pi, f.project_id, command=cmd, accelerators=2)
    assert r.status_code == 201, r.text
    job = wait_job(api, f.pi, r.json()["id"], {"completed", "failed"}, timeout=60)
    assert job["state"] == "completed" and job["exit_code"] == 0, job
    assert _slurm_state(slurm_lab, f"nacc:{tag}:{job['id']}") == "COMPLETED"
    log = api.client.get(f"/jobs/{job['id']}/logs", headers=api.as_(f.member)).text
    assert f"hello from {job['id']} on n" in log and "gpus " in log
    with api.svc.tx() as s:
        metered = repos_ledger.metered_by_job(s)[job["id"]]
        charged = -repos_ledger.sum_legs(s, f"project:{f.project_id}", f"job:{job['id']}:")
    assert metered > 0 and charged == metered
    report = verify_ledger(api.svc)
    assert report.ok, report.lines()


def test_a_failure_keeps_its_exit_code_and_a_cancel_reaches_slurm(
    on_slurm: tuple[Api, str],
    slurm_lab: Lab,
) -> None:
    api, tag = on_slurm
    f = funded_project(api.svc)
    bad = submit_job(api, f.pi, f.project_id, command="exit 3").json()
    long = submit_job(api, f.pi, f.project_id, command="sleep 120").json()
    assert wait_job(api, f.pi, bad["id"], {"failed"}, timeout=60)["exit_code"] == 3
    assert wait_job(api, f.pi, long["id"], {"running"}, timeout=60)["state"] == "running"
    comment = f"nacc:{tag}:{long['id']}"
    wait_until(lambda: _slurm_state(slurm_lab, comment) == "RUNNING", 30, "Slurm to run it")
    r = api.client.post(f"/jobs/{long['id']}/cancel", headers=api.as_(f.pi))
    assert r.status_code == 202
    assert wait_job(api, f.pi, long["id"], {"cancelled"})["state"] == "cancelled"
    wait_until(lambda: _slurm_state(slurm_lab, comment) == "CANCELLED", 30, "Slurm to cancel")
