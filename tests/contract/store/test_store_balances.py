"""The SQL stores keep each account's balance (``accounts.balance``, migration 0016) equal
to the sum of its legs, whichever path posted them: the ledger's ``append`` and the live
scheduler's batched tick (one statement of many legs on PostgreSQL); a retried tick adds
nothing. Submissions check their funds against it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from contract.store.scheduler_world import T0, Seed, add_jobs, add_project
from nacc.adapters.store.memory import MemoryStore
from nacc.adapters.store.tables import Account, JournalLeg
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Code, Reason
from nacc.ports.store import Store
from nacc.ports.store_jobs import NewEntry
from nacc.ports.store_scheduler import Charge, Leg, Move, TickWrites


def _balances(store: Store) -> dict[str, tuple[Decimal, Decimal]]:
    """Account key -> (kept balance, sum of its legs)."""
    with store.unit() as uow:
        session = getattr(uow, "session")  # noqa: B009 - the SQL adapter's rows
        kept = dict(session.execute(sa.select(Account.key, Account.balance)).all())
        summed = sa.select(JournalLeg.account_key, sa.func.sum(JournalLeg.amount))
        legs = dict(session.execute(summed.group_by(JournalLeg.account_key)).all())
    return {k: (Decimal(v), Decimal(legs.get(k, 0))) for k, v in kept.items()}


def _charge(job_id: str, project_id: int, start: int, end: int, credits: str) -> Charge:
    amount = Decimal(credits)
    legs = (Leg(f"project:{project_id}", -amount, "project"), Leg("usage", amount, "usage", None))
    return Charge(f"job:{job_id}:usage:{start}-{end}", T0 + timedelta(seconds=end), "1 x H100",
                  job_id, legs, T0 + timedelta(seconds=start), T0 + timedelta(seconds=end),
                  "H100-SXM", 1, amount)  # fmt: skip


def test_balances_follow_every_posting_path(store: Store) -> None:
    if isinstance(store, MemoryStore):
        pytest.skip("the in-memory store sums its legs: no kept balance to check")
    pid = add_project(store)
    key = f"project:{pid}"
    add_jobs(store, pid, [Seed("j1", T0, Decimal(5)), Seed("j2", T0, Decimal(5))])
    with store.unit() as uow:
        if uow.ledger.get_account(key) is None:
            uow.ledger.open_account(key, "project")
        uow.ledger.open_account("grants", "program", None)
        grant = NewEntry("grant:1", T0, "allocation", ((key, Decimal(100)),
                                                       ("grants", Decimal(-100))))  # fmt: skip
        uow.ledger.append(grant)
    assert _balances(store)[key] == (Decimal(100), Decimal(100))
    why = Reason.of(Code.START_HEAD_OF_QUEUE, policy="fifo")
    start = [Move(j, T0, JobState.PENDING, JobState.RUNNING, why, "fifo: head of the queue",
                  "local-h100", ("0",), log_path=f"/w/{j}/out.log")
             for j in ("j1", "j2")]  # fmt: skip
    tick = TickWrites(moves=start, charges=[_charge("j1", pid, 0, 5, "0.25"),
                                            _charge("j2", pid, 0, 5, "1.5")])  # fmt: skip
    with store.unit() as uow:
        uow.scheduler.write(tick)
    with store.unit() as uow:  # a retried tick posts nothing twice
        uow.scheduler.write(TickWrites(charges=tick.charges))
    got = _balances(store)
    assert got[key] == (Decimal("98.25"), Decimal("98.25"))
    assert got["usage"] == (Decimal("1.75"), Decimal("1.75"))
    assert all(kept == summed for kept, summed in got.values()), got
