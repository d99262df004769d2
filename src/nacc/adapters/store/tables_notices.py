"""The tables of notifications and progress reports (revision 0009_notify), beside
``tables``: the outbox, people's preferences, and each project's progress reports.

Imported at the end of ``nacc.adapters.store.tables`` so ``Base.metadata`` holds them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nacc.adapters.store.tables import Base, _fk, one_of
from nacc.adapters.store.types import json_doc
from nacc.ports.store_notices import STATES


class NoticeOutbox(Base):
    """One notice to one person on one channel; sent once per (key, user, channel)."""

    __tablename__ = "notice_outbox"
    __table_args__ = (
        sa.UniqueConstraint("key", "user_id", "channel"),
        sa.CheckConstraint(one_of("state", STATES), name="state"),
        sa.CheckConstraint(one_of("channel", ("email", "webhook")), name="channel"),
        sa.Index("ix_notice_outbox_due", "state", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int] = _fk("users.id")
    channel: Mapped[str] = mapped_column(sa.String(16))
    lang: Mapped[str] = mapped_column(sa.String(8))
    subject: Mapped[str] = mapped_column(sa.String(500))
    body: Mapped[str] = mapped_column(sa.Text)
    payload: Mapped[dict[str, Any]] = mapped_column(json_doc())
    state: Mapped[str] = mapped_column(sa.String(16))
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class NotifyPrefs(Base):
    """What a person wants to hear about, where and in which language."""

    __tablename__ = "notify_prefs"
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    lang: Mapped[str] = mapped_column(sa.String(8))
    kinds: Mapped[list[Any]] = mapped_column(json_doc())
    channels: Mapped[list[Any]] = mapped_column(json_doc())
    email: Mapped[str | None] = mapped_column(sa.String(254))
    webhook_url: Mapped[str | None] = mapped_column(sa.String(2000))
    webhook_secret: Mapped[str | None] = mapped_column(sa.String(200))
    job_end_since: Mapped[datetime | None]


class ProgressReport(Base):
    """Report ``seq`` of an awarded project, due at ``due_at``."""

    __tablename__ = "progress_reports"
    __table_args__ = (sa.UniqueConstraint("project_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = _fk("projects.id")
    seq: Mapped[int]
    due_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by: Mapped[int | None] = _fk("users.id", nullable=True, index=False)
