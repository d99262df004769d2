"""Entries keep their kind and job; jobs and their events keep coded reasons.

* ``journal_entries.kind`` (funding, award, usage, refund, transfer) and
  ``journal_entries.job_id`` (the job a usage or refund entry is for): reports and
  ``ledger verify`` read them instead of guessing from the cause and the legs. Existing
  entries are backfilled by the rule the ledger used to guess with (the account kinds of
  the two legs; a usage entry's job from its cause ``job:<id>:usage:...``).
* ``jobs.reason_code`` / ``jobs.reason_params`` and ``job_events.code`` /
  ``job_events.params``: why a job waits or ended, as a code and its parameters
  (``nacc.domain.reasons``), rendered in the reader's language at the edge. The old text
  columns stay as the English rendering for readers of older versions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 13:00:00
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")  # frozen: types.json_doc

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the rule the ledger guessed kinds with before this revision.
_KINDS = {
    frozenset({"funding", "program"}): "funding",
    frozenset({"program", "project"}): "award",
    frozenset({"project", "usage"}): "usage",
}
_JOB = re.compile(r"^job:(?P<job>[^:]+):usage:")


def upgrade() -> None:
    empty = sa.text("''")
    op.add_column(
        "journal_entries",
        sa.Column("kind", sa.String(16), nullable=False, server_default="transfer"),
    )
    op.add_column("journal_entries", sa.Column("job_id", sa.String(64), nullable=True))
    op.create_index("ix_journal_entries_job_id", "journal_entries", ["job_id"])
    op.add_column(
        "jobs", sa.Column("reason_code", sa.String(64), nullable=False, server_default=empty)
    )
    op.add_column("jobs", sa.Column("reason_params", JSON_DOC, nullable=True))
    op.add_column(
        "job_events", sa.Column("code", sa.String(64), nullable=False, server_default=empty)
    )
    op.add_column("job_events", sa.Column("params", JSON_DOC, nullable=True))
    _backfill_kinds()


def _backfill_kinds() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT e.id, e.cause, a.kind FROM journal_entries e"
            " JOIN journal_legs l ON l.entry_id = e.id"
            " JOIN accounts a ON a.key = l.account_key ORDER BY e.id"
        )
    ).all()
    kinds: dict[int, set[str]] = {}
    causes: dict[int, str] = {}
    for entry_id, cause, account_kind in rows:
        kinds.setdefault(entry_id, set()).add(account_kind)
        causes[entry_id] = cause
    update = sa.text("UPDATE journal_entries SET kind = :kind, job_id = :job WHERE id = :id")
    for entry_id, found in kinds.items():
        kind = _KINDS.get(frozenset(found), "transfer")
        match = _JOB.match(causes[entry_id])
        job = match.group("job") if match else None
        if kind == "usage" and job is None:
            kind = "transfer"
        if kind != "transfer" or job is not None:
            bind.execute(update, {"kind": kind, "job": job, "id": entry_id})


def downgrade() -> None:
    with op.batch_alter_table("job_events") as batch:
        batch.drop_column("params")
        batch.drop_column("code")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("reason_params")
        batch.drop_column("reason_code")
    op.drop_index("ix_journal_entries_job_id", table_name="journal_entries")
    with op.batch_alter_table("journal_entries") as batch:
        batch.drop_column("job_id")
        batch.drop_column("kind")
