"""Datasets: the catalog, projects' access requests and the datasets each job uses.

Revision ID: 0013_datasets
Revises: 0012_challenges
Create Date: 2026-12-03 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

TIMESTAMP = sa.DateTime(timezone=True)  # frozen: what types.UTCDateTime emits
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")  # frozen: types.json_doc

revision: str = "0013_datasets"
down_revision: str | None = "0012_challenges"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("licence", sa.String(length=200), nullable=False),
        sa.Column("residency", sa.String(length=16), nullable=False),
        sa.Column("sensitivity", sa.String(length=16), nullable=False),
        sa.Column("copies", JSON_DOC, nullable=False),
        sa.Column("stewards", JSON_DOC, nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("registered_by", sa.Integer(), nullable=False),
        sa.Column("registered_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("residency IN ('domestic', 'any')", name=op.f("ck_datasets_residency")),
        sa.CheckConstraint(
            "sensitivity IN ('public', 'restricted', 'personal', 'confidential')",
            name=op.f("ck_datasets_sensitivity"),
        ),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_datasets_size")),
        sa.ForeignKeyConstraint(
            ["owner_org_id"],
            ["organisations.id"],
            name=op.f("fk_datasets_owner_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["registered_by"], ["users.id"], name=op.f("fk_datasets_registered_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("name", name=op.f("uq_datasets_name")),
    )
    op.create_index("ix_datasets_owner_org_id", "datasets", ["owner_org_id"])
    op.create_table(
        "dataset_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=2000), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", TIMESTAMP, nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.CheckConstraint(
            "state IN ('requested', 'approved', 'refused')", name=op.f("ck_dataset_access_state")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_dataset_access_dataset_id_datasets")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_dataset_access_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_dataset_access_requested_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_dataset_access_decided_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_access")),
    )
    op.create_index("ix_dataset_access_dataset_id", "dataset_access", ["dataset_id"])
    op.create_index("ix_dataset_access_project_id", "dataset_access", ["project_id"])
    op.create_table(
        "job_datasets",
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_datasets_job_id_jobs")),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_job_datasets_dataset_id_datasets")
        ),
        sa.PrimaryKeyConstraint("job_id", "dataset_id", name=op.f("pk_job_datasets")),
    )
    op.create_index("ix_job_datasets_dataset_id", "job_datasets", ["dataset_id"])


def downgrade() -> None:
    op.drop_index("ix_job_datasets_dataset_id", table_name="job_datasets")
    op.drop_table("job_datasets")
    op.drop_index("ix_dataset_access_project_id", table_name="dataset_access")
    op.drop_index("ix_dataset_access_dataset_id", table_name="dataset_access")
    op.drop_table("dataset_access")
    op.drop_index("ix_datasets_owner_org_id", table_name="datasets")
    op.drop_table("datasets")
