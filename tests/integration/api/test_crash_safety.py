"""SIGKILL the real server while jobs run, restart it: nothing lost, nothing charged twice.

Four jobs run when the server is killed: A keeps running through the outage and is
re-adopted; B finishes during the outage (its exit code is on disk) and is settled up to
its real end; C's process is killed during the outage without leaving an exit code and
is marked failed with the reason; D runs past its time limit during the outage and is
failed as timed out, charged up to its limit only.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from jobsetup import funded_project

from nacc.adapters.store import repos_ledger
from nacc.bootstrap import Settings, build_services
from nacc.service.reports import verify_ledger

NACC = str(Path(sys.executable).parent / "nacc")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    proc = subprocess.Popen([NACC, "serve", "--port", str(port)], env=env, stdout=out,
                            stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"server did not start: {log.read_text()[-2000:]}")


def _wait(url: str, token: str, job: str, states: set[str], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = httpx.get(f"{url}/jobs/{job}", headers={"Authorization": f"Bearer {token}"}).json()
        if got["state"] in states or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_sigkill_and_restart(db_url: str, tmp_path: Path) -> None:
    env = dict(os.environ, NACC_DATABASE_URL=db_url, NACC_HOME=str(tmp_path),
               NACC_LOCAL_DEVICES="H100-SXM:4", NACC_TICK_S="0.1", NACC_METER_S="0.5")  # fmt: skip
    settings = Settings(database_url=db_url, workdir=tmp_path / "nacc-jobs")
    svc = build_services(settings)
    f = funded_project(svc)
    port, log = _port(), tmp_path / "server.log"
    url, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {f.pi}"}
    server = _start(env, port, log)
    try:  # a failure before the planned SIGKILL must not leave this server running
        ids = {}
        cmds = {"A": "sleep 4", "B": "sleep 1.5", "C": "sleep 60", "D": "sleep 2.6"}
        for name, cmd in cmds.items():
            limit = 2 if name == "D" else 120  # D overruns its limit during the outage
            body = {
                "command": cmd,
                "accelerators": 1,
                "job_class": "fine-tuning",
                "time_limit_s": limit,
            }
            r = httpx.post(f"{url}/projects/{f.project_id}/jobs", json=body, headers=auth)
            assert r.status_code == 201, r.text
            ids[name] = r.json()["id"]
        for job in ids.values():
            assert _wait(url, f.pi, job, {"running"})["state"] == "running"
    except BaseException:
        server.kill()
        server.wait()
        raise
    time.sleep(1.0)  # let some usage be metered
    server.send_signal(signal.SIGKILL)
    server.wait()
    state_c = json.loads((settings.workdir / ids["C"] / "state.json").read_text())
    os.killpg(state_c["pgid"], signal.SIGKILL)  # C dies with no exit code written
    time.sleep(2.0)  # B finishes during the outage
    server = _start(env, port, log)
    try:
        a = _wait(url, f.pi, ids["A"], {"completed", "failed"})
        b = _wait(url, f.pi, ids["B"], {"completed", "failed"})
        c = _wait(url, f.pi, ids["C"], {"completed", "failed"})
        d = _wait(url, f.pi, ids["D"], {"completed", "failed"})
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    assert (a["state"], a["exit_code"]) == ("completed", 0)
    assert (b["state"], b["exit_code"]) == ("completed", 0)
    assert c["state"] == "failed" and "lost" in c["reason"]
    assert d["state"] == "failed" and d["reason"].startswith("timeout: time limit of 2 s")
    _check_usage(svc, f.project_id, ids, a, b)


def _check_usage(svc: Any, project_id: int, ids: dict[str, str], a: Any, b: Any) -> None:
    with svc.tx() as s:
        metered = repos_ledger.metered_by_job(s)
        for job in ids.values():
            charged = -repos_ledger.sum_legs(s, f"project:{project_id}", f"job:{job}:")
            assert charged == metered[job], job  # charged exactly what was metered
            spans = [(u.start_at, u.end_at) for u in repos_ledger.usage_for_job(s, job)]
            for (_, end), (start, _) in itertools.pairwise(spans):
                assert end == start, f"{job}: gap or overlap in metered usage"
        total = sum(metered.values(), Decimal(0))
        assert repos_ledger.balance(s, f"project:{project_id}") == Decimal(100) - total
        # A ran about 4 s and B about 1.5 s on one H100 (1 credit/h): nothing lost
        for job, run_s in ((ids["A"], 4.0), (ids["B"], 1.5)):
            spans = repos_ledger.usage_for_job(s, job)
            covered = (spans[-1].end_at - spans[0].start_at).total_seconds()
            assert run_s - 0.2 < covered < run_s + 1.5, (job, covered)
        # D is charged up to its 2 s limit, not for the 2.6 s it ran
        spans = repos_ledger.usage_for_job(s, ids["D"])
        assert abs((spans[-1].end_at - spans[0].start_at).total_seconds() - 2.0) < 1e-3
    report = verify_ledger(svc)
    assert report.ok, report.lines()
