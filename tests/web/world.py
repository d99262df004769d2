"""A real portal for browser tests: the whole app (live scheduler, real local jobs) under
a real uvicorn server on a free port of 127.0.0.1, in a thread of the test process so
the test can move the sessions' clock (the one seam: session expiry without sleeping)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import uvicorn

from nacc.bootstrap import Settings, build_app
from nacc.ledger.accounts import EntryKind
from nacc.ports.store_people import AwardProjectSpec
from nacc.service import posting
from nacc.service.context import Services
from nacc.web.session import Sessions
from support.waiting import wait_until

LIFETIME_S = 3600.0


@dataclass
class Clock:
    """Real time plus an offset the test moves forward."""

    ahead: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead


@dataclass(frozen=True)
class Portal:
    url: str
    svc: Services
    clock: Clock
    project_id: int
    pi_token: str


def fund(svc: Services, credits: Decimal = Decimal(100)) -> tuple[int, str]:
    """An organisation, a project funded with ``credits`` and its PI; (project, token)."""
    now = svc.clock()
    with svc.unit() as uow:
        org = uow.people.create_organisation("KAIST", "university", "Daejeon",
                                             capital_area=False)  # fmt: skip
        spec = AwardProjectSpec("portal", now - timedelta(days=1), now + timedelta(days=30))
        proj = uow.awards.create_project(spec)
        scope = f"project:{proj.id}"
        user = uow.people.create_user("김연구", "pi@kaist.example", now, org.id)
        uow.people.grant_role(user.id, "pi", scope)
        _, secret = uow.people.create_token(user.id, now)
        uow.ledger.open_account("funding", "funding", None)
        uow.ledger.open_account(scope, "project", Decimal(0))
        legs = [("funding", -credits), (scope, credits)]
        posting.post(uow, posting.entry(EntryKind.TRANSFER, legs, f"fund:{proj.id}", now, "fund"))
    return proj.id, secret


def serve(db_url: str, tmp_path: Path,
          devices: dict[str, int] | None = None) -> Iterator[Portal]:  # fmt: skip
    settings = Settings(database_url=db_url, workdir=tmp_path / "jobs",
                        devices=devices or {"H100-SXM": 2}, tick_s=0.1, meter_s=0.5)  # fmt: skip
    app, svc = build_app(settings, live=True)
    clock = Clock()
    app.state.web_sessions = Sessions(b"test-secret-not-for-use", LIFETIME_S, clock)
    project_id, token = fund(svc)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started, what="uvicorn to start")
    try:
        yield Portal(f"http://127.0.0.1:{port}", svc, clock, project_id, token)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        svc.sessions.kw["bind"].dispose()
