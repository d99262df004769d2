"""Each dispatch backend's state in the scheduler's heartbeat (failover: /healthz and
/metrics say which backend is down, since when).

Revision ID: 0010_backends
Revises: 0009_notify
Create Date: 2026-12-03 14:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")  # frozen: types.json_doc

revision: str = "0010_backends"
down_revision: str | None = "0009_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scheduler_heartbeats") as batch:
        batch.add_column(sa.Column("backends", JSON_DOC, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scheduler_heartbeats") as batch:
        batch.drop_column("backends")
