"""Notifications and the award life cycle over HTTP (SQLite and PostgreSQL), with real
receivers: e-mail to an in-process SMTP server (aiosmtpd), webhooks to a local HTTP
server, one of whose endpoints always answers 500.

One award is followed from its decision to its expiry on a test clock: the decision
notice, thresholds crossed once each, an overdue progress report holding the next
tranche (409 ``report_overdue``, in Korean too), the officers' overdue list, expiry
warnings at 30 and 7 days, the unused credits returned to the call's budget (``ledger
verify`` holds), e-mail in Korean and in English, signed webhooks, and a failing webhook
retried with backoff until it is given up, never holding up e-mail.

Credits are "used" here by a ledger transfer from the project to ``usage`` (what a
job's charges do, without running jobs: metering has its own tests)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from jobsetup import funded_project, submit_job, wait_job
from notify_servers import Hooks, Mailbox, smtp_server, webhook_server
from test_api_programs import World, accept, assert_problem, open_call, proposal, review
from test_api_programs import world as world

from conftest import Api
from nacc.bootstrap import Settings, senders
from nacc.domain.notices import MAX_ATTEMPTS, SIGNATURE_HEADER, signature
from nacc.ledger.accounts import EntryKind
from nacc.service import posting
from nacc.service.reports import verify_ledger

SECRET = "a1-webhook-secret-0123"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    yield from smtp_server()


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    yield from webhook_server()


@pytest.fixture
def notified(world: World, mailbox: tuple[Mailbox, int], hooks: Hooks) -> World:
    """The world's server sends e-mail to the SMTP server above."""
    settings = Settings(smtp_host="127.0.0.1", smtp_port=mailbox[1], smtp_from="nacc@test.kr",
                        webhook_timeout_s=5)  # fmt: skip
    world.api.svc.senders = senders(settings)
    return world


def _spend(w: World, project: int, amount: int, n: int) -> None:
    svc = w.api.svc
    with svc.unit() as uow:
        if uow.ledger.get_account("usage") is None:
            uow.ledger.open_account("usage", "usage", Decimal(0))
        legs = [(f"project:{project}", Decimal(-amount)), ("usage", Decimal(amount))]
        posting.post(uow, posting.entry(EntryKind.TRANSFER, legs, f"test-use:{project}:{n}",
                                        svc.clock(), "test use"))  # fmt: skip


def _sweep(w: World) -> dict[str, Any]:
    out: dict[str, Any] = w.ok("POST", "/notify/sweep", "operator")
    return out


def _kinds(w: World, who: str) -> list[tuple[str, str, str]]:
    rows = w.ok("GET", "/me/notices?limit=500", who)
    return sorted((n["kind"], n["channel"], n["state"]) for n in rows)


def _award(w: World) -> tuple[int, int, int]:
    """a1 (with a2 on the team) is awarded 400 credits, 200 released; (call, proposal,
    project)."""
    call = open_call(w)
    cid = call["id"]
    body = proposal("Korean LLM", 400, [w.ids["a2"]])
    pid = w.ok("POST", f"/calls/{cid}/proposals", "a1", body, 201)["id"]
    accept(w, "a2", pid)
    w.ok("POST", f"/calls/{cid}/reviewers", "officer", {"user_id": w.ids["r1"]}, 201)
    w.clock.advance(minutes=90)
    assert review(w, "r1", pid, 7, 7).status_code == 201
    decided = w.ok("POST", f"/calls/{cid}/decisions", "officer", {"overrides": {}}, 201)
    assert [(d["awarded"], d["amount"]) for d in decided] == [(True, "400")]
    return cid, pid, decided[0]["project_id"]


def _prefs(w: World, hooks: Hooks) -> None:
    bad = {"channels": ["webhook"]}  # no URL, no secret
    assert_problem(w.call("PUT", "/me/notify", "a1", bad), 422, "webhook_url")
    body = {"lang": "ko", "channels": ["email", "webhook"], "webhook_url": hooks.url("/good"),
            "webhook_secret": SECRET}  # fmt: skip
    got = w.ok("PUT", "/me/notify", "a1", body)
    assert got["lang"] == "ko" and got["webhook_secret_set"] and "webhook_secret" not in got
    body = {"channels": ["webhook", "email"], "webhook_url": hooks.url("/bad"),
            "webhook_secret": "a2-webhook-secret-0123"}  # fmt: skip
    assert w.ok("PUT", "/me/notify", "a2", body)["lang"] == "en"


