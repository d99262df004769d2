"""Charges follow Slurm's accounting: jobs submitted over HTTP to a pool on a Slurm lab
with slurmdbd (MariaDB) are charged exactly what slurmdbd accounts (GPUs x elapsed x the
pool's rate, to Slurm's one-second resolution), also one that waited in Slurm's queue
behind work submitted around nacc (not charged for the wait); while it waits, its
``reason`` over HTTP is Slurm's, in nacc's code; ``nacc ledger verify --slurm URL``,
run as written, says so. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jobsetup import funded_project, submit_job, wait_job

from conftest import Api, live_app
from nacc.adapters.dispatch.slurm import SlurmDispatcher, parse_url
from nacc.adapters.dispatch.slurm_accounting import accounted, charged_from, check
from nacc.bootstrap import Settings
from nacc.domain.ids import JobId
from nacc.service.reports import verify_ledger
from support.fleets import write_fleet
from support.slurm_lab import Lab
from support.waiting import wait_until

pytestmark = pytest.mark.slurm_slow  # a second lab, with slurmdbd: its database takes 10-25 s
POOL = "kisti-h100"


def _scenario(tmp_path: Path, url: str) -> Path:
    pool = {"id": POOL, "site": "s1", "accelerator": "H100-SXM", "count": 16,
            "node_size": 8, "engine": "slurm", "backend": url}  # fmt: skip
    return write_fleet(tmp_path, "on-slurm-accounted", [pool])


@pytest.fixture
def accounted_slurm(db_url: str, tmp_path: Path, dbd_conf: Lab) -> Iterator[tuple[Api, str]]:
    tmp_path.chmod(0o755)
    tag = f"acc{uuid.uuid4().hex[:8]}"
    url = f"{dbd_conf.url}?tag={tag}&gres.{POOL}=h100&workdir={tmp_path / 'slurm'}"
    settings = Settings(database_url=db_url, workdir=tmp_path / "jobs",
                        scenario=_scenario(tmp_path, url), tick_s=0.1, meter_s=0.5)  # fmt: skip
    with live_app(settings) as api:
        yield api, url


def _squeue(lab: Lab, comment: str) -> str:
    rows = lab.run("squeue", "-h", "-t", "all", "-o", "%k %T %r").splitlines()
    return " ".join(" ".join(r.split()[1:]) for r in rows if r.split()[0] == comment)


def test_charges_are_slurms_accounted_elapsed_times_the_rate(
    accounted_slurm: tuple[Api, str], dbd_conf: Lab, db_url: str
) -> None:
    api, url = accounted_slurm
    tag = parse_url(urlsplit(url)).tag
    f = funded_project(api.svc)
    fillers = [dbd_conf.run("sbatch", "--parsable", "--gres=gpu:h100:8", "--wrap", "sleep 300")
               .strip() for _ in range(2)]  # every GPU, taken around nacc  # fmt: skip
    running = lambda: dbd_conf.run("squeue", "-h", "-t", "R", "-o", "%i").split()  # noqa: E731
    wait_until(lambda: sorted(running()) == sorted(fillers), 30, "the fillers to run")
    waits = submit_job(api, f.pi, f.project_id, command="sleep 2").json()
    comment = f"nacc:{tag}:{waits['id']}"
    wait_until(lambda: _squeue(dbd_conf, comment) == "PENDING Resources", 30, "it to wait")
    job = wait_until(lambda: (j := api.client.get(f"/jobs/{waits['id']}", headers=api.as_(f.pi))
                              .json())["reason_code"] == "slurm_pending_resources" and j, 30,
                     "Slurm's reason over HTTP")  # fmt: skip
    assert "Resources" in job["reason"], job
    queued_at = time.time()
    wait_until(lambda: time.time() - queued_at > 3, 10, "3 s of waiting in Slurm's queue")
    dbd_conf.run("scancel", *fillers)
    others = [submit_job(api, f.pi, f.project_id, command="sleep 1", accelerators=2).json(),
              submit_job(api, f.pi, f.project_id, command="sleep 1; exit 3").json()]  # fmt: skip
    ids = [waits["id"], *(o["id"] for o in others)]
    for jid in ids:
        wait_job(api, f.pi, jid, {"completed", "failed"}, timeout=90)
    client = SlurmDispatcher(parse_url(urlsplit(url))).client

    def all_accounted() -> dict[JobId, object] | None:
        found = accounted(client, tag)
        return found if all(found.get(JobId(j)) and found[JobId(j)].end for j in ids) else None

    found = wait_until(all_accounted, 60, "slurmdbd to account the three jobs")
    engine = api.client.app.state.live.engine  # type: ignore[attr-defined]
    with api.svc.snapshot() as uow:
        charged = [charged_from(j, uow.ledger.usage_for_job(j)) for j in ids]
    assert all(c is not None for c in charged)
    real = [c for c in charged if c is not None]
    for c in real:  # the rate nacc charged at is the pool's rate for the job's class
        assert c.rate == pytest.approx(engine.jobs[JobId(c.job_id)].credit_rate, rel=1e-4)
    result = check(found, real)  # type: ignore[arg-type]
    assert result.ok, result.said
    assert found[JobId(waits["id"])].elapsed_s >= 2 and result.charged > 0
    # the wait in Slurm's queue (more than 3 s) was not charged
    assert real[0].credits < Decimal(found[JobId(waits["id"])].elapsed_s + 1) * Decimal(
        repr(real[0].rate)) / 3600  # fmt: skip
    off = dataclasses.replace(real[0], credits=real[0].credits + Decimal(2) * Decimal(
        repr(real[0].rate)) / 3600)  # two GPU-seconds more than Slurm accounted  # fmt: skip
    assert not check(found, [off, *real[1:]]).ok  # type: ignore[arg-type]
    assert verify_ledger(api.svc).ok
    env = {**os.environ, "NACC_DATABASE_URL": db_url, "SLURM_CONF": str(dbd_conf.conf)}
    nacc = str(Path(sys.executable).parent / "nacc")
    done = subprocess.run([nacc, "ledger", "verify", "--slurm", url], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: charged" in done.stdout and f"ok {waits['id']}" in done.stdout
