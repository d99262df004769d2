"""Dataset access requests may be revoked: ``dataset_access.state`` also takes
``revoked`` (an approval withdrawn by a steward, officer or operator).

Revision ID: 0014_dataset_revoked
Revises: 0013_datasets
Create Date: 2026-12-04 01:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014_dataset_revoked"
down_revision: str | None = "0013_datasets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ck_dataset_access_state"
BEFORE = "state IN ('requested', 'approved', 'refused')"
AFTER = "state IN ('requested', 'approved', 'refused', 'revoked')"


def _check(rule: str) -> None:
    with op.batch_alter_table("dataset_access") as batch:
        batch.drop_constraint(op.f(NAME), type_="check")
        batch.create_check_constraint(op.f(NAME), rule)


def upgrade() -> None:
    _check(AFTER)


def downgrade() -> None:
    op.execute("UPDATE dataset_access SET state = 'refused' WHERE state = 'revoked'")
    _check(BEFORE)
