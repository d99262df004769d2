"""Jobs: a cancellation request and the scheduler's expected start, so the API and the
live scheduler can run in separate processes and talk through the database.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 05:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("cancel_requested_at", TIMESTAMP, nullable=True))
    op.add_column("jobs", sa.Column("expected_start_at", TIMESTAMP, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("expected_start_at")
        batch.drop_column("cancel_requested_at")
