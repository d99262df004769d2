"""Migrations build the schema from empty, match the models, and engines are set up right."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.orm import Session

from nacc.adapters.store import database_url, make_engine, upgrade, warm_pool
from nacc.adapters.store.engine import read_one_snapshot
from nacc.adapters.store.migrate import current_revision, downgrade, head_revision
from nacc.adapters.store.tables import Base

EXPECTED_TABLES = {
    "organisations", "users", "role_assignments", "api_tokens",
    "programs", "calls", "proposals", "proposal_members", "reviews", "decisions",
    "projects", "project_members", "tranches", "jobs", "job_events",
    "accounts", "journal_entries", "journal_legs", "usage_intervals",
    "scheduler_heartbeats", "team_invitations", "audit_log", "auth_generation",
    "capacity_blocks", "notice_outbox", "notify_prefs", "progress_reports",
    "challenges", "challenge_entries",
    "datasets", "dataset_access", "job_datasets", "usage_days",
}  # fmt: skip


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_to_head_creates_every_table(empty_url: str) -> None:
    assert _tables(empty_url) == set()
    upgrade(empty_url)
    assert _tables(empty_url) == EXPECTED_TABLES | {"alembic_version"}
    engine = make_engine(empty_url)
    try:
        assert current_revision(engine) == head_revision() == "0017_usage_days"
    finally:
        engine.dispose()


def test_upgrade_twice_is_harmless_and_downgrade_empties(empty_url: str) -> None:
    upgrade(empty_url)
    upgrade(empty_url)
    downgrade(empty_url)
    assert _tables(empty_url) <= {"alembic_version"}
    upgrade(empty_url)
    assert _tables(empty_url) >= EXPECTED_TABLES


def test_migrated_schema_matches_the_models(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_sqlite_engine_has_foreign_keys_and_wal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert (tmp_path / "sub" / "x.db").exists()
    finally:
        engine.dispose()


def test_database_url_prefers_the_environment(tmp_path: Path) -> None:
    pg = "postgresql+psycopg://postgres@127.0.0.1:5432/nacc"
    assert database_url({"NACC_DATABASE_URL": pg}) == pg
    assert database_url({"NACC_HOME": str(tmp_path)}) == f"sqlite:///{tmp_path / 'nacc.db'}"
    assert database_url({}).endswith("/.local/share/nacc/nacc.db")


def test_bare_postgresql_url_gets_psycopg3(pg_url: str) -> None:
    engine = make_engine(pg_url.replace("postgresql+psycopg://", "postgresql://"))
    try:
        assert engine.dialect.driver == "psycopg"
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_warm_pool_opens_connections_that_stay_pooled(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        assert engine.pool.checkedin() == 0
        warm_pool(engine, 3)
        assert engine.pool.checkedin() == 3 and engine.pool.checkedout() == 0
        with engine.begin() as conn:  # and they work (SQLite: no write lock left held)
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_read_one_snapshot_hides_commits_made_meanwhile(engine: sa.Engine, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite transactions are serialised: a writer waits for the reader")
    count = sa.text("SELECT count(*) FROM organisations")
    add = sa.text("INSERT INTO organisations (name, kind, region, capital_area) "
                  "VALUES ('X', 'university', 'Seoul', true)")  # fmt: skip
    with Session(engine) as reader:
        read_one_snapshot(reader)
        before = reader.execute(count).scalar()
        with engine.begin() as writer:
            writer.execute(add)
        assert reader.execute(count).scalar() == before  # the snapshot holds
    with Session(engine) as fresh:
        assert fresh.execute(count).scalar() == (before or 0) + 1


def test_0005_backfills_entry_kinds_and_jobs_from_the_legs(empty_url: str) -> None:
    """Entries written before 0005 get the kind their legs show and a usage entry's job."""
    upgrade(empty_url, "0004")
    engine = make_engine(empty_url)
    rows = [
        (1, "fund:p1", [("funding:gov", "funding", -10), ("program:p1", "program", 10)]),
        (2, "award:1:tranche:1", [("program:p1", "program", -5), ("project:1", "project", 5)]),
        (3, "job:j7:usage:0:60", [("project:1", "project", -1), ("usage:all", "usage", 1)]),
        (4, "adjust:1", [("project:1", "project", -1), ("program:p1", "program", 1)]),
        (5, "odd:usage", [("project:1", "project", -1), ("usage:all", "usage", 1)]),
    ]
    try:
        with engine.begin() as conn:
            accounts = {(key, kind) for _, _, legs in rows for key, kind, _ in legs}
            for key, kind in sorted(accounts):
                conn.execute(
                    sa.text("INSERT INTO accounts (key, kind) VALUES (:k, :kind)"),
                    {"k": key, "kind": kind},
                )
            for entry_id, cause, legs in rows:
                conn.execute(
                    sa.text(
                        "INSERT INTO journal_entries (id, cause, at, memo)"
                        " VALUES (:id, :cause, '2026-01-01 00:00:00', '')"
                    ),
                    {"id": entry_id, "cause": cause},
                )
                for key, _, amount in legs:
                    conn.execute(
                        sa.text(
                            "INSERT INTO journal_legs (entry_id, account_key, amount)"
                            " VALUES (:e, :k, :a)"
                        ),
                        {"e": entry_id, "k": key, "a": amount},
                    )
        upgrade(empty_url)
        with engine.connect() as conn:
            got = conn.execute(
                sa.text("SELECT id, kind, job_id FROM journal_entries ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in got] == [
        (1, "funding", None),
        (2, "award", None),
        (3, "usage", "j7"),
        (4, "award", None),
        (5, "transfer", None),
    ]
