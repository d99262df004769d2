"""Notifications and progress reports: preferences, the outbox, a test notice, the
sweep; reports of a project, accepting one, what is overdue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from nacc.api.bounds import LIST_MAX, IdPath, NulFree
from nacc.api.deps import CallerDep, ServicesDep
from nacc.api.problems import LIST, READ, WRITE
from nacc.api.schemas import Strict
from nacc.ledger.accounts import fmt
from nacc.ports.store_notices import NoticeRow, Prefs
from nacc.service import award_life, notify_prefs
from nacc.service.auth import require
from nacc.service.notify_sweep import sweep as run_sweep

router = APIRouter(tags=["notify"])

KindName = Annotated[str, Field(min_length=1, max_length=32), NulFree]  # checked by the service
Email = Annotated[str, Field(max_length=254, pattern=r"^$|^[^@\s\x00]+@[^@\s\x00]+$")]
Url = Annotated[str, Field(max_length=2000), NulFree]
Secret = Annotated[str, Field(min_length=16, max_length=200), NulFree]


class PrefsIn(Strict):
    """What to change; fields left out keep their value. ``email: ""`` falls back to the
    account's address, ``webhook_url: ""`` removes the webhook."""

    lang: Literal["en", "ko"] | None = None
    kinds: list[KindName] | None = Field(default=None, max_length=LIST_MAX)
    channels: list[Literal["email", "webhook"]] | None = Field(default=None, max_length=2)
    email: Email | None = None
    webhook_url: Url | None = None
    webhook_secret: Secret | None = None


class PrefsOut(BaseModel):
    lang: str
    kinds: list[str]
    channels: list[str]
    email: str | None
    webhook_url: str | None
    webhook_secret_set: bool


class NoticeOut(BaseModel):
    id: int
    key: str
    kind: str
    channel: str
    lang: str
    subject: str
    body: str
    data: dict[str, Any]
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class SweepOut(BaseModel):
    queued: int
    returned: dict[str, str]  # project id -> credits returned at expiry
    errors: dict[str, str]
    sent: int
    retrying: int
    failed: int


class ReportOut(BaseModel):
    project_id: int
    project: str
    program_id: int
    report: int
    due_at: datetime
    accepted_at: datetime | None
    state: Literal["accepted", "overdue", "due", "scheduled"]


class AcceptOut(BaseModel):
    accepted: bool
    report: ReportOut


def _prefs(p: Prefs) -> PrefsOut:
    return PrefsOut(lang=p.lang, kinds=list(p.kinds), channels=list(p.channels),
                    email=p.email, webhook_url=p.webhook_url,
                    webhook_secret_set=bool(p.webhook_secret))  # fmt: skip


def _notice(n: NoticeRow) -> NoticeOut:
    return NoticeOut(id=n.id, key=n.key, kind=n.kind, channel=n.channel, lang=n.lang,
                     subject=n.subject, body=n.body, data=n.payload, state=n.state,
                     attempts=n.attempts, next_attempt_at=n.next_attempt_at,
                     last_error=n.last_error, created_at=n.created_at,
                     sent_at=n.sent_at)  # fmt: skip


def _report(r: award_life.ReportView) -> ReportOut:
    return ReportOut(project_id=r.project_id, project=r.project, program_id=r.program_id,
                     report=r.seq, due_at=r.due_at, accepted_at=r.accepted_at,
                     state=r.state)  # type: ignore[arg-type]  # fmt: skip


@router.get("/me/notify", responses=READ)
def get_prefs(svc: ServicesDep, who: CallerDep) -> PrefsOut:
    """The caller's notification preferences (the defaults until they set some)."""
    return _prefs(notify_prefs.get(svc, who))


@router.put("/me/notify", responses=WRITE)
def put_prefs(body: PrefsIn, svc: ServicesDep, who: CallerDep) -> PrefsOut:
    """Change the caller's preferences; the webhook channel needs a URL and a secret."""
    c = notify_prefs.Changes(
        body.lang, None if body.kinds is None else tuple(body.kinds),
        None if body.channels is None else tuple(body.channels), body.email,
        body.webhook_url, body.webhook_secret,
    )  # fmt: skip
    return _prefs(notify_prefs.update(svc, who, c))


@router.get("/me/notices", responses=LIST)
def my_notices(
    svc: ServicesDep, who: CallerDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[NoticeOut]:
    """The caller's notices, newest first, with their delivery state."""
    return [_notice(n) for n in notify_prefs.outbox(svc, who, limit)]


@router.post("/me/notify/test", responses=WRITE)
def test_notice(svc: ServicesDep, who: CallerDep) -> list[NoticeOut]:
    """Send a test notice to each of the caller's channels now; its rows after the try."""
    return [_notice(n) for n in notify_prefs.test(svc, who)]


@router.post("/notify/sweep", responses=WRITE)
def sweep(svc: ServicesDep, who: CallerDep) -> SweepOut:
    """Operators: detect events, return expired credits, deliver the outbox, now."""
    require(who, "operator")
    s = run_sweep(svc)
    return SweepOut(queued=s.queued, returned={str(k): fmt(v) for k, v in s.returned.items()},
                    errors={str(k): v for k, v in s.errors.items()}, sent=len(s.delivered.sent),
                    retrying=len(s.delivered.retrying), failed=len(s.delivered.failed))  # fmt: skip


@router.get("/projects/{project_id}/progress-reports", responses=READ)
def project_reports(project_id: IdPath, svc: ServicesDep, who: CallerDep) -> list[ReportOut]:
    """A project's progress reports (its members, officers of its program)."""
    return [_report(r) for r in award_life.reports(svc, who, project_id)]


@router.post("/projects/{project_id}/progress-reports/{report}/accept", responses=WRITE)
def accept_report(
    project_id: IdPath, report: IdPath, svc: ServicesDep, who: CallerDep
) -> AcceptOut:
    """Officers of the program: accept report ``report`` (idempotent)."""
    view, accepted = award_life.accept_report(svc, who, project_id, report)
    return AcceptOut(accepted=accepted, report=_report(view))


@router.get("/progress-reports/overdue", responses=LIST)
def overdue(
    svc: ServicesDep, who: CallerDep,
    program_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[ReportOut]:  # fmt: skip
    """Officers: reports past their date and not accepted, in their programs."""
    return [_report(r) for r in award_life.overdue(svc, who, program_id)]
