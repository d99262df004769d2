"""A tick's writes cost a fixed number of SQL statements, whatever the number of jobs in
it (counted on the real engine with a SQLAlchemy event listener; SQL stores only)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from contract.store.scheduler_world import T0, Seed, add_jobs, add_project
from contract.store.test_store_scheduler import _charge, _end, _start
from nacc.adapters.store.sql_store import SqlStore
from nacc.domain.reasons import Code, Reason
from nacc.ports.store import Store
from nacc.ports.store_scheduler import TickWrites, Waiting


@contextmanager
def counted(store: Store) -> Iterator[list[str]]:
    """Every statement sent to the database meanwhile (an executemany counts once: it is
    one statement, pipelined by psycopg)."""
    assert isinstance(store, SqlStore)
    engine: sa.Engine = store.sessions.kw["bind"]
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()[:3]))

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def _tick(store: Store, n: int) -> tuple[list[str], list[str]]:
    """Statements of a tick that starts ``n`` jobs, and of one that charges and ends them
    while ``n`` others get their pending reasons."""
    pid = add_project(store, f"p{n}")
    ids = [f"p{n}-j{i:04d}" for i in range(2 * n)]
    add_jobs(store, pid, [Seed(i, T0 + timedelta(seconds=k), Decimal(1)) for k, i in
                          enumerate(ids)])  # fmt: skip
    run, wait = ids[:n], ids[n:]
    why = Reason.of(Code.WAITING_FOR_CAPACITY, pool="local-h100", needed=1, free=0)
    with counted(store) as starts, store.unit() as uow:
        uow.scheduler.write(TickWrites(moves=[_start(i) for i in run]))
    tick = TickWrites(
        moves=[_end(i) for i in run],
        charges=[_charge(i, pid, 10, 20, "0.1") for i in run],
        waits=[Waiting(i, why, "waiting", T0) for i in wait],
    )
    with counted(store) as ends, store.unit() as uow:
        done = uow.scheduler.write(tick)
    assert len(done.posted) == n and done.refused == ()
    return starts, ends


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"], indirect=True)
def test_a_tick_costs_the_same_few_statements_for_3_or_300_jobs(store: Store) -> None:
    few_starts, few_ends = _tick(store, 3)
    many_starts, many_ends = _tick(store, 300)
    assert many_starts == few_starts and many_ends == few_ends
    assert len(few_starts) <= 4, few_starts  # lock, update jobs, insert events (+ BEGIN)
    assert len(few_ends) <= 12, few_ends


@pytest.mark.parametrize("kind", ["postgresql"], indirect=True)
def test_on_postgresql_a_tick_of_charges_posts_them_in_two_statements(store: Store) -> None:
    """Accounts opened and locked in one statement, entries, legs and intervals in one
    more: an ending tick is the lock, those two, the job rows, the events, the waits and
    the projects (7), a starting one the lock, the job rows and the events (3)."""
    starts, ends = _tick(store, 5)
    assert len(starts) == 3, starts
    assert len(ends) == 7, ends
    assert sum(1 for s in ends if s.startswith("WITH")) == 2, ends
