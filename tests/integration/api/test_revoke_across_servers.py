"""Two real ``nacc serve`` processes on the same database (SQLite, PostgreSQL): a token or
a role revoked through one fails at the very next request to the other, although the
other had just remembered the caller (its cache keeps callers for 5 s)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_crash_safety import _port, _start

from nacc.bootstrap import Settings, build_services, first_operator
from support import calls

pytestmark = pytest.mark.slow  # two real servers


@pytest.fixture
def servers(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """The URLs of two servers on ``db_url`` and an operator's token."""
    svc = build_services(Settings(database_url=db_url))
    try:
        operator = first_operator(svc, "Ops", "ops@two.example")
    finally:
        svc.sessions.kw["bind"].dispose()
    procs: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for name in ("one", "two"):
            home, port = tmp_path / name, _port()
            home.mkdir()
            env = dict(os.environ, NACC_DATABASE_URL=db_url, NACC_HOME=str(home),
                       NACC_LOCAL_DEVICES="H100-SXM:1", NACC_TICK_S="0.2")  # fmt: skip
            procs.append(_start(env, port, home / "server.log"))
            urls.append(f"http://127.0.0.1:{port}")
        yield urls[0], urls[1], operator
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_revocation_through_one_server_counts_at_once_in_the_other(
    servers: tuple[str, str, str],
) -> None:
    one, two, ops = servers
    made = calls.post(f"{one}/users", json={"name": "Kim", "email": "kim@two.example",
                      "roles": [{"role": "operator", "scope": ""}]}, headers=_as(ops))  # fmt: skip
    assert made.status_code == 201, made.text
    uid = made.json()["id"]
    tokens = []
    for label in ("a", "b"):
        r = calls.post(f"{one}/users/{uid}/tokens", json={"label": label}, headers=_as(ops))
        assert r.status_code == 201, r.text
        tokens.append((r.json()["id"], r.json()["token"]))
    (first_id, first), (_, second) = tokens
    # the role: server two remembers Kim as an operator, server one takes the role away
    assert calls.get(f"{two}/users", headers=_as(second)).status_code == 200
    gone = calls.delete(f"{one}/users/{uid}/roles/operator", headers=_as(ops))
    assert gone.status_code == 204, gone.text
    refused = calls.get(f"{two}/users", headers=_as(second))
    assert refused.status_code == 403 and refused.json()["code"] == "role_required"
    # the token: server two remembers it, server one revokes it
    assert calls.get(f"{two}/me", headers=_as(first)).status_code == 200
    gone = calls.delete(f"{one}/tokens/{first_id}", headers=_as(ops))
    assert gone.status_code == 204, gone.text
    after = calls.get(f"{two}/me", headers=_as(first))
    assert after.status_code == 401 and after.json()["code"] == "token_invalid"
    assert calls.get(f"{two}/me", headers=_as(second)).status_code == 200  # only that one
