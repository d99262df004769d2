"""The tables of challenge tracks (revision 0009_challenges), beside ``tables``.

Imported at the end of ``nacc.adapters.store.tables`` so ``Base.metadata`` holds it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nacc.adapters.store.tables import Base, _fk, one_of
from nacc.adapters.store.types import json_doc

RULES = ("best", "last")
ENTRY_STATES = ("pending", "running", "scored", "invalid", "failed", "platform_failed",
                "cancelled")  # fmt: skip


class Challenge(Base):
    """A challenge of a program; ``project_id`` is its evaluation project (jobs, credits)."""

    __tablename__ = "challenges"
    __table_args__ = (
        sa.CheckConstraint(one_of("rule", RULES), name="rule"),
        sa.CheckConstraint("per_day >= 1 AND total >= per_day", name="limits"),
        sa.CheckConstraint("public_fraction > 0 AND public_fraction < 1", name="split"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    program_id: Mapped[int] = _fk("programs.id")
    project_id: Mapped[int] = _fk("projects.id", index=False)
    phases: Mapped[list[Any]] = mapped_column(json_doc())
    metrics: Mapped[list[Any]] = mapped_column(json_doc())
    primary_metric: Mapped[str] = mapped_column(sa.String(64))
    command: Mapped[str] = mapped_column(sa.Text)
    test_data: Mapped[str] = mapped_column(sa.String(1000))
    per_day: Mapped[int]
    total: Mapped[int]
    reset_time: Mapped[str] = mapped_column(sa.String(5))  # HH:MM
    reset_zone: Mapped[str] = mapped_column(sa.String(64))
    public_fraction: Mapped[float] = mapped_column(sa.Float)
    rule: Mapped[str] = mapped_column(sa.String(8))
    accelerators: Mapped[int]
    accelerator_types: Mapped[list[Any] | None] = mapped_column(json_doc(), nullable=True)
    time_limit_s: Mapped[int]
    created_by: Mapped[int] = _fk("users.id", index=False)
    created_at: Mapped[datetime]


class ChallengeEntry(Base):
    """A team's (project's) entry; ``job_id`` is its current evaluation job."""

    __tablename__ = "challenge_entries"
    __table_args__ = (
        sa.CheckConstraint(one_of("state", ENTRY_STATES), name="state"),
        sa.Index("ix_challenge_entries_team", "challenge_id", "project_id", "submitted_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = _fk("challenges.id", index=False)
    phase: Mapped[str] = mapped_column(sa.String(100))
    project_id: Mapped[int] = _fk("projects.id", index=False)
    submitted_by: Mapped[int] = _fk("users.id", index=False)
    model_ref: Mapped[str] = mapped_column(sa.String(1000))
    submitted_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(sa.String(16), index=True)
    attempt: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    metrics_path: Mapped[str | None] = mapped_column(sa.String(1000), nullable=True)
    public: Mapped[dict[str, Any] | None] = mapped_column(json_doc(), nullable=True)
    private: Mapped[dict[str, Any] | None] = mapped_column(json_doc(), nullable=True)
    reason_code: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    reason_params: Mapped[dict[str, Any] | None] = mapped_column(json_doc(), nullable=True)
    finished_at: Mapped[datetime | None]
    disqualified_at: Mapped[datetime | None]
    disqualified_reason: Mapped[str | None] = mapped_column(sa.String(1000), nullable=True)
