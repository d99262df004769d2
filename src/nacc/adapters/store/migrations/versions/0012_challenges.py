"""Challenge tracks: challenges of a program (phases, metrics, limits, evaluation
command, hidden test data) and the entries teams submit.

Revision ID: 0012_challenges
Revises: 0011_report_indexes
Create Date: 2026-12-03 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

TIMESTAMP = sa.DateTime(timezone=True)  # frozen: what types.UTCDateTime emits
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")  # frozen: types.json_doc

revision: str = "0012_challenges"
down_revision: str | None = "0011_report_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = ("pending", "running", "scored", "invalid", "failed", "platform_failed", "cancelled")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    name = f"fk_{table}_{column}_{target.split('.')[0]}"
    return sa.ForeignKeyConstraint([column], [target], name=op.f(name))


def upgrade() -> None:
    op.create_table(
        "challenges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("phases", JSON_DOC, nullable=False),
        sa.Column("metrics", JSON_DOC, nullable=False),
        sa.Column("primary_metric", sa.String(length=64), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("test_data", sa.String(length=1000), nullable=False),
        sa.Column("per_day", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("reset_time", sa.String(length=5), nullable=False),
        sa.Column("reset_zone", sa.String(length=64), nullable=False),
        sa.Column("public_fraction", sa.Float(), nullable=False),
        sa.Column("rule", sa.String(length=8), nullable=False),
        sa.Column("accelerators", sa.Integer(), nullable=False),
        sa.Column("accelerator_types", JSON_DOC, nullable=True),
        sa.Column("time_limit_s", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("rule IN ('best', 'last')", name=op.f("ck_challenges_rule")),
        sa.CheckConstraint("per_day >= 1 AND total >= per_day", name=op.f("ck_challenges_limits")),
        sa.CheckConstraint(
            "public_fraction > 0 AND public_fraction < 1", name=op.f("ck_challenges_split")
        ),
        _fk("challenges", "program_id", "programs.id"),
        _fk("challenges", "project_id", "projects.id"),
        _fk("challenges", "created_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenges")),
        sa.UniqueConstraint("name", name=op.f("uq_challenges_name")),
    )
    op.create_index("ix_challenges_program_id", "challenges", ["program_id"])
    op.create_table(
        "challenge_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=100), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=False),
        sa.Column("model_ref", sa.String(length=1000), nullable=False),
        sa.Column("submitted_at", TIMESTAMP, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("metrics_path", sa.String(length=1000), nullable=True),
        sa.Column("public", JSON_DOC, nullable=True),
        sa.Column("private", JSON_DOC, nullable=True),
        sa.Column("reason_code", sa.String(length=64), nullable=True),
        sa.Column("reason_params", JSON_DOC, nullable=True),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("disqualified_at", TIMESTAMP, nullable=True),
        sa.Column("disqualified_reason", sa.String(length=1000), nullable=True),
        sa.CheckConstraint(
            "state IN (" + ", ".join(f"'{s}'" for s in STATES) + ")",
            name=op.f("ck_challenge_entries_state"),
        ),
        _fk("challenge_entries", "challenge_id", "challenges.id"),
        _fk("challenge_entries", "project_id", "projects.id"),
        _fk("challenge_entries", "submitted_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_entries")),
    )
    op.create_index("ix_challenge_entries_state", "challenge_entries", ["state"])
    op.create_index(
        "ix_challenge_entries_team", "challenge_entries",
        ["challenge_id", "project_id", "submitted_at"],
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_challenge_entries_team", table_name="challenge_entries")
    op.drop_index("ix_challenge_entries_state", table_name="challenge_entries")
    op.drop_table("challenge_entries")
    op.drop_index("ix_challenges_program_id", table_name="challenges")
    op.drop_table("challenges")