def test_award_life_cycle_with_notices(
    notified: World, mailbox: tuple[Mailbox, int], hooks: Hooks
) -> None:
    w, box = notified, mailbox[0]
    _prefs(w, hooks)
    cid, pid, project = _award(w)
    assert w.ok("GET", f"/calls/{cid}", "officer")["budget_balance"] == "800"

    # the decision, by e-mail (a1 in Korean, a2 in English) and webhook
    first = _sweep(w)
    assert first["sent"] == 3 and first["retrying"] == 1 and first["failed"] == 0
    (ko,) = box.to("a1@example.kr")
    assert "선정" in ko["Subject"] and "Korean LLM" in ko.get_content()
    assert "사유: 1위, 점수 " in ko.get_content()  # the decision's reason in each one's language
    (en,) = box.to("a2@example.kr")
    assert en["Subject"] == '[nacc] Proposal "Korean LLM": awarded'
    assert "Reason: ranked 1 with score " in en.get_content()
    ((_, headers, raw),) = [h for h in hooks.received if h[0] == "/good"]
    assert headers[SIGNATURE_HEADER] == signature(SECRET, raw)
    doc = json.loads(raw)
    assert doc["kind"] == "proposal_decided" and doc["lang"] == "ko" and doc["data"]["awarded"]

    # thresholds: 55 % used -> the 50 % notice once; 85 % -> the 80 % notice only
    _spend(w, project, 110, 1)
    assert _sweep(w)["queued"] == 4  # a1, a2 x email, webhook
    assert _sweep(w)["queued"] == 0  # once each
    _spend(w, project, 60, 2)
    assert _sweep(w)["queued"] == 4
    subjects = [m["Subject"] for m in box.to("a2@example.kr")]
    assert [s for s in subjects if "%" in s] == [
        f"[nacc] Korean LLM (proposal {pid}): 50% of the released credits used",
        f"[nacc] Korean LLM (proposal {pid}): 80% of the released credits used",
    ]  # fmt: skip
    assert any("지급된 크레딧의 80% 사용" in m["Subject"] for m in box.to("a1@example.kr"))

    _failing_webhook_retried(w, box)
    _overdue_report_holds_tranche(w, cid, project)
    _expiry(w, box, cid, project)


def _failing_webhook_retried(w: World, box: Mailbox) -> None:
    """a2's webhook answers 500: retried after 30 s, 1 min, ... until given up, while
    every e-mail of theirs went out."""
    rows = w.ok("GET", "/me/notices?limit=500", "a2")
    hook = [n for n in rows if n["channel"] == "webhook"]
    assert len(hook) == 3  # decision, 50 %, 80 %
    assert all(n["state"] == "pending" and "HTTP 500" in n["last_error"] for n in hook)
    assert all(n["state"] == "sent" for n in rows if n["channel"] == "email")
    for _ in range(MAX_ATTEMPTS):
        w.clock.advance(hours=1)
        _sweep(w)
    rows = w.ok("GET", "/me/notices?limit=500", "a2")
    assert {(n["state"], n["attempts"]) for n in rows if n["channel"] == "webhook"} == {
        ("failed", MAX_ATTEMPTS)
    }
    assert all("HTTP 500" in n["last_error"] for n in rows if n["channel"] == "webhook")
    assert len(box.to("a2@example.kr")) == 3  # decision, 50 %, 80 %


def _overdue_report_holds_tranche(w: World, cid: int, project: int) -> None:
    reports = w.ok("GET", f"/projects/{project}/progress-reports", "a1")
    assert [(r["report"], r["state"]) for r in reports] == [
        (1, "scheduled"), (2, "scheduled"), (3, "scheduled")]  # fmt: skip
    w.clock.advance(days=32)  # report 1 (at one month) is overdue
    _sweep(w)
    assert ("report_overdue", "email", "sent") in _kinds(w, "a1")
    assert all(k != "report_overdue" for k, _, _ in _kinds(w, "a2"))  # the PI's task
    overdue = w.ok("GET", "/progress-reports/overdue", "officer")
    assert [(r["project_id"], r["report"]) for r in overdue] == [(project, 1)]
    assert_problem(w.call("GET", "/progress-reports/overdue", "a1"), 403)
    release = f"/projects/{project}/progress-reports/accept"
    held = assert_problem(w.call("POST", release, "officer"), 409, "progress report 1")
    assert held["code"] == "report_overdue"
    r = w.api.client.post(release, headers=w.api.as_(w.tokens["officer"]) | {
        "Accept-Language": "ko"})  # fmt: skip
    assert r.status_code == 409 and "진행 보고서 1" in r.json()["detail"]
    assert w.ok("GET", f"/calls/{cid}", "officer")["budget_balance"] == "800"  # nothing moved
    assert_problem(w.call("POST", f"/projects/{project}/progress-reports/1/accept", "a1"), 403)
    got = w.ok("POST", f"/projects/{project}/progress-reports/1/accept", "officer")
    assert got["accepted"] and got["report"]["state"] == "accepted"
    again = w.ok("POST", f"/projects/{project}/progress-reports/1/accept", "officer")
    assert not again["accepted"]
    assert w.ok("GET", "/progress-reports/overdue", "officer") == []
    assert w.ok("POST", release, "officer")["released"] is True
    assert w.ok("GET", f"/calls/{cid}", "officer")["budget_balance"] == "600"


