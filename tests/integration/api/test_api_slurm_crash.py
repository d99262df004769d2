"""SIGKILL a real ``nacc serve`` whose pool is on a real Slurm while jobs run there,
let them go on and end in Slurm, restart it: each job is settled once.

A runs through the outage and is re-adopted (ends after the restart); B ends in Slurm
during the outage and is settled at Slurm's end, before the restart; C is cancelled in
Slurm during the outage and fails with Slurm's state. A Slurm job carrying nacc's tag that
nacc never recorded (``ghost``) is cancelled at the restart. Each job has one end in its
history, is charged exactly what was metered, and the ledger verifies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jobsetup import funded_project
from test_crash_safety import _port, _start, _wait

from nacc.adapters.store import repos_jobs, repos_ledger
from nacc.bootstrap import Settings, build_services
from nacc.service.reports import verify_ledger
from support import calls
from support.fleets import write_fleet
from support.slurm_lab import Lab
from support.waiting import wait_until

pytestmark = pytest.mark.slurm_slow  # two real servers started (~60 s a database): make slurm-test
GATE = (
    'i=0; while [ ! -e "$NACC_JOB_DIR/go" ] && [ $i -lt 1800 ]; do sleep 0.1; i=$((i+1)); '
    'done; [ -e "$NACC_JOB_DIR/go" ]'
)
"""Runs until the test creates ``go`` in its folder; gives up, failing, after about 3 min
(a failed test leaves no job running for ever)."""
ENDS = {"completed", "failed", "cancelled"}


def _scenario(tmp_path: Path, url: str) -> Path:
    pool = {"id": "kisti-h100", "site": "s1", "accelerator": "H100-SXM", "count": 16,
            "node_size": 8, "engine": "slurm", "backend": url}  # fmt: skip
    return write_fleet(tmp_path, "on-slurm", [pool])


def _slurm(lab: Lab, comment: str) -> str:
    rows = lab.run("squeue", "-h", "-t", "all", "-o", "%k %T").splitlines()
    return " ".join(s for c, s in (r.split() for r in rows) if c == comment)


def _ran_in_slurm(lab: Lab, comment: str) -> None:
    """Wait until the job runs in Slurm and has run 2 s there: Slurm keeps start and end in
    whole seconds, so on a quiet machine the outage could begin and a job end within the
    second it started, an elapsed (and a charge) of 0."""
    wait_until(lambda: _slurm(lab, comment) == "RUNNING", 30, f"{comment} to run in Slurm")
    wait_until(lambda: _ran_s(lab, comment) >= 2, 30, f"{comment} to have run 2 s in Slurm")


def _ran_s(lab: Lab, comment: str) -> int:
    """How long Slurm says the job has run (squeue's TIME: [[D-]H:]M:S), 0 if not listed."""
    for row in lab.run("squeue", "-h", "-t", "R", "-o", "%k %M").splitlines():
        name, used = row.split()
        if name == comment:
            days, _, clock = used.rpartition("-")
            secs = 0
            for part in clock.split(":"):
                secs = secs * 60 + int(part)
            return secs + int(days or 0) * 86400
    return 0


def test_sigkill_with_jobs_in_slurm_then_restart_settles_each_once(
    db_url: str, tmp_path: Path, slurm_lab: Lab
) -> None:
    tmp_path.chmod(0o755)
    tag, slurm_dir = f"k{uuid.uuid4().hex[:8]}", tmp_path / "slurm"
    url = f"{slurm_lab.url}?tag={tag}&gres.kisti-h100=h100&workdir={slurm_dir}"
    env = dict(os.environ, NACC_DATABASE_URL=db_url, NACC_HOME=str(tmp_path),
               NACC_SCENARIO=str(_scenario(tmp_path, url)), NACC_TICK_S="0.1",
               NACC_METER_S="0.5", NACC_DEVICES_PER_POOL="4")  # fmt: skip
    svc = build_services(Settings(database_url=db_url, workdir=tmp_path / "nacc-jobs"))
    f = funded_project(svc)
    port, log = _port(), tmp_path / "server.log"
    base, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {f.pi}"}
    server = _start(env, port, log)
    try:
        ids: dict[str, str] = {}
        for name, cmd in {"A": GATE, "B": GATE, "C": "sleep 300"}.items():
            body = {"command": cmd, "accelerators": 1, "job_class": "fine-tuning"}
            r = calls.post(f"{base}/projects/{f.project_id}/jobs", json=body, headers=auth)
            assert r.status_code == 201, r.text
            ids[name] = r.json()["id"]
        for job in ids.values():
            _wait(base, f.pi, job, {"running"}, timeout=60)
            _ran_in_slurm(slurm_lab, f"nacc:{tag}:{job}")
    except BaseException:
        server.kill()
        server.wait()
        raise
    server.send_signal(signal.SIGKILL)
    server.wait()
    (slurm_dir / tag / ids["B"] / "go").touch()  # B ends in Slurm during the outage
    sid_c = slurm_lab.run("squeue", "-h", "-t", "R", "-o", "%i %k").split()
    c_slurm = sid_c[sid_c.index(f"nacc:{tag}:{ids['C']}") - 1]
    slurm_lab.run("scancel", c_slurm)  # C is cancelled in Slurm during the outage
    ghost = slurm_lab.run("sbatch", "--parsable", f"--comment=nacc:{tag}:ghost",
                          "--gres=gpu:h100:1", "--wrap", "sleep 300").strip()  # fmt: skip
    wait_until(lambda: _slurm(slurm_lab, f"nacc:{tag}:{ids['B']}") == "COMPLETED", 30, "B")
    wait_until(lambda: _slurm(slurm_lab, f"nacc:{tag}:{ids['C']}") == "CANCELLED", 30, "C")
    restarted = datetime.now(UTC)
    server = _start(env, port, log)
    try:
        b = _wait(base, f.pi, ids["B"], ENDS)
        c = _wait(base, f.pi, ids["C"], ENDS)
        assert _wait(base, f.pi, ids["A"], {"running"})["state"] == "running"  # re-adopted
        (slurm_dir / tag / ids["A"] / "go").touch()
        a = _wait(base, f.pi, ids["A"], ENDS, timeout=60)
        wait_until(lambda: _slurm(slurm_lab, f"nacc:{tag}:ghost") == "CANCELLED", 30,
                   "the job nacc never recorded to be cancelled")  # fmt: skip
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        subprocess.run(["scancel", ghost], env={**os.environ, "SLURM_CONF": str(slurm_lab.conf)},
                       check=False)  # fmt: skip
    assert (a["state"], a["exit_code"]) == ("completed", 0)
    assert (b["state"], b["exit_code"]) == ("completed", 0)
    assert datetime.fromisoformat(b["finished_at"]) < restarted  # Slurm's end, not the restart
    assert datetime.fromisoformat(a["finished_at"]) > restarted
    assert c["state"] == "failed" and c["reason_code"] == "slurm_ended", c
    _settled_once(svc, f.project_id, list(ids.values()))


def _settled_once(svc: Any, project_id: int, jobs: list[str]) -> None:
    with svc.tx() as s:
        metered = repos_ledger.metered_by_job(s)
        for job in jobs:
            ends = [e for e in repos_jobs.job_events(s, job) if e.dst in ENDS]
            assert len(ends) == 1, (job, [(e.src, e.dst) for e in ends])
            charged = -repos_ledger.sum_legs(s, f"project:{project_id}", f"job:{job}:")
            assert charged == metered[job] > 0, job
    report = verify_ledger(svc)
    assert report.ok, report.lines()
