"""A daily summary of metered usage, kept by the database: ``usage_days``.

Every usage report summed the year's metered intervals (29,400 at the issue's scale) by
job, day and type before grouping them by program, organisation, ...: most of a report's
time in PostgreSQL (docs/benchmarks.md). ``usage_days`` holds those sums: one row per
job, UTC day an interval starts on and accelerator type, with the credits, accelerator-
seconds (``(end - start) x count``) and number of intervals. An interval counts wholly
on the day it starts, as the reports have always counted it (no split at midnight).

Intervals are only ever inserted (once per ``(job, start)``; a retry inserts nothing),
so a trigger on ``usage_intervals`` adds each inserted interval to its day's row, in the
same transaction, whatever path writes it (``record_usage``, the live scheduler's
batched tick, a bulk load). On PostgreSQL one statement-level trigger adds the inserted
rows grouped (a tick's hundreds of intervals: one ``INSERT .. ON CONFLICT``, rows in key
order); on SQLite a row trigger. Backfilled here from the intervals; ``nacc ledger
verify`` proves the summary equal to the intervals job by job.

Revision ID: 0017_usage_days
Revises: 0016_account_balances
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

CREDITS = sa.Numeric(24, 9).with_variant(sa.BigInteger(), "sqlite")  # frozen: types.Credits

revision: str = "0017_usage_days"
down_revision: str | None = "0016_account_balances"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLS = "job_id, day, accelerator_type, credits, accelerator_seconds, intervals"
_ADD = (
    "ON CONFLICT (job_id, day, accelerator_type) DO UPDATE SET "
    "credits = usage_days.credits + excluded.credits, "
    "accelerator_seconds = usage_days.accelerator_seconds + excluded.accelerator_seconds, "
    "intervals = usage_days.intervals + excluded.intervals"
)
_PG_SUMS = (
    "SELECT job_id, (start_at AT TIME ZONE 'UTC')::date, accelerator_type, sum(credits), "
    "sum(date_part('epoch', end_at - start_at) * count), count(*) FROM {rows} "
    "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
)
_PG_FUNCTION = f"""
CREATE FUNCTION nacc_add_usage_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_days ({_COLS}) {_PG_SUMS.format(rows="new_usage")} {_ADD};
    RETURN NULL;
END
$$
"""
_PG_TRIGGER = (
    "CREATE TRIGGER usage_intervals_days AFTER INSERT ON usage_intervals "
    "REFERENCING NEW TABLE AS new_usage FOR EACH STATEMENT "
    "EXECUTE FUNCTION nacc_add_usage_days()"
)
_SQLITE_SPAN = (  # whole seconds, then the microseconds of ISO text (julianday: ~0.1 ms off)
    "((strftime('%s', {t}.end_at) - strftime('%s', {t}.start_at)) "
    "+ (CAST(substr({t}.end_at, 20) AS REAL) - CAST(substr({t}.start_at, 20) AS REAL))) "
    "* {t}.count"
)
_SQLITE_TRIGGER = (
    "CREATE TRIGGER usage_intervals_days AFTER INSERT ON usage_intervals BEGIN "
    f"INSERT INTO usage_days ({_COLS}) VALUES (NEW.job_id, date(NEW.start_at), "
    f"NEW.accelerator_type, NEW.credits, {_SQLITE_SPAN.format(t='NEW')}, 1) {_ADD}; END"
)
_SQLITE_SUMS = (
    "SELECT job_id, date(start_at), accelerator_type, sum(credits), "
    f"sum({_SQLITE_SPAN.format(t='usage_intervals')}), count(*) FROM usage_intervals "
    "GROUP BY 1, 2, 3"
)


def upgrade() -> None:
    op.create_table(
        "usage_days",
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("accelerator_type", sa.String(length=64), nullable=False),
        sa.Column("credits", CREDITS, nullable=False),
        sa.Column("accelerator_seconds", sa.Float(), nullable=False),
        sa.Column("intervals", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_usage_days_job_id_jobs")),
        sa.PrimaryKeyConstraint("job_id", "day", "accelerator_type", name=op.f("pk_usage_days")),
    )
    op.create_index(op.f("ix_usage_days_day"), "usage_days", ["day"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"INSERT INTO usage_days ({_COLS}) {_PG_SUMS.format(rows='usage_intervals')}")
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
        op.execute("ANALYZE usage_days")  # plans see its rows before autovacuum comes
    else:
        op.execute(f"INSERT INTO usage_days ({_COLS}) {_SQLITE_SUMS}")
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS usage_intervals_days ON usage_intervals")
        op.execute("DROP FUNCTION IF EXISTS nacc_add_usage_days()")
    else:
        op.execute("DROP TRIGGER IF EXISTS usage_intervals_days")
    op.drop_index(op.f("ix_usage_days_day"), table_name="usage_days")
    op.drop_table("usage_days")
