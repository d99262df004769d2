"""The one-statement submission (insert only if the project is valid and funded), on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from nacc.adapters.store import repos_jobs as jobs
from nacc.adapters.store import repos_ledger as ledger

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the store fixtures' world starts then
World = Any  # the `world` fixture of this folder's conftest (not imported: see conftest)


def _fund(session: Session, world: World, amount: str) -> str:
    key = f"project:{world.project_id}"
    ledger.ensure_account(session, "funding", "funding", None)
    ledger.ensure_account(session, key, "project")
    legs = [("funding", -Decimal(amount)), (key, Decimal(amount))]
    ledger.add_journal_entry(session, f"t:{amount}", T0, "test", legs)
    return key


def _new(world: World, jid: str, project: int | None = None) -> jobs.NewJob:
    return jobs.NewJob(jid, project or world.project_id, world.pi_id, "true", 2, "inference")


def test_inserts_when_funded_and_valid(session: Session, world: World) -> None:
    key = _fund(session, world, "10.5")
    now = T0 + timedelta(days=1)
    job = jobs.insert_if_funded(session, _new(world, "j-ok"), now, Decimal("10.5"), key)
    assert job is not None and job.id == "j-ok" and job.state == "pending"
    assert jobs.get_job(session, "j-ok") is not None


def test_refuses_underfunded_invalid_or_unknown(session: Session, world: World) -> None:
    key = _fund(session, world, "10")
    now = T0 + timedelta(days=1)
    assert (
        jobs.insert_if_funded(session, _new(world, "j-1"), now, Decimal("10.000000001"), key)
        is None
    )
    late = T0 + timedelta(days=400)
    assert jobs.insert_if_funded(session, _new(world, "j-2"), late, Decimal(1), key) is None
    assert jobs.insert_if_funded(session, _new(world, "j-3", 9999), now, Decimal(1), key) is None
    assert all(jobs.get_job(session, j) is None for j in ("j-1", "j-2", "j-3"))
