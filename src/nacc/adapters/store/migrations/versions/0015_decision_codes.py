"""Decisions keep their reason as a code with parameters (rendered at the edge, in the
reader's language); ``decisions.reason`` stays, in English, for readers that predate
codes. Decisions made before this revision have no code and show their stored text.

Revision ID: 0015_decision_codes
Revises: 0014_dataset_revoked
Create Date: 2026-12-04 01:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")  # frozen: types.json_doc

revision: str = "0015_decision_codes"
down_revision: str | None = "0014_dataset_revoked"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("decisions", sa.Column("reason_code", sa.String(64), nullable=True))
    op.add_column("decisions", sa.Column("reason_params", JSON_DOC, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("reason_params")
        batch.drop_column("reason_code")
