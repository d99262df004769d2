"""SIGKILL the scheduler process after it stopped two jobs but before it could write that
down (the test holds the database's write lock): E, whose cancel was asked through the
API, and F, which reached its time limit. The restarted scheduler settles them as the
step that stopped them would have (E cancelled, F failed for its time limit), each
charged up to its stop or its limit, never as lost."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import pytest
import sqlalchemy as sa
from jobsetup import funded_project
from sqlalchemy.engine import make_url
from test_crash_safety import GATE, _port, _start, _wait

from nacc.adapters.store import repos_ledger
from nacc.bootstrap import Settings, build_services
from nacc.service.reports import verify_ledger
from support import calls
from support.waiting import wait_until

# a real server whose scheduler process is killed; in `make faults`, not `make test`: it
# timed out once waiting for both stops in state.json during a full `make test` (08:57,
# merged main), cause not yet found
pytestmark = [pytest.mark.slow, pytest.mark.faults]
F_LIMIT_S = 3
HOLDS_ITS_STOP = f"trap 'touch termed' TERM; {GATE}"
"""E: says it got SIGTERM (a file) and runs on: the stop waits its grace, then SIGKILLs."""


@contextmanager
def _write_lock(db_url: str) -> Iterator[None]:
    """Hold the lock the scheduler's write needs, not the one its reads or the API's
    reads need: SQLite's write lock; PostgreSQL's EXCLUSIVE lock on ``jobs``."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        con = sqlite3.connect(str(url.database), isolation_level=None, timeout=60)
        con.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            con.execute("ROLLBACK")
            con.close()
        return
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn, conn.begin() as tx:
            conn.execute(sa.text("LOCK TABLE jobs IN EXCLUSIVE MODE"))
            yield
            tx.rollback()
    finally:
        engine.dispose()


def _scheduler(server: Any) -> psutil.Process:
    """The server's scheduler process (``python -m nacc.cli.scheduler``)."""

    def found() -> psutil.Process | None:
        procs = [p for p in psutil.Process(server.pid).children()
                 if "nacc.cli.scheduler" in " ".join(p.cmdline())]  # fmt: skip
        return procs[0] if len(procs) == 1 else None

    proc = wait_until(found, 60, "the scheduler process", every=0.1)
    assert isinstance(proc, psutil.Process)
    return proc


def _stopped(work: Path, job: str) -> bool:
    state = json.loads((work / job / "state.json").read_text())
    return bool(state.get("ended") == "stopped")


def test_stops_not_recorded_before_a_crash_come_back_cancelled_and_timed_out(
    db_url: str, tmp_path: Path
) -> None:
    env = dict(os.environ, NACC_DATABASE_URL=db_url, NACC_HOME=str(tmp_path),
               NACC_LOCAL_DEVICES="H100-SXM:2", NACC_TICK_S="0.1", NACC_METER_S="0.5")  # fmt: skip
    settings = Settings(database_url=db_url, workdir=tmp_path / "nacc-jobs")
    svc, work = build_services(settings), settings.workdir
    f = funded_project(svc)
    port, log = _port(), tmp_path / "server.log"
    url, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {f.pi}"}
    server = _start(env, port, log)
    try:
        ids = {}
        for name, cmd, limit in (("E", HOLDS_ITS_STOP, 120), ("F", GATE, F_LIMIT_S)):
            body = {"command": cmd, "accelerators": 1, "job_class": "fine-tuning",
                    "time_limit_s": limit}  # fmt: skip
            r = calls.post(f"{url}/projects/{f.project_id}/jobs", json=body, headers=auth)
            assert r.status_code == 201, r.text
            ids[name] = r.json()["id"]
        running = {n: _wait(url, f.pi, job, {"running"}) for n, job in ids.items()}
        scheduler = _scheduler(server)
        scheduler.suspend()  # the cancel and F's limit both wait for the same step
        r = calls.post(f"{url}/jobs/{ids['E']}/cancel", headers=auth)
        assert r.status_code == 202, r.text
        f_start = datetime.fromisoformat(running["F"]["started_at"]).timestamp()
        wait_until(lambda: time.time() > f_start + F_LIMIT_S + 0.5, 30, "F's limit")
        scheduler.resume()  # the step reads the cancel, then stops E (waiting its grace)
        wait_until(lambda: (work / ids["E"] / "work" / "termed").exists(), 60, "E's SIGTERM")
        scheduler.suspend()  # inside E's stop: its reads are done, its write not begun
        for job in ids.values():
            got = calls.get(f"{url}/jobs/{job}", headers=auth).json()
            slow = "the step wrote before the test held the lock (slower than the grace)"
            assert got["state"] == "running", (slow, got)
        with _write_lock(db_url):
            scheduler.resume()  # it stops E and F, then its write waits for the lock
            wait_until(lambda: all(_stopped(work, j) for j in ids.values()), 60,
                       "both stops in state.json")  # fmt: skip
            scheduler.send_signal(signal.SIGKILL)  # before the stops reach the database
            scheduler.wait(30)
        for job in ids.values():  # never written: still recorded as running
            assert calls.get(f"{url}/jobs/{job}", headers=auth).json()["state"] == "running"
        # the server starts its scheduler again; it recovers from what the jobs left
        e = _wait(url, f.pi, ids["E"], {"cancelled", "failed", "completed"}, timeout=90)
        g = _wait(url, f.pi, ids["F"], {"cancelled", "failed", "completed"}, timeout=90)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert e["state"] == "cancelled", e
    assert g["state"] == "failed" and g["reason"].startswith(
        f"timeout: time limit of {F_LIMIT_S} s reached"), g  # fmt: skip
    assert "lost" not in g["reason"] and "down" not in g["reason"], g
    _check_charges(svc, f.project_id, ids, e)


def _check_charges(svc: Any, project_id: int, ids: dict[str, str], e: Any) -> None:
    """Each charged what was metered; E up to its stop, F up to its limit; ledger OK."""
    with svc.tx() as s:
        metered = repos_ledger.metered_by_job(s)
        for name, job in ids.items():
            charged = -repos_ledger.sum_legs(s, f"project:{project_id}", f"job:{job}:")
            assert charged == metered[job], name  # charged exactly what was metered
        e_end = repos_ledger.usage_for_job(s, ids["E"])[-1].end_at
        assert e_end == datetime.fromisoformat(e["finished_at"])  # charged up to its stop
        f_spans = repos_ledger.usage_for_job(s, ids["F"])
        covered = (f_spans[-1].end_at - f_spans[0].start_at).total_seconds()
        assert F_LIMIT_S - 1.0 < covered <= F_LIMIT_S + 1e-3, covered  # up to its limit
    report = verify_ledger(svc)
    assert report.ok, report.lines()
