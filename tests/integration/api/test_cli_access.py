"""The access commands of the CLI against a real `nacc serve` (a process on a loopback
port, SQLite): listing and revoking tokens, revoking roles, answering invitations and
reading the audit log, with confirmations in Korean or English."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from test_crash_safety import _port, _start
from typer.testing import CliRunner, Result

from nacc.bootstrap import Settings, build_services, first_operator
from nacc.cli.main import app
from nacc.ports.store_people import CallSpec
from nacc.service import programs
from nacc.service.auth import Principal
from nacc.service.context import Services


@contextmanager
def serving(url: str, port: int, home: Path, devices: str) -> Iterator[None]:
    """A real `nacc serve` on ``url`` at ``port`` with local ``devices``, stopped (SIGTERM)
    after; the CLI tests' servers (access, reservations, datasets, challenges)."""
    env = dict(os.environ, NACC_DATABASE_URL=url, NACC_HOME=str(home),
               NACC_LOCAL_DEVICES=devices, NACC_TICK_S="0.2")  # fmt: skip
    server = _start(env, port, home / "server.log")
    try:
        yield
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


@contextmanager
def seeded_server(home: Path, devices: str,
                  seed: Callable[[Services, Served], None]) -> Iterator[Served]:  # fmt: skip
    """A SQLite database in ``home`` with an operator (token ``ops``) and what ``seed``
    adds, served by a real `nacc serve` with local ``devices`` (the CLI tests' worlds)."""
    url = f"sqlite:///{home / 'nacc.db'}"
    port = _port()
    served = Served(f"http://127.0.0.1:{port}", home, {}, {})
    svc = build_services(Settings(database_url=url))
    try:
        served.tokens["ops"] = first_operator(svc, "Ops", "ops@cli.example")
        seed(svc, served)
    finally:
        svc.sessions.kw["bind"].dispose()
    with serving(url, port, home, devices):
        yield served


@dataclass
class Served:
    url: str
    home: Path
    tokens: dict[str, str]
    ids: dict[str, int]

    def nacc(self, who: str, *args: str) -> Result:
        creds = self.home / f"{who}.json"
        creds.write_text(json.dumps({"url": self.url, "token": self.tokens[who]}))
        return CliRunner().invoke(app, list(args), env={"NACC_CONFIG": str(creds), "LC_ALL": ""})


def _world(url: str, served: Served) -> None:
    """An operator; Kim (PI of a proposal that invites Lee) and Lee, a reviewer."""
    svc = build_services(Settings(database_url=url))
    try:
        served.tokens["ops"] = first_operator(svc, "Ops", "ops@cli.example")
        now = svc.clock()
        with svc.unit() as uow:
            org = uow.people.create_organisation("Uni", "university", "Busan", capital_area=False)
            for name in ("kim", "lee"):
                user = uow.people.create_user(name.title(), f"{name}@cli.example", now, org.id)
                served.ids[name] = user.id
                _, served.tokens[name] = uow.people.create_token(user.id, now, label=name)
            uow.people.grant_role(served.ids["lee"], "reviewer", "call:1")
            ops = uow.people.user_by_email("ops@cli.example")
            assert ops is not None
        officer = Principal(ops.id, "Ops", None, frozenset({("operator", "")}))
        prog = programs.create_program(svc, officer, "P", "")
        spec = CallSpec("C", now - timedelta(hours=1), now + timedelta(hours=1), Decimal(100),
                        now, now + timedelta(hours=2), {"merit": 1.0}, 0)  # fmt: skip
        call = programs.open_call(svc, officer, prog.id, spec)
        kim = Principal(served.ids["kim"], "Kim", org.id, frozenset())
        req = programs.ProposalRequest("A", "a", Decimal(10), ["inference"],
                                       team=[served.ids["lee"]])  # fmt: skip
        served.ids["proposal"] = programs.apply(svc, kim, call.id, req).id
    finally:
        svc.sessions.kw["bind"].dispose()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    url = f"sqlite:///{tmp_path / 'nacc.db'}"
    port = _port()
    s = Served(f"http://127.0.0.1:{port}", tmp_path, {}, {})
    _world(url, s)
    with serving(url, port, tmp_path, "H100-SXM:1"):
        yield s


def test_tokens_roles_invitations_and_audit_from_the_cli(served: Served) -> None:
    s = served
    listed = s.nacc("lee", "token", "list")
    assert listed.exit_code == 0, listed.output
    [token] = json.loads(listed.output)
    assert token["label"] == "lee" and "token" not in token

    [inv] = json.loads(s.nacc("lee", "invitations").output)
    answered = s.nacc("lee", "--lang", "ko", "invitation", "accept", str(inv["id"]))
    assert (
        answered.exit_code == 0 and "팀 초대" in answered.output and "accepted" in answered.output
    )

    revoked = s.nacc("ops", "role", "revoke", "--user", str(s.ids["lee"]), "--role", "reviewer",
                     "--scope", "call:1")  # fmt: skip
    assert revoked.exit_code == 0 and "no longer holds reviewer" in revoked.output
    missing = s.nacc("ops", "role", "revoke", "--user", str(s.ids["lee"]), "--role", "reviewer",
                     "--scope", "call:1")  # fmt: skip
    assert missing.exit_code == 2 and "error 404" in missing.output

    gone = s.nacc("ops", "token", "revoke", str(token["id"]))
    assert gone.exit_code == 0 and f"token {token['id']} is revoked" in gone.output
    after = s.nacc("lee", "token", "list")
    assert after.exit_code == 2 and "error 401" in after.output

    log = s.nacc("ops", "audit", "--limit", "3")
    assert log.exit_code == 0, log.output
    entries = json.loads(log.output)["items"]
    assert [e["action"] for e in entries] == ["token.revoke", "role.revoke", "team.accept"]
    assert entries[0]["address"] == "127.0.0.1" and entries[2]["actor_id"] == s.ids["lee"]
    assert s.nacc("kim", "audit").exit_code == 2  # operators only
    both = s.nacc("kim", "invite", "--proposal", str(s.ids["proposal"]))
    assert both.exit_code == 2 and "--user or --email" in both.output