def _expiry(w: World, box: Mailbox, cid: int, project: int) -> None:
    until = w.ok("GET", f"/projects/{project}", "a1")["valid_until"]
    end = datetime.fromisoformat(until)
    for report in (2, 3):  # keep later reports from adding to the mail below
        w.ok("POST", f"/projects/{project}/progress-reports/{report}/accept", "officer")
    w.clock.now = end - timedelta(days=20)
    _sweep(w)
    w.clock.now = end - timedelta(days=5)
    _sweep(w)
    a2 = [m["Subject"] for m in box.to("a2@example.kr")]
    assert [s for s in a2 if "ends in" in s] == [
        f"[nacc] Korean LLM (proposal {_proposal(w, project)}): the award ends in {d} days"
        for d in (20, 5)
    ]
    assert w.ok("GET", f"/projects/{project}/balance", "a1")["balance"] == "230"
    w.clock.now = end + timedelta(hours=1)
    swept = _sweep(w)
    assert swept["returned"] == {str(project): "230"}
    assert w.ok("GET", f"/projects/{project}/balance", "a1")["balance"] == "0"
    assert w.ok("GET", f"/calls/{cid}", "officer")["budget_balance"] == "830"
    assert _sweep(w)["returned"] == {}  # once
    assert any("크레딧 230 반환" in m["Subject"] for m in box.to("a1@example.kr"))
    report = verify_ledger(w.api.svc)
    assert report.ok, str(report)


def _proposal(w: World, project: int) -> int:
    pid: int = w.ok("GET", f"/projects/{project}", "a1")["proposal_id"]
    return pid


def test_notify_test_and_prefs_refusals(
    notified: World, mailbox: tuple[Mailbox, int], hooks: Hooks
) -> None:
    w, box = notified, mailbox[0]
    assert w.ok("GET", "/me/notify", "b1")["channels"] == ["email"]  # the defaults
    sent = w.ok("POST", "/me/notify/test", "b1")
    assert [(n["channel"], n["state"]) for n in sent] == [("email", "sent")]
    assert box.to("b1@example.kr")[0]["Subject"] == "[nacc] Test notice"
    for body, field in [({"lang": "fr"}, "lang"), ({"kinds": ["nope"]}, "kinds.0"),
                        ({"webhook_url": "ftp://x", "webhook_secret": "s" * 16}, "webhook_url"),
                        ({"webhook_secret": "short"}, "webhook_secret"),
                        ({"email": "a\x00@b"}, "email"), ({"extra": 1}, "extra")]:  # fmt: skip
        r = w.call("PUT", "/me/notify", "b1", body)
        assert r.status_code == 422, (body, r.text)
        assert field in r.json()["field"], (body, r.json())
    assert_problem(w.call("POST", "/notify/sweep", "b1"), 403)
    assert w.call("GET", "/me/notify", None).status_code == 401


def test_job_end_notices_only_for_those_who_opted_in(
    live_api: Api, mailbox: tuple[Mailbox, int]
) -> None:
    """A real job on the live fleet: its end is told to the PI who opted in (in Korean),
    not before they did, once."""
    box, port = mailbox
    live_api.svc.senders = senders(Settings(smtp_host="127.0.0.1", smtp_port=port))
    f = funded_project(live_api.svc)
    ops = live_api.as_(live_api.operator)
    before = submit_job(live_api, f.pi, f.project_id, command="true").json()["id"]
    wait_job(live_api, f.pi, before, {"completed"})
    r = live_api.client.put("/me/notify", json={"lang": "ko", "kinds": ["job_ended"]},
                            headers=live_api.as_(f.pi))  # fmt: skip
    assert r.status_code == 200 and r.json()["kinds"] == ["job_ended"]
    job = submit_job(live_api, f.pi, f.project_id, command="exit 3").json()["id"]
    wait_job(live_api, f.pi, job, {"failed"})
    member = submit_job(live_api, f.member, f.project_id, command="true").json()["id"]
    wait_job(live_api, f.member, member, {"completed"})
    assert live_api.client.post("/notify/sweep", headers=ops).json()["sent"] == 1
    assert live_api.client.post("/notify/sweep", headers=ops).json()["queued"] == 0
    (mail,) = box.messages
    assert mail["Subject"] == f"[nacc] 작업 {job} 종료: 실패"
    assert "종료 코드 3" in mail.get_content()
