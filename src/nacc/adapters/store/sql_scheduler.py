"""SQL repositories of the store port: nacc.ports.store_scheduler.

Every read is one statement (two for ``queued``: ids, then the rows not yet known), and
``write`` is a fixed handful whatever the number of jobs in the tick. On PostgreSQL each
is one statement with one array parameter per column, however many rows
(``INSERT ... SELECT FROM unnest(...) [ON CONFLICT DO NOTHING] [RETURNING]``, ``UPDATE ...
FROM unnest(...)``, ``id = ANY(...)``): a statement with a parameter per value (multi-row
``VALUES``) cost more to build and convert, client side, than the server took to run it.
On SQLite (in process: no round trips to save) they are executemany statements:

1. lock the touched job rows (``SELECT ... FOR UPDATE`` in id order on PostgreSQL;
   SQLite transactions are serial) and read what the tick changes;
2. with charges: open missing accounts, lock the accounts charged (as every posting
   does, so a floor check elsewhere is not overtaken), insert the entries (those whose
   cause is new come back), their legs and their metered intervals;
3. one ``UPDATE`` of the moved jobs' rows and one of the reservations of jobs only
   charged, the ``job_events`` rows, one ``UPDATE`` of the pending reasons and expected
   starts;
4. last, one ``UPDATE`` of projects' committed credits (submissions lock those rows to
   reserve: they wait only for the commit).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nacc.adapters.store.scheduler_batch import Stored, TickPlan, legs_problem, plan_tick, touched
from nacc.adapters.store.tables import (
    Account,
    Job,
    JobEventRow,
    JournalEntry,
    JournalLeg,
    Project,
    SchedulerBeat,
    UsageInterval,
)
from nacc.domain.errors import InputError
from nacc.domain.lifecycle import JobState
from nacc.ports.store_scheduler import (
    Beat,
    Charge,
    QueuedJob,
    TickResult,
    TickWrites,
    Waiting,
)

JOBS = cast(sa.Table, Job.__table__)
EVENTS = cast(sa.Table, JobEventRow.__table__)
ENTRIES = cast(sa.Table, JournalEntry.__table__)
LEGS = cast(sa.Table, JournalLeg.__table__)
ACCOUNTS = cast(sa.Table, Account.__table__)
USAGE = cast(sa.Table, UsageInterval.__table__)
PROJECTS = cast(sa.Table, Project.__table__)
BEATS = cast(sa.Table, SchedulerBeat.__table__)
_CHUNK = 1000  # ids per IN list
_IDS = postgresql.ARRAY(sa.String)
_LIVE = (JobState.PENDING.value, JobState.RUNNING.value)
_QUEUED_COLS = (
    JOBS.c.id, JOBS.c.project_id, JOBS.c.submitted_at, JOBS.c.command, JOBS.c.image,
    JOBS.c.accelerators, JOBS.c.accelerator_types, JOBS.c.job_class, JOBS.c.time_limit_s,
    JOBS.c.gang, JOBS.c.state, JOBS.c.pool_id, JOBS.c.started_at,
)  # fmt: skip
_STORED_COLS = (
    JOBS.c.id, JOBS.c.project_id, JOBS.c.state, JOBS.c.reserved_credits, JOBS.c.pool_id,
    JOBS.c.device_ids, JOBS.c.exit_code, JOBS.c.started_at, JOBS.c.finished_at,
    JOBS.c.log_path, JOBS.c.reason, JOBS.c.reason_code, JOBS.c.reason_params,
)  # fmt: skip
_MOVED = (
    "state", "reason", "reason_code", "reason_params", "pool_id", "device_ids", "exit_code",
    "started_at", "finished_at", "log_path", "reserved_credits",
)  # fmt: skip


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _queued(row: Any, metered: datetime | None = None) -> QueuedJob:
    types = row.accelerator_types
    return QueuedJob(
        id=row.id,
        project_id=row.project_id,
        submitted_at=row.submitted_at,
        command=row.command,
        image=row.image,
        accelerators=row.accelerators,
        accelerator_types=None if types is None else tuple(types),
        job_class=row.job_class,
        time_limit_s=row.time_limit_s,
        gang=row.gang,
        state=JobState(row.state),
        pool_id=row.pool_id,
        started_at=row.started_at,
        metered_until=metered,
    )


def _stored(row: Any) -> Stored:
    devices = row.device_ids
    return Stored(
        id=row.id,
        project_id=row.project_id,
        state=JobState(row.state),
        reserved_credits=row.reserved_credits,
        pool_id=row.pool_id,
        device_ids=None if devices is None else tuple(devices),
        exit_code=row.exit_code,
        started_at=row.started_at,
        finished_at=row.finished_at,
        log_path=row.log_path,
        reason=row.reason,
        reason_code=row.reason_code,
        reason_params=row.reason_params,
    )


class SqlScheduler:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _conn(self) -> sa.Connection:
        return self.session.connection()

    def _insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT (it has ``on_conflict_do_nothing``)."""
        module: Any = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        return module.insert(table)

    # -- reads ------------------------------------------------------------------------------
    def queued(self, since: datetime | None, known: Collection[str]) -> list[QueuedJob]:
        where = JOBS.c.state == JobState.PENDING.value
        if since is not None:
            where = sa.and_(where, JOBS.c.submitted_at >= since)
        ids = [i for i in self._conn.scalars(sa.select(JOBS.c.id).where(where)) if i not in known]
        found: list[QueuedJob] = []
        for chunk in _chunks(ids):
            stmt = sa.select(*_QUEUED_COLS).where(JOBS.c.id.in_(chunk))
            found.extend(_queued(row) for row in self._conn.execute(stmt))
        found.sort(key=lambda j: (j.submitted_at, j.id))
        return found

    def cancel_requests(self) -> list[str]:
        stmt = sa.select(JOBS.c.id).where(
            JOBS.c.state.in_(_LIVE), JOBS.c.cancel_requested_at.is_not(None)
        )
        return list(self._conn.scalars(stmt.order_by(JOBS.c.id)))

    def live_jobs(self) -> list[QueuedJob]:
        metered = (
            sa.select(sa.func.max(USAGE.c.end_at))
            .where(USAGE.c.job_id == JOBS.c.id)
            .scalar_subquery()
        )
        stmt = (
            sa.select(*_QUEUED_COLS, metered.label("metered_until"))
            .where(JOBS.c.state.in_(_LIVE))
            .order_by(JOBS.c.submitted_at, JOBS.c.id)
        )
        return [_queued(row, row.metered_until) for row in self._conn.execute(stmt)]

    # -- the tick's writes ----------------------------------------------------------------
    def write(self, tick: TickWrites) -> TickResult:
        for charge in tick.charges:
            if (why := legs_problem(charge)) is not None:
                raise InputError("charge.legs", why)
        stored = self._lock(touched(tick.moves, tick.charges))
        posted = self._post(tick.charges)
        plan = plan_tick(stored, tick.moves, [c for c in tick.charges if c.cause in posted])
        self._apply(plan)
        self._waits(tick.waits)
        self._commit_credits(plan)  # last: the project rows stay locked until commit
        return plan.result(c.cause for c in tick.charges if c.cause in posted)

    def _lock(self, ids: Sequence[str]) -> dict[str, Stored]:
        found: dict[str, Stored] = {}
        if not ids:
            return found
        pg = self._conn.dialect.name == "postgresql"
        for chunk in [ids] if pg else _chunks(ids):
            where = JOBS.c.id == sa.any_(sa.bindparam("ids", list(chunk), type_=_IDS)) if pg \
                else JOBS.c.id.in_(chunk)  # fmt: skip
            stmt = sa.select(*_STORED_COLS).where(where).order_by(JOBS.c.id)
            found.update((r.id, _stored(r)) for r in self._conn.execute(stmt.with_for_update()))
        return found

    def _insert_rows(
        self,
        table: sa.Table,
        rows: Sequence[dict[str, Any]],
        unique: Sequence[str] = (),
        returning: Sequence[str] = (),
    ) -> Any:
        """Insert ``rows`` (skipping those whose ``unique`` columns exist, if given),
        returning the ``returning`` columns of the rows inserted."""
        if self._conn.dialect.name == "postgresql":
            cols = list(rows[0])
            stmt = _unnest_insert(table, tuple(cols), tuple(unique), tuple(returning))
            return self._conn.execute(stmt, _arrays(table, cols, rows))
        insert: Any = self._insert(table)
        if unique:
            insert = insert.on_conflict_do_nothing(index_elements=list(unique))
        if returning:
            insert = insert.returning(*(table.c[c] for c in returning))
        return self._conn.execute(insert, rows)

    def _post(self, charges: Sequence[Charge]) -> set[str]:
        """Post the charges whose cause is new; their causes."""
        if not charges:
            return set()
        self._open_accounts(charges)
        entries = [{"cause": c.cause, "at": c.at, "memo": c.memo, "kind": "usage",
                    "job_id": c.job_id} for c in charges]  # fmt: skip
        rows = self._insert_rows(ENTRIES, entries, ["cause"], ["id", "cause"])
        ids = {cause: entry_id for entry_id, cause in rows}
        fresh = [c for c in charges if c.cause in ids]
        if not fresh:
            return set()
        legs = [{"entry_id": ids[c.cause], "account_key": leg.account, "amount": leg.amount}
                for c in fresh for leg in c.legs]  # fmt: skip
        self._insert_rows(LEGS, legs)
        usage = [{"job_id": c.job_id, "start_at": c.start_at, "end_at": c.end_at,
                  "accelerator_type": c.accelerator_type, "count": c.count,
                  "credits": c.credits} for c in fresh]  # fmt: skip
        self._insert_rows(USAGE, usage, ["job_id", "start_at"])
        return set(ids)

    def _open_accounts(self, charges: Sequence[Charge]) -> None:
        """Open the accounts the legs name that do not exist yet, and lock them all."""
        wanted = {leg.account: leg for c in charges for leg in c.legs}
        rows = [{"key": k, "kind": leg.kind, "overdraft": leg.overdraft}
                for k, leg in sorted(wanted.items())]  # fmt: skip
        self._insert_rows(ACCOUNTS, rows, ["key"])
        lock = sa.select(ACCOUNTS.c.key).where(ACCOUNTS.c.key.in_(sorted(wanted)))
        self._conn.execute(lock.order_by(ACCOUNTS.c.key).with_for_update())

    def _apply(self, plan: TickPlan) -> None:
        if plan.moved:
            self._update_many(JOBS, [_moved_row(row) for row in plan.moved.values()])
        if plan.drawn_only:
            rows = [{"id": k, "reserved_credits": v} for k, v in plan.drawn_only.items()]
            self._update_many(JOBS, rows)
        if plan.events:
            self._insert_rows(EVENTS, plan.events)

    def _commit_credits(self, plan: TickPlan) -> None:
        """Projects' committed credits: the rows submissions lock to reserve, so this is
        the unit's last statement (held only for the commit)."""
        changes = [{"id": k, "committed_credits": v} for k, v in sorted(plan.committed.items())
                   if v]  # fmt: skip
        if changes:
            self._update_many(PROJECTS, changes, add=True)

    def _waits(self, waits: Sequence[Waiting]) -> None:
        if not waits:
            return
        for state in (JobState.PENDING, JobState.RUNNING):  # a running one: held by a backend
            rows = [{"id": w.job_id, "reason": w.text, "reason_code": w.reason.code,
                     "reason_params": w.reason.args or None,
                     "expected_start_at": w.expected_start_at}
                    for w in waits if w.running is (state is JobState.RUNNING)]  # fmt: skip
            if rows:
                self._update_many(JOBS, rows, where=JOBS.c.state == state.value)

    def _update_many(
        self,
        table: sa.Table,
        rows: Sequence[dict[str, Any]],
        *,
        add: bool = False,
        where: sa.ColumnElement[bool] | None = None,
    ) -> None:
        """``UPDATE table SET col = row[col]`` (with ``add``: ``col + row[col]``) for the
        row whose id is ``row["id"]``, for every row: one statement on PostgreSQL
        (``UPDATE ... FROM (VALUES ...)``, a chunk of rows each), one executemany on
        SQLite (in process: no round trips to save)."""
        cols = list(rows[0])
        if self._conn.dialect.name != "postgresql":
            binds = {c: sa.bindparam(f"v_{c}", type_=table.c[c].type) for c in cols}
            stmt = sa.update(table).where(table.c.id == binds["id"])
            stmt = stmt.values(_sets(table, binds, add))
            stmt = stmt if where is None else stmt.where(where)
            self._conn.execute(stmt, [{f"v_{c}": r[c] for c in cols} for r in rows])
            return
        self._conn.execute(_unnest_update(table, cols, add, where), _arrays(table, cols, rows))

    # -- heartbeat ------------------------------------------------------------------------
    def record_beat(self, beat: Beat) -> None:
        values = {f: getattr(beat, f) for f in Beat.__slots__}
        stmt = self._insert(BEATS).values(values)
        update = {k: v for k, v in values.items() if k != "name"}
        self._conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=update))

    def last_beat(self, name: str) -> Beat | None:
        row = self._conn.execute(sa.select(BEATS).where(BEATS.c.name == name)).first()
        if row is None:
            return None
        return Beat(**{f: getattr(row, f) for f in Beat.__slots__})


