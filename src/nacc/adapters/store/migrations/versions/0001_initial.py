"""Initial schema: who, programs, projects, jobs, ledger.

Written by autogenerate from the models, then reviewed. Column types are spelled out
here (not imported from the models) so this revision never changes under us.

Revision ID: 0001
Revises:
Create Date: 2026-11-29 04:44:19.740914
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen DDL types: what types.Credits / UTCDateTime / json_doc emit on each backend.
CREDITS = sa.Numeric(24, 9).with_variant(sa.BigInteger(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create every table, parents before children."""
    _create_accounts()
    _create_journal_entries()
    _create_organisations()
    _create_programs()
    _create_calls()
    _create_journal_legs()
    _create_users()
    _create_api_tokens()
    _create_proposals()
    _create_role_assignments()
    _create_decisions()
    _create_projects()
    _create_proposal_members()
    _create_reviews()
    _create_jobs()
    _create_project_members()
    _create_tranches()
    _create_job_events()
    _create_usage_intervals()


def _create_accounts() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("overdraft", CREDITS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("key", name=op.f("uq_accounts_key")),
    )


def _create_journal_entries() -> None:
    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=255), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint("cause", name=op.f("uq_journal_entries_cause")),
    )


def _create_organisations() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("company_size", sa.String(length=16), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("capital_area", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "company_size IS NULL OR "
            "(kind = 'company' AND company_size IN ('startup', 'sme', 'large'))",
            name=op.f("ck_organisations_company_size"),
        ),
        sa.CheckConstraint(
            "kind IN ('university', 'company', 'research_institute', 'public_agency')",
            name=op.f("ck_organisations_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )


def _create_programs() -> None:
    op.create_table(
        "programs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
        sa.UniqueConstraint("name", name=op.f("uq_programs_name")),
    )


def _create_calls() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("opens_at", TIMESTAMP, nullable=False),
        sa.Column("closes_at", TIMESTAMP, nullable=False),
        sa.Column("budget_credits", CREDITS, nullable=False),
        sa.Column("eligible_org_kinds", JSON_DOC, nullable=False),
        sa.Column("sector_tags", JSON_DOC, nullable=False),
        sa.Column("review_criteria", JSON_DOC, nullable=False),
        sa.Column("min_score", sa.Double(), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("review_opens_at", TIMESTAMP, nullable=False),
        sa.Column("review_closes_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("budget_credits >= 0", name=op.f("ck_calls_budget")),
        sa.CheckConstraint("closes_at > opens_at", name=op.f("ck_calls_window")),
        sa.CheckConstraint(
            "review_closes_at > review_opens_at", name=op.f("ck_calls_review_window")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_calls_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    op.create_index("ix_calls_program_id", "calls", ["program_id"])


def _create_journal_legs() -> None:
    op.create_table(
        "journal_legs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("account_key", sa.String(length=100), nullable=False),
        sa.Column("amount", CREDITS, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_key"], ["accounts.key"], name=op.f("fk_journal_legs_account_key_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_journal_legs_entry_id_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_legs")),
    )
    op.create_index("ix_journal_legs_account_key", "journal_legs", ["account_key"])
    op.create_index("ix_journal_legs_entry_id", "journal_legs", ["entry_id"])


def _create_users() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_users_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index("ix_users_organisation_id", "users", ["organisation_id"])


def _create_api_tokens() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), server_default="", nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index("ix_api_tokens_prefix", "api_tokens", ["prefix"])
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])


def _create_proposals() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("pi_user_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("requested_credits", CREDITS, nullable=False),
        sa.Column("job_classes", JSON_DOC, nullable=False),
        sa.Column("accelerator_types", JSON_DOC, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "status IN ('submitted', 'under_review', 'awarded', 'rejected')",
            name=op.f("ck_proposals_status"),
        ),
        sa.CheckConstraint("requested_credits > 0", name=op.f("ck_proposals_requested")),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_proposals_call_id_calls")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_proposals_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["pi_user_id"], ["users.id"], name=op.f("fk_proposals_pi_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    op.create_index("ix_proposals_call_id", "proposals", ["call_id"])
    op.create_index("ix_proposals_organisation_id", "proposals", ["organisation_id"])
    op.create_index("ix_proposals_pi_user_id", "proposals", ["pi_user_id"])


def _create_role_assignments() -> None:
    op.create_table(
        "role_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=100), server_default="", nullable=False),
        sa.CheckConstraint(
            "role IN ('operator', 'program_officer', 'reviewer', 'pi', 'member')",
            name=op.f("ck_role_assignments_role"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_role_assignments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_assignments")),
        sa.UniqueConstraint(
            "user_id", "role", "scope", name=op.f("uq_role_assignments_user_id_role_scope")
        ),
    )
    op.create_index("ix_role_assignments_user_id", "role_assignments", ["user_id"])


def _create_decisions() -> None:
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("weighted_score", sa.Double(), nullable=True),
        sa.Column("awarded_credits", CREDITS, nullable=True),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("outcome IN ('awarded', 'rejected')", name=op.f("ck_decisions_outcome")),
        sa.CheckConstraint(
            "override = false OR length(reason) > 0", name=op.f("ck_decisions_override_reason")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_decisions_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_decisions_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_decisions_proposal_id")),
    )
    op.create_index("ix_decisions_decided_by", "decisions", ["decided_by"])


def _create_projects() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("valid_from", TIMESTAMP, nullable=False),
        sa.Column("valid_until", TIMESTAMP, nullable=False),
        sa.Column("overdraft_credits", CREDITS, nullable=False),
        sa.CheckConstraint("valid_until > valid_from", name=op.f("ck_projects_validity")),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_projects_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("name", name=op.f("uq_projects_name")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_projects_proposal_id")),
    )


def _create_proposal_members() -> None:
    op.create_table(
        "proposal_members",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_members_proposal_id_proposals"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_proposal_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("proposal_id", "user_id", name=op.f("pk_proposal_members")),
    )
    op.create_index("ix_proposal_members_user_id", "proposal_members", ["user_id"])


def _create_reviews() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("scores", JSON_DOC, nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_reviews_proposal_id_proposals")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_reviews_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint(
            "proposal_id", "reviewer_id", name=op.f("uq_reviews_proposal_id_reviewer_id")
        ),
    )
    op.create_index("ix_reviews_proposal_id", "reviews", ["proposal_id"])
    op.create_index("ix_reviews_reviewer_id", "reviews", ["reviewer_id"])


def _create_jobs() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("image", sa.String(length=500), nullable=True),
        sa.Column("accelerators", sa.Integer(), nullable=False),
        sa.Column("accelerator_types", JSON_DOC, nullable=True),
        sa.Column("job_class", sa.String(length=32), nullable=False),
        sa.Column("time_limit_s", sa.Integer(), nullable=True),
        sa.Column("gang", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("pool_id", sa.String(length=100), nullable=True),
        sa.Column("device_ids", JSON_DOC, nullable=True),
        sa.Column("submitted_at", TIMESTAMP, nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=True),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("log_path", sa.String(length=1000), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'running', 'completed', 'failed', 'cancelled', 'rejected')",
            name=op.f("ck_jobs_state"),
        ),
        sa.CheckConstraint("accelerators > 0", name=op.f("ck_jobs_accelerators")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_jobs_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_jobs_submitted_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint(
            "project_id", "idempotency_key", name=op.f("uq_jobs_project_id_idempotency_key")
        ),
    )
    op.create_index("ix_jobs_project_submitted", "jobs", ["project_id", "submitted_at", "id"])
    op.create_index("ix_jobs_state", "jobs", ["state"])
    op.create_index("ix_jobs_submitted_by", "jobs", ["submitted_by"])


def _create_project_members() -> None:
    op.create_table(
        "project_members",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.CheckConstraint("role IN ('pi', 'member')", name=op.f("ck_project_members_role")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_members_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_project_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("project_id", "user_id", name=op.f("pk_project_members")),
    )
    op.create_index("ix_project_members_user_id", "project_members", ["user_id"])


def _create_tranches() -> None:
    op.create_table(
        "tranches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("amount", CREDITS, nullable=False),
        sa.Column("release_condition", sa.String(length=32), nullable=False),
        sa.Column("released_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "release_condition IN ('at_award', 'progress_report_accepted')",
            name=op.f("ck_tranches_condition"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_tranches_amount")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_tranches_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tranches")),
        sa.UniqueConstraint("project_id", "seq", name=op.f("uq_tranches_project_id_seq")),
    )


def _create_job_events() -> None:
    op.create_table(
        "job_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("src", sa.String(length=16), nullable=False),
        sa.Column("dst", sa.String(length=16), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_events_job_id_jobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_events")),
    )
    op.create_index("ix_job_events_job_id", "job_events", ["job_id"])


def _create_usage_intervals() -> None:
    op.create_table(
        "usage_intervals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("start_at", TIMESTAMP, nullable=False),
        sa.Column("end_at", TIMESTAMP, nullable=False),
        sa.Column("accelerator_type", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("credits", CREDITS, nullable=False),
        sa.CheckConstraint("end_at >= start_at", name=op.f("ck_usage_intervals_interval")),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_usage_intervals_job_id_jobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_intervals")),
        sa.UniqueConstraint("job_id", "start_at", name=op.f("uq_usage_intervals_job_id_start_at")),
    )


def downgrade() -> None:
    op.drop_table("usage_intervals")
    op.drop_table("job_events")
    op.drop_table("tranches")
    op.drop_table("project_members")
    op.drop_table("jobs")
    op.drop_table("reviews")
    op.drop_table("proposal_members")
    op.drop_table("projects")
    op.drop_table("decisions")
    op.drop_table("role_assignments")
    op.drop_table("proposals")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("journal_legs")
    op.drop_table("calls")
    op.drop_table("programs")
    op.drop_table("organisations")
    op.drop_table("journal_entries")
    op.drop_table("accounts")
