"""Capacity blocks (advance reservations): an officer books ``count`` accelerators of a
pool for some projects over [start_at, end_at).

Revision ID: 0008_reserve
Revises: 0007_harden
Create Date: 2026-12-03 07:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

TIMESTAMP = sa.DateTime(timezone=True)  # frozen: what types.UTCDateTime emits
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")  # frozen: types.json_doc

revision: str = "0008_reserve"
down_revision: str | None = "0007_harden"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "capacity_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("pool_id", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("start_at", TIMESTAMP, nullable=False),
        sa.Column("end_at", TIMESTAMP, nullable=False),
        sa.Column("projects", JSON_DOC, nullable=False),
        sa.Column("charge", sa.String(length=16), nullable=False),
        sa.Column("idle_fee", sa.Float(), nullable=False),
        sa.Column("booked_by", sa.Integer(), nullable=False),
        sa.Column("booked_at", TIMESTAMP, nullable=False),
        sa.Column("cancelled_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "charge IN ('capacity', 'use_plus_idle')", name=op.f("ck_capacity_blocks_charge")
        ),
        sa.CheckConstraint("count >= 1", name=op.f("ck_capacity_blocks_count")),
        sa.CheckConstraint("start_at < end_at", name=op.f("ck_capacity_blocks_window")),
        sa.ForeignKeyConstraint(
            ["booked_by"], ["users.id"], name=op.f("fk_capacity_blocks_booked_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_blocks")),
        sa.UniqueConstraint("name", name=op.f("uq_capacity_blocks_name")),
    )
    op.create_index("ix_capacity_blocks_pool_id", "capacity_blocks", ["pool_id"])


def downgrade() -> None:
    op.drop_index("ix_capacity_blocks_pool_id", table_name="capacity_blocks")
    op.drop_table("capacity_blocks")
