"""The notices repository on SQL (``notice_outbox``, ``notify_prefs``,
``progress_reports``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store.repos import insert_ignore
from nacc.adapters.store.tables import Job, Project
from nacc.adapters.store.tables_notices import NoticeOutbox, NotifyPrefs, ProgressReport
from nacc.domain.lifecycle import TERMINAL
from nacc.ports.store_notices import Attempt, EndedJob, NewNotice, NoticeRow, Prefs, ReportRow


def _notice(r: NoticeOutbox) -> NoticeRow:
    return NoticeRow(r.id, r.key, r.kind, r.user_id, r.channel, r.lang, r.subject, r.body,
                     dict(r.payload), r.state, r.attempts, r.next_attempt_at, r.last_error,
                     r.created_at, r.sent_at)  # fmt: skip


def _prefs(r: NotifyPrefs) -> Prefs:
    return Prefs(r.user_id, r.lang, tuple(r.kinds), tuple(r.channels), r.email,
                 r.webhook_url, r.webhook_secret, r.job_end_since)  # fmt: skip


def _report(r: ProgressReport) -> ReportRow:
    return ReportRow(r.id, r.project_id, r.seq, r.due_at, r.accepted_at, r.accepted_by)


class SqlNotices:
    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(self, new: NewNotice) -> bool:
        values = {
            "key": new.key, "kind": new.kind, "user_id": new.user_id, "channel": new.channel,
            "lang": new.lang, "subject": new.subject, "body": new.body,
            "payload": new.payload, "state": "pending", "attempts": 0,
            "next_attempt_at": new.created_at, "created_at": new.created_at,
        }  # fmt: skip
        return insert_ignore(self.session, NoticeOutbox, values, ["key", "user_id", "channel"])

    def due(self, now: datetime, limit: int) -> list[NoticeRow]:
        q = (
            sa.select(NoticeOutbox)
            .where(NoticeOutbox.state == "pending", NoticeOutbox.next_attempt_at <= now)
            .order_by(NoticeOutbox.next_attempt_at, NoticeOutbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL: rows another sender holds wait
        )
        return [_notice(r) for r in self.session.scalars(q)]

    def record_attempt(self, notice_id: int, attempt: Attempt) -> None:
        self.session.execute(
            sa.update(NoticeOutbox)
            .where(NoticeOutbox.id == notice_id)
            .values(
                state=attempt.state,
                attempts=attempt.attempts,
                next_attempt_at=attempt.next_attempt_at,
                last_error=None if attempt.last_error is None else attempt.last_error[:500],
                sent_at=attempt.sent_at,
            )
        )

    def outbox(self, user_id: int | None, limit: int) -> list[NoticeRow]:
        q = sa.select(NoticeOutbox).order_by(NoticeOutbox.id.desc()).limit(limit)
        if user_id is not None:
            q = q.where(NoticeOutbox.user_id == user_id)
        return [_notice(r) for r in self.session.scalars(q)]

    def prefs(self, user_id: int) -> Prefs | None:
        r = self.session.get(NotifyPrefs, user_id)
        if r is None:
            return None
        return _prefs(r)

    def set_prefs(self, prefs: Prefs) -> None:
        r = self.session.get(NotifyPrefs, prefs.user_id) or NotifyPrefs(user_id=prefs.user_id)
        r.lang, r.kinds, r.channels = prefs.lang, list(prefs.kinds), list(prefs.channels)
        r.email, r.webhook_url, r.webhook_secret = (prefs.email, prefs.webhook_url,
                                                    prefs.webhook_secret)  # fmt: skip
        r.job_end_since = prefs.job_end_since
        self.session.add(r)
        self.session.flush()

    def job_end_watchers(self) -> list[Prefs]:
        q = (
            sa.select(NotifyPrefs)
            .where(NotifyPrefs.job_end_since.is_not(None))
            .order_by(NotifyPrefs.user_id)
        )
        return [_prefs(r) for r in self.session.scalars(q)]

    def ended_jobs(self, user_id: int, since: datetime, limit: int) -> list[EndedJob]:
        q = (
            sa.select(Job.id, Job.project_id, Job.state, Job.exit_code, Job.finished_at)
            .where(
                Job.submitted_by == user_id,
                Job.finished_at >= since,
                Job.state.in_([s.value for s in TERMINAL]),
            )
            .order_by(Job.finished_at, Job.id)
            .limit(limit)
        )
        rows = self.session.execute(q)
        return [EndedJob(i, p, st, code, at) for i, p, st, code, at in rows if at is not None]

    def awarded_projects(self) -> list[int]:
        q = sa.select(Project.id).where(Project.proposal_id.is_not(None)).order_by(Project.id)
        return list(self.session.scalars(q))

    def add_reports(self, project_id: int, dues: list[datetime]) -> None:
        for seq, due in enumerate(dues, start=1):
            values = {"project_id": project_id, "seq": seq, "due_at": due}
            insert_ignore(self.session, ProgressReport, values, ["project_id", "seq"])

    def reports_of(self, project_id: int) -> list[ReportRow]:
        q = (
            sa.select(ProgressReport)
            .where(ProgressReport.project_id == project_id)
            .order_by(ProgressReport.seq)
        )
        return [_report(r) for r in self.session.scalars(q)]

    def open_reports(self) -> list[ReportRow]:
        q = (
            sa.select(ProgressReport)
            .where(ProgressReport.accepted_at.is_(None))
            .order_by(ProgressReport.due_at, ProgressReport.id)
        )
        return [_report(r) for r in self.session.scalars(q)]

    def accept_report(self, report_id: int, at: datetime, by: int) -> bool:
        done = self.session.execute(
            sa.update(ProgressReport)
            .where(ProgressReport.id == report_id, ProgressReport.accepted_at.is_(None))
            .values(accepted_at=at, accepted_by=by)
        )
        return bool(getattr(done, "rowcount", 0))
