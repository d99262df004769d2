"""`nacc notify ...` against a real `nacc serve` (SQLite) that e-mails an in-process SMTP
server and sweeps on its own every half second (``NACC_NOTIFY_EVERY_S``), as
docs/programs.md shows the commands."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from notify_servers import Hooks, Mailbox, smtp_server, webhook_server
from test_cli_access import Served, _world
from test_crash_safety import _port, _start

from nacc.bootstrap import Settings, build_services
from nacc.domain.notices import SIGNATURE_HEADER, signature
from nacc.ports.store_people import AwardProjectSpec
from support.waiting import wait_until

SECRET = "kim-webhook-secret-42"


@pytest.fixture
def served(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[Served, Mailbox, Hooks]]:
    url = sqlite_url
    port = _port()
    s = Served(f"http://127.0.0.1:{port}", tmp_path, {}, {})
    _world(url, s)
    svc = build_services(Settings(database_url=url))
    try:  # Kim's award ends in 3 days: the server's own sweep warns at 7 days
        now = svc.clock()
        with svc.unit() as uow:
            spec = AwardProjectSpec("kim-llm", now - timedelta(days=30), now + timedelta(days=3),
                                    proposal_id=s.ids["proposal"],
                                    members={s.ids["kim"]: "pi"})  # fmt: skip
            s.ids["project"] = uow.awards.create_project(spec).id
    finally:
        svc.sessions.kw["bind"].dispose()
    for (box, smtp_port), hooks in zip(smtp_server(), webhook_server(), strict=True):
        env = dict(os.environ, NACC_DATABASE_URL=url, NACC_HOME=str(tmp_path),
                   NACC_LOCAL_DEVICES="H100-SXM:1", NACC_TICK_S="0.2",
                   NACC_SMTP_HOST="127.0.0.1", NACC_SMTP_PORT=str(smtp_port),
                   NACC_NOTIFY_EVERY_S="0.5")  # fmt: skip
        server = _start(env, port, tmp_path / "server.log")
        try:
            yield s, box, hooks
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def test_prefs_test_and_the_servers_sweep(served: tuple[Served, Mailbox, Hooks]) -> None:
    s, box, hooks = served
    r = s.nacc("kim", "notify", "prefs")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["lang"] == "en"
    r = s.nacc("kim", "notify", "prefs", "--lang", "ko", "--channels", "email,webhook",
               "--webhook", hooks.url("/good"), "--secret", SECRET)  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["channels"] == ["email", "webhook"]
    r = s.nacc("kim", "notify", "test")
    assert r.exit_code == 0, r.output
    assert {(n["channel"], n["state"]) for n in json.loads(r.output)} == {
        ("email", "sent"), ("webhook", "sent")}  # fmt: skip
    test_mail = [m for m in box.to("kim@cli.example") if "테스트" in m["Subject"]]
    assert test_mail and "Kim" in test_mail[0].get_content()
    _, headers, raw = next(h for h in hooks.received if json.loads(h[2])["kind"] == "test")
    assert headers[SIGNATURE_HEADER] == signature(SECRET, raw)

    # nobody ran a sweep: the server's own (every 0.5 s) sends the 7-day warning (in the
    # language Kim had when it was queued: the first sweep may come before the change)
    def warning() -> list[str]:
        return [m["Subject"] for m in box.to("kim@cli.example")
                if "ends in 3 days" in m["Subject"] or "3일 남았어요" in m["Subject"]]  # fmt: skip

    assert "kim-llm" in wait_until(warning, 60, "the expiry warning")[0]

    r = s.nacc("kim", "--lang", "ko", "notify", "prefs", "--lang", "fr")
    assert r.exit_code == 2 and "오류 422" in r.output and "lang" in r.output
    r = s.nacc("ops", "notify", "sweep")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["errors"] == {}
    r = s.nacc("ops", "notify", "overdue")
    assert r.exit_code == 0 and [x["report"] for x in json.loads(r.output)] == [1]
    r = s.nacc("ops", "notify", "accept-report", str(s.ids["project"]), "1")
    assert r.exit_code == 0 and json.loads(r.output)["accepted"] is True
    r = s.nacc("kim", "notify", "notices", "--limit", "50")
    assert r.exit_code == 0
    assert {"test", "expiry_7", "report_overdue"} <= {n["kind"] for n in json.loads(r.output)}
