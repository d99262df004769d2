"""The notices repository: the outbox, people's notification preferences and projects'
progress reports (tables ``notice_outbox``, ``notify_prefs``, ``progress_reports``).

The outbox holds one row per (key, user, channel): ``enqueue`` of a row already there
does nothing and answers False, so detecting an event twice sends it once. A row is
``pending`` until delivered (``sent``) or out of attempts (``failed``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

STATES = ("pending", "sent", "failed")


@dataclass(frozen=True, slots=True)
class NewNotice:
    key: str
    kind: str
    user_id: int
    channel: str
    lang: str
    subject: str
    body: str
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NoticeRow:
    id: int
    key: str
    kind: str
    user_id: int
    channel: str
    lang: str
    subject: str
    body: str
    payload: dict[str, Any]
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one delivery attempt, written back to the row."""

    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class Prefs:
    user_id: int
    lang: str
    kinds: tuple[str, ...]
    channels: tuple[str, ...]
    email: str | None
    webhook_url: str | None
    webhook_secret: str | None
    job_end_since: datetime | None = None  # job ends from then on are told (opted in)


@dataclass(frozen=True, slots=True)
class EndedJob:
    id: str
    project_id: int
    state: str
    exit_code: int | None
    finished_at: datetime


@dataclass(frozen=True, slots=True)
class ReportRow:
    id: int
    project_id: int
    seq: int
    due_at: datetime
    accepted_at: datetime | None
    accepted_by: int | None


class NoticesRepo(Protocol):
    def enqueue(self, new: NewNotice) -> bool:
        """Add a pending row due now; False (nothing written) when (key, user, channel)
        is already there."""
        ...

    def due(self, now: datetime, limit: int) -> list[NoticeRow]:
        """Pending rows whose next attempt is due, oldest first."""
        ...

    def record_attempt(self, notice_id: int, attempt: Attempt) -> None: ...

    def outbox(self, user_id: int | None, limit: int) -> list[NoticeRow]:
        """The newest rows first (one user's, or everyone's)."""
        ...

    def prefs(self, user_id: int) -> Prefs | None: ...

    def set_prefs(self, prefs: Prefs) -> None: ...

    def job_end_watchers(self) -> list[Prefs]:
        """Preferences with ``job_end_since`` set, by user."""
        ...

    def ended_jobs(self, user_id: int, since: datetime, limit: int) -> list[EndedJob]:
        """Jobs the user submitted that ended at or after ``since``, by end time."""
        ...

    def awarded_projects(self) -> list[int]:
        """Ids of the projects made by an award (those with a proposal)."""
        ...

    def add_reports(self, project_id: int, dues: list[datetime]) -> None:
        """Reports 1..n of a project due at ``dues`` (existing numbers are kept)."""
        ...

    def reports_of(self, project_id: int) -> list[ReportRow]: ...

    def open_reports(self) -> list[ReportRow]:
        """Every report not accepted yet, by due date."""
        ...

    def accept_report(self, report_id: int, at: datetime, by: int) -> bool:
        """Mark a report accepted; False when it already was."""
        ...
