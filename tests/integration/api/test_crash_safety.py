"""SIGKILL the real server while jobs run, restart it: nothing lost, nothing charged twice.

Four jobs run when the server is killed: A keeps running through the outage, is
re-adopted and ends after the restart; B finishes during the outage (its exit code is on
disk) and is settled up to its real end; C's process is killed during the outage without
leaving an exit code and is marked failed with the reason; D runs past its time limit
during the outage and is failed as timed out, charged up to its limit only. The jobs end
when the test tells them to (a file), not after sleeps that race the restart.
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
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from jobsetup import funded_project

from nacc.adapters.store import repos_ledger
from nacc.bootstrap import Settings, build_services
from nacc.service.reports import verify_ledger
from support import calls
from support.waiting import wait_until

NACC = str(Path(sys.executable).parent / "nacc")
pytestmark = pytest.mark.slow  # real servers, killed and restarted


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


START_S = 120
"""How long a server may take to answer (only a failing run waits this long): on two
busy cores ``nacc serve`` took over 30 s to import and start while other suites ran."""


def _healthy(port: int) -> bool:
    """A poll: a server not yet listening refuses at once; one that listens but is slow
    to answer gets 30 s (with 5 s, a server whose log said "serving on" missed every
    poll for 120 s at load average 25-30)."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code == 200
    except httpx.HTTPError:
        return False


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    proc = subprocess.Popen([NACC, "serve", "--port", str(port)], env=env, stdout=out,
                            stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_until(lambda: _healthy(port), START_S, "the server to answer /healthz", every=0.2)
    except AssertionError:
        proc.kill()
        raise AssertionError(f"server did not start: {log.read_text()[-2000:]}") from None
    return proc


def _wait(url: str, token: str, job: str, states: set[str], timeout: float = 120) -> Any:
    auth = {"Authorization": f"Bearer {token}"}

    def reached() -> Any:
        got = calls.get(f"{url}/jobs/{job}", headers=auth).json()
        return got if got["state"] in states else None

    return wait_until(reached, timeout, f"job {job} in {sorted(states)}", every=0.2)


GATE = "i=0; while [ ! -e go ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; [ -e go ]"
"""A job that runs until the test creates ``go`` in its directory (then exits 0), so the
test, not a race with a sleep, decides whether it ends before, during or after the
outage (it gives up, failing, after about a minute)."""
D_LIMIT_S = 4


def _release(workdir: Path, job: str) -> None:
    (workdir / job / "work" / "go").touch()  # the job's own directory, its cwd


def _exit_code_written(workdir: Path, job: str) -> None:
    wait_until(lambda: (workdir / job / "exit_code").exists(), 30, f"{job} to end")


def _submit_all(url: str, auth: dict[str, str], project: int) -> dict[str, str]:
    ids = {}
    for name, cmd in {"A": GATE, "B": GATE, "C": "sleep 60", "D": GATE}.items():
        body = {
            "command": cmd,
            "accelerators": 1,
            "job_class": "fine-tuning",
            "time_limit_s": D_LIMIT_S if name == "D" else 120,  # D overruns in the outage
        }
        r = calls.post(f"{url}/projects/{project}/jobs", json=body, headers=auth)
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    return ids


def _metered(svc: Any, jobs: list[str]) -> bool:
    with svc.tx() as s:
        return all(repos_ledger.usage_for_job(s, job) for job in jobs)


def test_sigkill_and_restart(db_url: str, tmp_path: Path) -> None:
    env = dict(os.environ, NACC_DATABASE_URL=db_url, NACC_HOME=str(tmp_path),
               NACC_LOCAL_DEVICES="H100-SXM:4", NACC_TICK_S="0.1", NACC_METER_S="0.5")  # fmt: skip
    settings = Settings(database_url=db_url, workdir=tmp_path / "nacc-jobs")
    svc, work = build_services(settings), settings.workdir
    f = funded_project(svc)
    port, log = _port(), tmp_path / "server.log"
    url, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {f.pi}"}
    server = _start(env, port, log)
    try:  # a failure before the planned SIGKILL must not leave this server running
        ids = _submit_all(url, auth, f.project_id)
        running = {n: _wait(url, f.pi, job, {"running"}) for n, job in ids.items()}
        assert all(job["state"] == "running" for job in running.values()), running
        wait_until(lambda: _metered(svc, list(ids.values())), 30, "some usage of each job")
    except BaseException:
        server.kill()
        server.wait()
        raise
    server.send_signal(signal.SIGKILL)
    server.wait()
    state_c = json.loads((work / ids["C"] / "state.json").read_text())
    os.killpg(state_c["pgid"], signal.SIGKILL)  # C dies with no exit code written
    _release(work, ids["B"])  # B finishes during the outage
    _exit_code_written(work, ids["B"])
    d_start = datetime.fromisoformat(running["D"]["started_at"]).timestamp()
    wait_until(lambda: time.time() > d_start + D_LIMIT_S + 0.2, 30, "D to pass its limit")
    _release(work, ids["D"])  # D ends during the outage, past its time limit
    _exit_code_written(work, ids["D"])
    restarted = datetime.now(UTC)
    server = _start(env, port, log)
    try:
        b = _wait(url, f.pi, ids["B"], {"completed", "failed"})
        c = _wait(url, f.pi, ids["C"], {"completed", "failed"})
        d = _wait(url, f.pi, ids["D"], {"completed", "failed"})
        assert _wait(url, f.pi, ids["A"], {"running"})["state"] == "running"  # re-adopted
        _release(work, ids["A"])  # A ran through the outage; it ends now
        a = _wait(url, f.pi, ids["A"], {"completed", "failed"})
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    assert (a["state"], a["exit_code"]) == ("completed", 0)
    assert (b["state"], b["exit_code"]) == ("completed", 0)
    assert datetime.fromisoformat(b["finished_at"]) < restarted  # its real end, not the restart
    assert datetime.fromisoformat(a["finished_at"]) > restarted
    assert c["state"] == "failed" and "lost" in c["reason"]
    assert d["state"] == "failed"
    assert d["reason"].startswith(f"timeout: time limit of {D_LIMIT_S} s reached while the "
                                  "service was down")  # fmt: skip
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
        # B (ended in the outage) is metered from its real start (its process began a
        # moment after the launch, which the store records as started_at: a launcher
        # makes it off the scheduler's thread) to its real end, exactly
        spans = repos_ledger.usage_for_job(s, b["id"])
        assert spans[-1].end_at == datetime.fromisoformat(b["finished_at"]), b["id"]
        covered, ran = _covered(s, b), _ran(b)
        assert 0 <= ran - covered < 5.0, (b["id"], covered, ran)
        # A (re-adopted) is metered from its real start (as B) to its real end, exactly:
        # its end counts once its exit code is written, so no meter tick charges past
        # it while its wrapper finishes the log
        late = _launch_s(s, a)
        assert 0 <= late < 5.0 and abs(_covered(s, a) - (_ran(a) - late)) < 1e-3, (a, late)
        # D is charged up to its limit, not for the longer time it ran (a restart counts
        # the limit from the recorded launch; the charge began at the real start)
        spans = repos_ledger.usage_for_job(s, ids["D"])
        covered_d = (spans[-1].end_at - spans[0].start_at).total_seconds()
        assert D_LIMIT_S - 5.0 < covered_d <= D_LIMIT_S + 1e-3, covered_d
    report = verify_ledger(svc)
    assert report.ok, report.lines()


def _covered(s: Any, job: Any) -> float:
    spans = repos_ledger.usage_for_job(s, job["id"])
    return (spans[-1].end_at - spans[0].start_at).total_seconds()


def _launch_s(s: Any, job: Any) -> float:
    """From the launch (the store's started_at) to the real start (the first metered)."""
    first = repos_ledger.usage_for_job(s, job["id"])[0].start_at
    return (first - datetime.fromisoformat(job["started_at"])).total_seconds()


def _ran(job: Any) -> float:
    ended = datetime.fromisoformat(job["finished_at"])
    return (ended - datetime.fromisoformat(job["started_at"])).total_seconds()
