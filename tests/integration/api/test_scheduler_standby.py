"""One live scheduler per PostgreSQL database: a second `nacc serve` on the same database
(another work directory, as on another machine) serves the API, its scheduler stands by,
and takes over when the first server is SIGKILLed."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from test_crash_safety import _port, _start

from nacc.adapters.store import make_engine
from nacc.adapters.store.engine import database_lock, lock_key
from nacc.bootstrap import Settings, build_services, first_operator
from support import calls
from support.waiting import wait_until

pytestmark = pytest.mark.slow  # two real servers on one database

TOKEN: dict[str, str] = {}  # the operator's, per database (where the scheduler runs is theirs)


def _operator(db_url: str) -> None:
    """Migrate the database and make an operator token (before any server starts)."""
    svc = build_services(Settings(database_url=db_url))
    try:
        TOKEN[db_url] = first_operator(svc, "Ops", "ops@standby.example")
    finally:
        svc.sessions.kw["bind"].dispose()


def _health(port: int) -> Any:
    """The operators' health details (pid and host are not public)."""
    headers = {"Authorization": f"Bearer {next(iter(TOKEN.values()))}"}
    return calls.get(f"http://127.0.0.1:{port}/healthz/details", headers=headers).json()


def _until(check: Any, timeout: float = 120) -> Any:  # bounds a failing run only
    return wait_until(check, timeout, every=0.2)


def _waiting_for_the_lock(db_url: str) -> bool:
    """Whether a session of this database waits for an advisory lock (a standby)."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            waiting = sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                              "AND NOT granted AND database = (SELECT oid FROM pg_database "
                              "WHERE datname = current_database())")  # fmt: skip
            return bool(conn.execute(waiting).scalar())
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_second_server_stands_by_and_takes_over(db_url: str, tmp_path: Path) -> None:
    TOKEN.clear()
    _operator(db_url)
    base = dict(os.environ, NACC_DATABASE_URL=db_url, NACC_LOCAL_DEVICES="H100-SXM:1",
                NACC_TICK_S="0.1")  # fmt: skip
    a_port, b_port = _port(), _port()
    a = _start({**base, "NACC_HOME": str(tmp_path / "a")}, a_port, tmp_path / "a.log")
    try:
        first = _until(lambda: (h := _health(a_port))["scheduler"] == "ok" and h)
        b_log = tmp_path / "b.log"
        b = _start({**base, "NACC_HOME": str(tmp_path / "b")}, b_port, b_log)
        try:
            _until(lambda: "standing by" in b_log.read_text())
            _until(lambda: _waiting_for_the_lock(db_url))  # B's scheduler blocks on it
            assert _health(b_port)["scheduler_pid"] == first["scheduler_pid"]
            a.send_signal(signal.SIGKILL)  # its scheduler dies with it, the lock with both
            a.wait(timeout=10)
            took = _until(lambda: (h := _health(b_port))["scheduler_pid"] != first[
                "scheduler_pid"] and h["scheduler"] == "ok" and h)  # fmt: skip
            assert took["scheduler_pid"] not in (first["scheduler_pid"], a.pid, b.pid)
        finally:
            b.send_signal(signal.SIGTERM)
            b.wait(timeout=30)
    finally:
        if a.poll() is None:
            a.kill()
            a.wait()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_database_lock_is_exclusive_and_released(db_url: str) -> None:
    engine = make_engine(db_url)
    waited: list[bool] = []
    try:
        with engine.connect() as probe:
            ask = sa.text("SELECT pg_try_advisory_lock(:k)")
            free = sa.text("SELECT pg_advisory_unlock(:k)")
            key = {"k": lock_key("test-lock")}
            with database_lock(engine, "test-lock", lambda: waited.append(True)):
                assert probe.execute(ask, key).scalar() is False  # held by the block
            assert waited == []  # it was free: nobody waited
            assert probe.execute(ask, key).scalar() is True  # released at the end
            probe.execute(free, key)
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_scheduler_that_loses_its_lock_stops(db_url: str, tmp_path: Path) -> None:
    """Its lock's connection is killed (as by a database restart): the scheduler stops
    within seconds, so it never runs beside a standby that took the lock over; the
    server then starts a new one."""
    TOKEN.clear()
    _operator(db_url)
    env = dict(os.environ, NACC_DATABASE_URL=db_url, NACC_LOCAL_DEVICES="H100-SXM:1",
               NACC_TICK_S="0.1", NACC_HOME=str(tmp_path))  # fmt: skip
    port, log = _port(), tmp_path / "server.log"
    server = _start(env, port, log)
    try:
        pid = _until(lambda: (h := _health(port))["scheduler"] == "ok" and h)["scheduler_pid"]
        engine = make_engine(db_url)
        try:
            with engine.connect() as conn:
                holder = sa.text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' "
                                 "AND granted AND database = (SELECT oid FROM pg_database "
                                 "WHERE datname = current_database())")  # fmt: skip
                backends = [row[0] for row in conn.execute(holder)]
                assert len(backends) == 1
                conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": backends[0]})
        finally:
            engine.dispose()
        _until(lambda: not Path(f"/proc/{pid}").exists() or "Z" in
               Path(f"/proc/{pid}/stat").read_text().split(")")[-1][:3], timeout=60)  # fmt: skip
        assert "lost this database's scheduler lock" in log.read_text()
        assert server.poll() is None  # the API goes on serving
        # the server starts a scheduler again, which takes the (now free) lock
        again = _until(lambda: (h := _health(port))["scheduler"] == "ok"
                       and h["scheduler_pid"] != pid and h)  # fmt: skip
        assert Path(f"/proc/{again['scheduler_pid']}").exists()
        assert "starting it again" in log.read_text()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
