"""Indexes for the portal's reads at scale (issue 10's benchmark): metered intervals by
start (reports over a time range) and by end (the fleet page's last 24 hours).

Revision ID: 0011_report_indexes
Revises: 0010_backends
Create Date: 2026-12-03 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011_report_indexes"
down_revision: str | None = "0010_backends"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_usage_intervals_start_at", "usage_intervals", ["start_at"])
    op.create_index("ix_usage_intervals_end_at", "usage_intervals", ["end_at"])


def downgrade() -> None:
    op.drop_index("ix_usage_intervals_end_at", table_name="usage_intervals")
    op.drop_index("ix_usage_intervals_start_at", table_name="usage_intervals")
