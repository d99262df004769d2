"""Failover against a real Slurm lab, over HTTP: slurmctld is stopped (the lab script's
``ctld-down``) while one nacc job runs in Slurm and two wait in Slurm's queue. After
``backend_down_s`` the Slurm backend is down (``/healthz``, ``/healthz/details``,
``/metrics``); the two waiting jobs are planned again onto the local pool and run there;
the running one is not started a second time. slurmctld comes back (``up``): the waiting
copies are cancelled in Slurm, never run; the running job is seen ended with Slurm's
times and charged once; the ledger verifies. On SQLite and PostgreSQL (``make slurm-test``)."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jobsetup import funded_project, submit_job, wait_job

from conftest import Api
from nacc.adapters.store import repos_ledger
from nacc.bootstrap import Settings, build_app, first_operator
from nacc.domain.reasons import Code
from nacc.service.reports import verify_ledger
from support.fleets import write_fleet
from support.slurm_lab import GPUS_PER_NODE, NODES, SCRIPT, Lab
from support.waiting import wait_until

SLURM_POOL, LOCAL_POOL = "kisti-h100", "local-h100"


def _scenario(tmp_path: Path, url: str) -> Path:
    site = {"site": "s1", "accelerator": "H100-SXM", "node_size": 8, "engine": "slurm"}
    pools = [{"id": SLURM_POOL, "count": 16, "backend": url, **site},  # first: FIFO's choice
             {"id": LOCAL_POOL, "count": 4, **site, "engine": "local"}]  # fmt: skip
    return write_fleet(tmp_path, "failover", pools)


def _lab_script(lab: Lab, command: str) -> None:
    env = {**os.environ, "SLURM_LAB_PORT": str(lab.port - 3), "SLURM_LAB_NODES": str(NODES),
           "SLURM_LAB_GPUS": str(GPUS_PER_NODE), "SLURM_LAB_DBD": "0"}  # fmt: skip
    done = subprocess.run(["bash", str(SCRIPT), command, str(lab.dir)], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.fixture
def failover(db_url: str, tmp_path: Path, slurm_lab: Lab) -> Iterator[tuple[Api, str]]:
    tag = f"fo{uuid.uuid4().hex[:8]}"
    # one try per call and a short timeout: a poll of the stopped slurmctld answers fast
    url = f"{slurm_lab.url}?tag={tag}&gres.{SLURM_POOL}=h100&attempts=1&timeout=5"
    settings = Settings(database_url=db_url, workdir=tmp_path / "jobs",
                        scenario=_scenario(tmp_path, url), devices_per_pool=6, policy="fifo",
                        tick_s=0.1, meter_s=0.5, backend_down_s=1.0)  # fmt: skip
    app, svc = build_app(settings, live=True)
    secret = first_operator(svc, "Ops", "ops@nacc.example")
    blockers: list[str] = []
    try:
        # the lab's 16 GPUs less 2: one nacc job runs, the next ones wait in Slurm's queue
        for node, gpus in (("n1", GPUS_PER_NODE), ("n2", GPUS_PER_NODE - 2)):
            out = slurm_lab.run("sbatch", "--parsable", "-w", node, f"--gres=gpu:h100:{gpus}",
                                f"--comment=blocker:{tag}", "--wrap", "sleep 600")  # fmt: skip
            blockers.append(out.strip().split(";")[0])
        with TestClient(app) as client:
            yield Api(client, svc, secret), tag
    finally:
        _lab_script(slurm_lab, "up")  # slurmctld back, whatever the test did
        for job in blockers:
            slurm_lab.run("scancel", job)
        svc.sessions.kw["bind"].dispose()


def _slurm_states(lab: Lab, comment: str) -> list[str]:
    rows = lab.run("squeue", "-h", "-t", "all", "-o", "%k %T").splitlines()
    return [state for c, state in (r.split() for r in rows) if c == comment]


def _metric(api: Api, name: str) -> str:
    lines = api.client.get("/metrics").text.splitlines()
    return "\n".join(line for line in lines if line.startswith(name))


@pytest.mark.slurm_slow  # waits out slurmrestd's timeouts while slurmctld is down: ~40 s
def test_jobs_waiting_in_a_stopped_slurm_move_to_the_local_pool_and_run_once(
    failover: tuple[Api, str], slurm_lab: Lab
) -> None:
    api, tag = failover
    f = funded_project(api.svc, credits=Decimal(1000))
    comment = f"nacc:{tag}:" + "{}"
    wait_until(lambda: _slurm_states(slurm_lab, f"blocker:{tag}") == ["RUNNING"] * 2, 30,
               "the blockers to run")  # fmt: skip
    runs = submit_job(api, f.pi, f.project_id, command="sleep 6; echo ran", accelerators=2)
    run = runs.json()
    wait_until(lambda: _slurm_states(slurm_lab, comment.format(run["id"])) == ["RUNNING"], 30,
               "Slurm to run the first job")  # fmt: skip
    live = api.client.app.state.live  # type: ignore[attr-defined]
    wait_until(lambda: not live.engine.running[run["id"]].starting, 30, "nacc to see it start")
    waiting = [submit_job(api, f.pi, f.project_id, accelerators=2,
                          command='sleep 1; echo "ran on $NACC_POOL"').json()  # charged > 0
               for _ in range(2)]  # fmt: skip
    for job in waiting:
        wait_until(lambda j=job: _slurm_states(slurm_lab, comment.format(j["id"])) == ["PENDING"],
                   30, "Slurm to queue it")  # fmt: skip
        got = wait_job(api, f.pi, job["id"], {"running"})  # as nacc records a Slurm launch
        assert got["pool_id"] == SLURM_POOL, got
    # --- the outage -----------------------------------------------------------------------
    _lab_script(slurm_lab, "ctld-down")
    for job in waiting:
        done = wait_job(api, f.pi, job["id"], {"completed", "failed"}, timeout=60)
        assert done["state"] == "completed" and done["pool_id"] == LOCAL_POOL, done
        log = api.client.get(f"/jobs/{job['id']}/logs", headers=api.as_(f.pi)).text
        assert f"ran on {LOCAL_POOL}" in log
        with api.svc.unit() as uow:
            codes = [e.reason.code for e in uow.jobs.events(job["id"]) if e.reason is not None]
        assert Code.REPLANNED_BACKEND_DOWN in codes, codes
    # the heartbeat carries it, written at most once a second: the jobs can be faster now
    # that a poll of the stopped slurmctld no longer holds the step
    wait_until(lambda: api.client.get("/healthz").json()["backends_down"] == 1, 30,
               "the backend to be down in /healthz")  # fmt: skip
    details = api.client.get("/healthz/details", headers=api.as_(api.operator)).json()
    down = [b for b in details["backends"] if not b["up"]]
    assert [b["pools"] for b in down] == [[SLURM_POOL]] and down[0]["since"], details
    assert f'nacc_backend_up{{backend="slurm://127.0.0.1:{slurm_lab.port}"}} 0.0' in _metric(
        api, "nacc_backend_up"
    )
    assert live.engine.jobs[run["id"]].pool_id == SLURM_POOL  # never started a second time
    # --- slurmctld back -------------------------------------------------------------------
    _lab_script(slurm_lab, "up")
    ended = wait_job(api, f.pi, run["id"], {"completed", "failed"}, timeout=60)
    assert ended["state"] == "completed" and ended["pool_id"] == SLURM_POOL, ended
    assert _slurm_states(slurm_lab, comment.format(run["id"])) == ["COMPLETED"]
    for job in waiting:  # their Slurm copies were cancelled before they ran
        wait_until(lambda j=job: _slurm_states(slurm_lab, comment.format(j["id"]))
                   == ["CANCELLED"], 30, "Slurm to cancel the copy")  # fmt: skip
    wait_until(lambda: api.client.get("/healthz").json()["backends_down"] == 0, 30,
               "the backend to be up in /healthz")  # fmt: skip
    with api.svc.tx() as s:
        metered = repos_ledger.metered_by_job(s)
    assert metered[run["id"]] > 0 and all(metered[j["id"]] > 0 for j in waiting)
    report = verify_ledger(api.svc)
    assert report.ok, report.lines()