_PG: sa.Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]


@lru_cache(maxsize=64)
def _pg_type(table: sa.Table, col: str) -> str:
    return table.c[col].type.compile(dialect=_PG)


def _unnest_update(
    table: sa.Table, cols: list[str], add: bool, where: sa.ColumnElement[bool] | None
) -> sa.TextClause:
    """``UPDATE table SET ... FROM unnest(one array per column) AS v WHERE id = v.id``:
    one statement with one parameter per column however many rows (its text is cached,
    so it is compiled once)."""
    arrays = ", ".join(f"CAST(:{c} AS {_pg_type(table, c)}[])" for c in cols)
    names = ", ".join(cols)
    sets = ", ".join(f"{c} = {table.name}.{c} + v.{c}" if add else f"{c} = v.{c}"
                     for c in cols if c != "id")  # fmt: skip
    extra = ""
    if where is not None:
        literal = where.compile(dialect=_PG, compile_kwargs={"literal_binds": True})
        extra = f" AND {literal}"
    return sa.text(f"UPDATE {table.name} SET {sets} FROM unnest({arrays}) AS v({names}) "
                   f"WHERE {table.name}.id = v.id{extra}")  # fmt: skip


@lru_cache(maxsize=64)
def _unnest_insert(
    table: sa.Table, cols: tuple[str, ...], unique: tuple[str, ...], returning: tuple[str, ...]
) -> sa.TextClause:
    """``INSERT INTO table (cols) SELECT * FROM unnest(one array per column)``, with
    ``ON CONFLICT (unique) DO NOTHING`` and ``RETURNING`` where asked (cached text)."""
    arrays = ", ".join(f"CAST(:{c} AS {_pg_type(table, c)}[])" for c in cols)
    conflict = f" ON CONFLICT ({', '.join(unique)}) DO NOTHING" if unique else ""
    back = f" RETURNING {', '.join(returning)}" if returning else ""
    return sa.text(f"INSERT INTO {table.name} ({', '.join(cols)}) "
                   f"SELECT * FROM unnest({arrays}){conflict}{back}")  # fmt: skip


def _arrays(table: sa.Table, cols: list[str], rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One list per column, as psycopg sends it (JSON as text, cast by the statement)."""
    out: dict[str, Any] = {}
    for c in cols:
        values = [r[c] for r in rows]
        if isinstance(table.c[c].type, sa.JSON):
            values = [None if v is None else json.dumps(v) for v in values]
        out[c] = values
    return out


def _sets(table: sa.Table, values: dict[str, Any], add: bool) -> dict[str, Any]:
    return {c: table.c[c] + v if add else v for c, v in values.items() if c != "id"}


def _moved_row(row: Stored) -> dict[str, Any]:
    values: dict[str, Any] = {"id": row.id} | {col: getattr(row, col) for col in _MOVED}
    values["state"] = row.state.value
    devices = row.device_ids
    values["device_ids"] = None if devices is None else list(devices)
    values["reason_params"] = None if row.reason_params is None else dict(row.reason_params)
    return values
