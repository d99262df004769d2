"""The notices repository in memory."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from nacc.domain.lifecycle import TERMINAL
from nacc.ports.store_notices import Attempt, EndedJob, NewNotice, NoticeRow, Prefs, ReportRow

if TYPE_CHECKING:
    from nacc.adapters.store.memory import Tables


@dataclass
class NoticesTables:
    outbox: dict[int, NoticeRow] = field(default_factory=dict)
    prefs: dict[int, Prefs] = field(default_factory=dict)
    reports: dict[int, ReportRow] = field(default_factory=dict)


class MemNotices:
    def __init__(self, tables: Tables) -> None:
        self.all = tables
        self.t = tables.notices

    def enqueue(self, new: NewNotice) -> bool:
        if new.user_id not in self.all.people.users:
            raise ValueError(f"no user {new.user_id}")  # the SQL foreign key
        if any((n.key, n.user_id, n.channel) == (new.key, new.user_id, new.channel)
               for n in self.t.outbox.values()):  # fmt: skip
            return False
        row = NoticeRow(len(self.t.outbox) + 1, new.key, new.kind, new.user_id, new.channel,
                        new.lang, new.subject, new.body, dict(new.payload), "pending", 0,
                        new.created_at, None, new.created_at, None)  # fmt: skip
        self.t.outbox[row.id] = row
        return True

    def due(self, now: datetime, limit: int) -> list[NoticeRow]:
        rows = [n for n in self.t.outbox.values()
                if n.state == "pending" and n.next_attempt_at <= now]  # fmt: skip
        return sorted(rows, key=lambda n: (n.next_attempt_at, n.id))[:limit]

    def record_attempt(self, notice_id: int, attempt: Attempt) -> None:
        row = self.t.outbox[notice_id]
        error = None if attempt.last_error is None else attempt.last_error[:500]
        self.t.outbox[notice_id] = replace(
            row, state=attempt.state, attempts=attempt.attempts,
            next_attempt_at=attempt.next_attempt_at, last_error=error, sent_at=attempt.sent_at,
        )  # fmt: skip

    def outbox(self, user_id: int | None, limit: int) -> list[NoticeRow]:
        rows = [n for n in self.t.outbox.values() if user_id is None or n.user_id == user_id]
        return sorted(rows, key=lambda n: -n.id)[:limit]

    def prefs(self, user_id: int) -> Prefs | None:
        return self.t.prefs.get(user_id)

    def set_prefs(self, prefs: Prefs) -> None:
        self.t.prefs[prefs.user_id] = prefs

    def job_end_watchers(self) -> list[Prefs]:
        return [p for _, p in sorted(self.t.prefs.items()) if p.job_end_since is not None]

    def ended_jobs(self, user_id: int, since: datetime, limit: int) -> list[EndedJob]:
        ended = {s.value for s in TERMINAL}
        rows = [EndedJob(j.id, j.project_id, j.state, j.exit_code, j.finished_at)
                for j in self.all.jobs.jobs.values()
                if j.submitted_by == user_id and j.state in ended
                and j.finished_at is not None and j.finished_at >= since]  # fmt: skip
        return sorted(rows, key=lambda j: (j.finished_at, j.id))[:limit]

    def awarded_projects(self) -> list[int]:
        return sorted(p.id for p in self.all.people.projects.values() if p.proposal_id)

    def add_reports(self, project_id: int, dues: list[datetime]) -> None:
        have = {r.seq for r in self.reports_of(project_id)}
        for seq, due in enumerate(dues, start=1):
            if seq not in have:
                rid = len(self.t.reports) + 1
                self.t.reports[rid] = ReportRow(rid, project_id, seq, due, None, None)

    def reports_of(self, project_id: int) -> list[ReportRow]:
        rows = [r for r in self.t.reports.values() if r.project_id == project_id]
        return sorted(rows, key=lambda r: r.seq)

    def open_reports(self) -> list[ReportRow]:
        rows = [r for r in self.t.reports.values() if r.accepted_at is None]
        return sorted(rows, key=lambda r: (r.due_at, r.id))

    def accept_report(self, report_id: int, at: datetime, by: int) -> bool:
        row = self.t.reports[report_id]
        if row.accepted_at is not None:
            return False
        self.t.reports[report_id] = replace(row, accepted_at=at, accepted_by=by)
        return True
