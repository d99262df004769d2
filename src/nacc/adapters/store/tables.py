"""SQLAlchemy 2 declarative models of the nacc store.

Integer primary keys everywhere except jobs (text ids shared with the engine). Every
timestamp is an aware UTC datetime (``UTCDateTime``); every credit amount is exact
(``Credits``, NUMERIC(24, 9)). Allowed values of enumerations live here as tuples and are
enforced by CHECK constraints, so the database refuses what the code would.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from nacc.adapters.store.types import Credits, UTCDateTime, json_doc
from nacc.domain.lifecycle import JobState

ORG_KINDS = ("university", "company", "research_institute", "public_agency")
COMPANY_SIZES = ("startup", "sme", "large")
ROLES = ("operator", "program_officer", "reviewer", "pi", "member")
SECTOR_TAGS = (
    "education",
    "health",
    "content-culture",
    "law",
    "academic",
    "disaster-safety",
    "public-services",
    "general-research",
)
PROPOSAL_STATUSES = ("submitted", "under_review", "awarded", "rejected")
DECISION_OUTCOMES = ("awarded", "rejected")
PROJECT_ROLES = ("pi", "member")
TRANCHE_CONDITIONS = ("at_award", "progress_report_accepted")
JOB_STATES = tuple(s.value for s in JobState)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL text of a CHECK that ``column`` takes one of ``values``."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Credits()}  # noqa: RUF012


def _fk(target: str, *, nullable: bool = False, index: bool = True) -> Any:
    return mapped_column(sa.ForeignKey(target), nullable=nullable, index=index)


# --- who -----------------------------------------------------------------------------------


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", ORG_KINDS), name="kind"),
        sa.CheckConstraint(
            "company_size IS NULL OR "
            f"(kind = 'company' AND {one_of('company_size', COMPANY_SIZES)})",
            name="company_size",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    company_size: Mapped[str | None] = mapped_column(sa.String(16))
    region: Mapped[str] = mapped_column(sa.String(100))
    capital_area: Mapped[bool]


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    organisation_id: Mapped[int | None] = _fk("organisations.id", nullable=True)
    created_at: Mapped[datetime]


class RoleAssignment(Base):
    """A role, global (scope ``""``) or scoped, e.g. ``"call:3"`` or ``"project:7"``."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "role", "scope"),
        sa.CheckConstraint(one_of("role", ROLES), name="role"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _fk("users.id")
    role: Mapped[str] = mapped_column(sa.String(32))
    scope: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")


class ApiToken(Base):
    """An API token: only the sha256 hex of its secret is kept; ``prefix`` helps find it."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _fk("users.id")
    label: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


# --- programs -----------------------------------------------------------------------------


class Program(Base):
    __tablename__ = "programs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")


class Call(Base):
    """A call for proposals; ``review_criteria`` is ``[{"name": str, "weight": float}]``."""

    __tablename__ = "calls"
    __table_args__ = (
        sa.CheckConstraint("closes_at > opens_at", name="window"),
        sa.CheckConstraint("review_closes_at > review_opens_at", name="review_window"),
        sa.CheckConstraint("budget_credits >= 0", name="budget"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = _fk("programs.id")
    title: Mapped[str] = mapped_column(sa.String(300))
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    budget_credits: Mapped[Decimal]
    eligible_org_kinds: Mapped[list[str]] = mapped_column(json_doc())
    sector_tags: Mapped[list[str]] = mapped_column(json_doc())
    review_criteria: Mapped[list[dict[str, Any]]] = mapped_column(json_doc())
    min_score: Mapped[float]
    blind: Mapped[bool]
    review_opens_at: Mapped[datetime]
    review_closes_at: Mapped[datetime]


class Proposal(Base):
    __tablename__ = "proposals"
    __table_args__ = (
        sa.CheckConstraint(one_of("status", PROPOSAL_STATUSES), name="status"),
        sa.CheckConstraint("requested_credits > 0", name="requested"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = _fk("calls.id")
    organisation_id: Mapped[int] = _fk("organisations.id")
    pi_user_id: Mapped[int] = _fk("users.id")
    title: Mapped[str] = mapped_column(sa.String(300))
    abstract: Mapped[str] = mapped_column(sa.Text)
    requested_credits: Mapped[Decimal]
    job_classes: Mapped[list[str]] = mapped_column(json_doc())
    accelerator_types: Mapped[list[str] | None] = mapped_column(json_doc(), nullable=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="submitted")
    submitted_at: Mapped[datetime]


class ProposalMember(Base):
    __tablename__ = "proposal_members"
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True, index=True)


class Review(Base):
    """One reviewer's scores (``{criterion: score}``) for one proposal."""

    __tablename__ = "reviews"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "reviewer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = _fk("proposals.id")
    reviewer_id: Mapped[int] = _fk("users.id")
    scores: Mapped[dict[str, float]] = mapped_column(json_doc())
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime]


