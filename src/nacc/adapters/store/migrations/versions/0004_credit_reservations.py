"""Credit reservations: what a project's live jobs may still spend.

A job reserves its estimated cost at submission (``jobs.reserved_credits``); charges for
its usage draw the reservation down and its end releases the rest. A project's
``committed_credits`` is the sum over its live jobs, so a submission is admitted only if
balance + overdraft - committed covers it: many jobs together cannot take a project
below its overdraft floor.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

CREDITS = sa.Numeric(24, 9).with_variant(sa.BigInteger(), "sqlite")  # frozen: types.Credits

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    zero = sa.text("0")
    op.add_column(
        "projects", sa.Column("committed_credits", CREDITS, nullable=False, server_default=zero)
    )
    op.add_column(
        "jobs", sa.Column("reserved_credits", CREDITS, nullable=False, server_default=zero)
    )


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("reserved_credits")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("committed_credits")
