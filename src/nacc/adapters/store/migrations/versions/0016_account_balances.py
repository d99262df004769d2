"""Each ledger account's balance kept beside its legs, by the database itself.

A submission checks its project's funds in the statement that reserves them; that check
summed every leg of the project's account, and a busy project gets one leg per metered
stretch of each job: 16,000 legs cost 6-12 ms of PostgreSQL CPU per submission
(docs/benchmarks.md). ``accounts.balance`` is the sum of the account's legs, kept by a
trigger on ``journal_legs`` (legs are only ever inserted: the journal is append-only),
so every path that posts (``append_entry``, the live scheduler's batched tick, any
future one) keeps it, in the same transaction. On PostgreSQL one statement-level
trigger adds each account's total of the inserted rows (a tick's hundreds of legs: one
``UPDATE`` of two rows); on SQLite a row trigger. Posting paths lock the accounts they
post to (in key order) before inserting legs, so the trigger's updates take no new
locks. ``nacc ledger verify`` still proves the journal from the legs.

Revision ID: 0016_account_balances
Revises: 0015_decision_codes
Create Date: 2026-12-04 02:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

CREDITS = sa.Numeric(24, 9).with_variant(sa.BigInteger(), "sqlite")  # frozen: types.Credits

revision: str = "0016_account_balances"
down_revision: str | None = "0015_decision_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_FUNCTION = """
CREATE FUNCTION nacc_add_leg_balances() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts AS a SET balance = a.balance + s.total
    FROM (SELECT account_key, sum(amount) AS total FROM new_legs GROUP BY account_key) AS s
    WHERE a.key = s.account_key;
    RETURN NULL;
END
$$
"""
_PG_TRIGGER = (
    "CREATE TRIGGER journal_legs_balance AFTER INSERT ON journal_legs "
    "REFERENCING NEW TABLE AS new_legs FOR EACH STATEMENT "
    "EXECUTE FUNCTION nacc_add_leg_balances()"
)
_SQLITE_TRIGGER = (
    "CREATE TRIGGER journal_legs_balance AFTER INSERT ON journal_legs BEGIN "
    "UPDATE accounts SET balance = balance + NEW.amount WHERE key = NEW.account_key; END"
)
_BACKFILL = (
    "UPDATE accounts SET balance = COALESCE((SELECT SUM(l.amount) FROM journal_legs l "
    "WHERE l.account_key = accounts.key), 0)"
)


def upgrade() -> None:
    op.add_column("accounts", sa.Column("balance", CREDITS, nullable=False, server_default="0"))
    op.execute(_BACKFILL)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS journal_legs_balance ON journal_legs")
        op.execute("DROP FUNCTION IF EXISTS nacc_add_leg_balances()")
    else:
        op.execute("DROP TRIGGER IF EXISTS journal_legs_balance")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("balance")