class Decision(Base):
    """The decision on a proposal; an override must say why."""

    __tablename__ = "decisions"
    __table_args__ = (
        sa.CheckConstraint(one_of("outcome", DECISION_OUTCOMES), name="outcome"),
        sa.CheckConstraint("override = false OR length(reason) > 0", name="override_reason"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), unique=True)
    outcome: Mapped[str] = mapped_column(sa.String(16))
    weighted_score: Mapped[float | None]
    awarded_credits: Mapped[Decimal | None]
    override: Mapped[bool]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    """``reason_code`` rendered in English, for readers that predate codes."""
    reason_code: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    reason_params: Mapped[dict[str, Any] | None] = mapped_column(json_doc(), nullable=True)
    decided_by: Mapped[int] = _fk("users.id")
    decided_at: Mapped[datetime]


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (sa.CheckConstraint("valid_until > valid_from", name="validity"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposals.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    overdraft_credits: Mapped[Decimal] = mapped_column(default=Decimal(0))
    # what the project's live jobs may still spend (the sum of their reservations)
    committed_credits: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")


class ProjectMember(Base):
    __tablename__ = "project_members"
    __table_args__ = (sa.CheckConstraint(one_of("role", PROJECT_ROLES), name="role"),)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(sa.String(16))


class Tranche(Base):
    __tablename__ = "tranches"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "seq"),
        sa.CheckConstraint(one_of("release_condition", TRANCHE_CONDITIONS), name="condition"),
        sa.CheckConstraint("amount > 0", name="amount"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = _fk("projects.id", index=False)
    seq: Mapped[int]
    amount: Mapped[Decimal]
    release_condition: Mapped[str] = mapped_column(sa.String(32))
    released_at: Mapped[datetime | None]


# --- jobs ---------------------------------------------------------------------------------


class Job(Base):
    """A submitted job; ``accelerator_types`` None means any type."""

    __tablename__ = "jobs"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "idempotency_key"),
        sa.CheckConstraint(one_of("state", JOB_STATES), name="state"),
        sa.CheckConstraint("accelerators > 0", name="accelerators"),
        sa.Index("ix_jobs_project_submitted", "project_id", "submitted_at", "id"),
    )
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    project_id: Mapped[int] = _fk("projects.id", index=False)
    submitted_by: Mapped[int] = _fk("users.id")
    command: Mapped[str] = mapped_column(sa.Text)
    image: Mapped[str | None] = mapped_column(sa.String(500))
    accelerators: Mapped[int]
    accelerator_types: Mapped[list[str] | None] = mapped_column(json_doc(), nullable=True)
    job_class: Mapped[str] = mapped_column(sa.String(32))
    time_limit_s: Mapped[int | None]
    gang: Mapped[bool]
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(200))
    state: Mapped[str] = mapped_column(sa.String(16), index=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    """``reason_code`` rendered in English, for readers that predate codes."""
    reason_code: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    reason_params: Mapped[dict[str, Any] | None] = mapped_column(json_doc(), nullable=True)
    pool_id: Mapped[str | None] = mapped_column(sa.String(100))
    device_ids: Mapped[list[str] | None] = mapped_column(json_doc(), nullable=True)
    submitted_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    exit_code: Mapped[int | None]
    log_path: Mapped[str | None] = mapped_column(sa.String(1000))
    cancel_requested_at: Mapped[datetime | None]
    expected_start_at: Mapped[datetime | None]
    # the job's estimated cost, drawn down by its charges, released when it ends
    reserved_credits: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")


class JobEventRow(Base):
    """Append-only history of a job's state changes, each with its cause."""

    __tablename__ = "job_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = _fk("jobs.id")
    at: Mapped[datetime]
    src: Mapped[str] = mapped_column(sa.String(16))
    dst: Mapped[str] = mapped_column(sa.String(16))
    cause: Mapped[str] = mapped_column(sa.Text)
    code: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    params: Mapped[dict[str, Any] | None] = mapped_column(json_doc(), nullable=True)


# --- ledger -------------------------------------------------------------------------------


class Account(Base):
    """A ledger account, e.g. ``project:7``; ``overdraft`` None means no floor."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    overdraft: Mapped[Decimal | None]
    # the sum of the account's legs, kept by a trigger on journal_legs (migration 0016):
    # what a submission's funds check reads instead of summing every leg
    balance: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")


class JournalEntry(Base):
    """One balanced posting; ``cause`` is its idempotency key (award id, job interval)."""

    __tablename__ = "journal_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    cause: Mapped[str] = mapped_column(sa.String(255), unique=True)
    at: Mapped[datetime]
    memo: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.String(16), default="transfer", server_default="transfer")
    """nacc.ledger.accounts.EntryKind: funding, award, usage, refund or transfer."""
    job_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    """The job a usage or refund entry is for."""


class JournalLeg(Base):
    __tablename__ = "journal_legs"
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = _fk("journal_entries.id")
    account_key: Mapped[str] = _fk("accounts.key")
    amount: Mapped[Decimal]


class UsageInterval(Base):
    """Metered usage: one stretch of a job running on ``count`` accelerators."""

    __tablename__ = "usage_intervals"
    __table_args__ = (
        sa.UniqueConstraint("job_id", "start_at"),
        sa.CheckConstraint("end_at >= start_at", name="interval"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = _fk("jobs.id", index=False)
    start_at: Mapped[datetime] = mapped_column(index=True)  # reports over a time range
    end_at: Mapped[datetime] = mapped_column(index=True)  # the fleet's last 24 hours
    accelerator_type: Mapped[str] = mapped_column(sa.String(64))
    count: Mapped[int]
    credits: Mapped[Decimal]


# --- operations ---------------------------------------------------------------------------


class SchedulerBeat(Base):
    """The live scheduler's heartbeat, rewritten about once a second: when it last
    finished a step, how long that took and what it held (``/healthz``, ``/metrics``)."""

    __tablename__ = "scheduler_heartbeats"
    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]
    interval_s: Mapped[float] = mapped_column(sa.Float)
    step_s: Mapped[float] = mapped_column(sa.Float)
    pending: Mapped[int]
    running: Mapped[int]
    # each dispatch backend: name, pools, up, since, error (BackendState.as_json)
    backends: Mapped[list[dict[str, Any]] | None] = mapped_column(json_doc(), nullable=True)


# Tables of later revisions, in their own modules (imported last so Base knows them).
from nacc.adapters.store import tables_challenges as tables_challenges  # noqa: E402
from nacc.adapters.store import tables_datasets as tables_datasets  # noqa: E402
from nacc.adapters.store import tables_identity as tables_identity  # noqa: E402
from nacc.adapters.store import tables_notices as tables_notices  # noqa: E402
from nacc.adapters.store import tables_reports as tables_reports  # noqa: E402
from nacc.adapters.store import tables_reservations as tables_reservations  # noqa: E402
