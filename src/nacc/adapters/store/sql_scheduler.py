"""SQL repositories of the store port: nacc.ports.store_scheduler.

Every read is one statement (two for ``queued``: ids, then the rows not yet known), and
``write`` is a fixed handful whatever the number of jobs in the tick. On PostgreSQL each
is one statement with one parameter, however many rows: the rows as one JSON text
(``INSERT ... SELECT ... FROM json_to_recordset(...) [ON CONFLICT DO NOTHING]
[RETURNING]``, ``UPDATE ... FROM json_to_recordset(...)``, ``id IN (SELECT
json_array_elements_text(...))``; ``sql_rows``): a parameter per value (multi-row
``VALUES``), or an array per column, cost more to build and convert, client side, than
the server took to run the statement. The lock reads only what the tick's rules need
(state, reservation, start); the other columns a move sets keep their stored value where
the move gives none (``COALESCE``). On SQLite (in process: no round trips to save) they
are executemany statements:

1. lock the touched job rows (``SELECT ... FOR UPDATE`` in id order on PostgreSQL;
   SQLite transactions are serial) and read what the tick changes;
2. with charges: open missing accounts, lock the accounts charged (as every posting
   does, so a floor check elsewhere is not overtaken), insert the entries (those whose
   cause is new come back), their legs and their metered intervals (on PostgreSQL two
   statements: accounts opened and locked in one, the rest in one data-modifying
   ``WITH``);
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
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nacc.adapters.store.scheduler_batch import Stored, TickPlan, legs_problem, plan_tick, touched
from nacc.adapters.store.sql_rows import (
    json_insert,
    json_open_accounts,
    json_post,
    json_update,
    rows_json,
)
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
_LIVE = (JobState.PENDING.value, JobState.RUNNING.value)
_QUEUED_COLS = (
    JOBS.c.id, JOBS.c.project_id, JOBS.c.submitted_at, JOBS.c.command, JOBS.c.image,
    JOBS.c.accelerators, JOBS.c.accelerator_types, JOBS.c.job_class, JOBS.c.time_limit_s,
    JOBS.c.gang, JOBS.c.state, JOBS.c.pool_id, JOBS.c.started_at,
)  # fmt: skip
# What the tick's rules read of a job (``scheduler_batch``); the other columns a move
# sets are written with "keep the stored value where the move gives none" (``_KEPT``), as
# ``scheduler_batch._applied`` does, so they need not be read (nor their JSON parsed).
_STORED_COLS = (JOBS.c.id, JOBS.c.project_id, JOBS.c.state, JOBS.c.reserved_credits,
                JOBS.c.started_at)  # fmt: skip
_MOVED = (
    "state", "reason", "reason_code", "reason_params", "pool_id", "device_ids", "exit_code",
    "started_at", "finished_at", "log_path", "reserved_credits",
)  # fmt: skip
_KEPT = frozenset({"pool_id", "device_ids", "exit_code", "started_at", "finished_at",
                   "log_path"})  # fmt: skip


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
    """The columns the tick's rules read; the others stay unset (see ``_KEPT``)."""
    return Stored(id=row.id, project_id=row.project_id, state=JobState(row.state),
                  reserved_credits=row.reserved_credits, started_at=row.started_at)  # fmt: skip


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
        ids = [i for i in self._ids(where) if i not in known]
        found: list[QueuedJob] = []
        for chunk in _chunks(ids):
            stmt = sa.select(*_QUEUED_COLS).where(JOBS.c.id.in_(chunk))
            found.extend(_queued(row) for row in self._conn.execute(stmt).all())
        found.sort(key=lambda j: (j.submitted_at, j.id))
        return found

    def _ids(self, where: sa.ColumnElement[bool]) -> list[str]:
        """The ids of the jobs ``where`` holds for: on PostgreSQL as one JSON array in one
        row (thousands of ids each tick while a long queue is young; one row each cost
        more to fetch than the server took to find them)."""
        if self._conn.dialect.name != "postgresql":
            return list(self._conn.scalars(sa.select(JOBS.c.id).where(where)).all())
        agg = sa.func.coalesce(sa.func.json_agg(JOBS.c.id), sa.text("'[]'::json"))
        found = self._conn.scalar(sa.select(agg).where(where))
        return list(found or [])

    def cancel_requests(self) -> list[str]:
        stmt = sa.select(JOBS.c.id).where(
            JOBS.c.state.in_(_LIVE), JOBS.c.cancel_requested_at.is_not(None)
        )
        return list(self._conn.scalars(stmt.order_by(JOBS.c.id)).all())

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
        return [_queued(row, row.metered_until) for row in self._conn.execute(stmt).all()]

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
            where = JOBS.c.id.in_(sa.select(_json_elements(chunk))) if pg \
                else JOBS.c.id.in_(chunk)  # fmt: skip
            stmt = sa.select(*_STORED_COLS).where(where).order_by(JOBS.c.id)
            rows = self._conn.execute(stmt.with_for_update(of=JOBS)).all()
            found.update((r.id, _stored(r)) for r in rows)
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
            cols = tuple(rows[0])
            stmt = json_insert(table, cols, tuple(unique), tuple(returning))
            return self._conn.execute(stmt, {"rows": rows_json(cols, rows)})
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
        if self._conn.dialect.name == "postgresql":
            posted = json_post(ENTRIES, LEGS, USAGE)
            return set(self._conn.scalars(posted, {"rows": _charges_json(charges)}).all())
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
        if self._conn.dialect.name == "postgresql":
            cols = ("key", "kind", "overdraft")
            self._conn.execute(json_open_accounts(ACCOUNTS), {"rows": rows_json(cols, rows)})
            return
        self._insert_rows(ACCOUNTS, rows, ["key"])
        lock = sa.select(ACCOUNTS.c.key).where(ACCOUNTS.c.key.in_(sorted(wanted)))
        self._conn.execute(lock.order_by(ACCOUNTS.c.key).with_for_update())

    def _apply(self, plan: TickPlan) -> None:
        if plan.moved:
            self._update_many(JOBS, [_moved_row(row) for row in plan.moved.values()], keep=_KEPT)
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
        keep: frozenset[str] = frozenset(),
        where: sa.ColumnElement[bool] | None = None,
    ) -> None:
        """``UPDATE table SET col = row[col]`` (with ``add``: ``col + row[col]``; a column
        in ``keep`` keeps its value where the row's is None) for the row whose id is
        ``row["id"]``, for every row: one statement on PostgreSQL (the rows as one JSON
        parameter, ``sql_rows``), one executemany on SQLite (in process: no round trips
        to save)."""
        cols = list(rows[0])
        if self._conn.dialect.name != "postgresql":
            binds = {c: sa.bindparam(f"v_{c}", type_=_bind_type(table.c[c])) for c in cols}
            stmt = sa.update(table).where(table.c.id == binds["id"])
            stmt = stmt.values(_sets(table, binds, add, keep))
            stmt = stmt if where is None else stmt.where(where)
            self._conn.execute(stmt, [{f"v_{c}": r[c] for c in cols} for r in rows])
            return
        literal = {"literal_binds": True}
        extra = "" if where is None else str(where.compile(self._conn, compile_kwargs=literal))
        sql = json_update(table, tuple(cols), add, keep, extra)
        self._conn.execute(sql, {"rows": rows_json(cols, rows)})

    # -- heartbeat ------------------------------------------------------------------------
    def record_beat(self, beat: Beat) -> None:
        values = beat.row()
        stmt = self._insert(BEATS).values(values)
        update = {k: v for k, v in values.items() if k != "name"}
        self._conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=update))

    def last_beat(self, name: str) -> Beat | None:
        row = self._conn.execute(sa.select(BEATS).where(BEATS.c.name == name)).first()
        if row is None:
            return None
        return Beat.of_row(row)


def _bind_type(col: sa.Column[Any]) -> Any:
    """A column's type for a bound value; a JSON column binds None as SQL NULL (not the
    JSON text ``null``), so ``COALESCE`` keeps the stored value where a move gives none."""
    if isinstance(col.type, sa.JSON):
        return sa.JSON(none_as_null=True)
    return col.type


def _charges_json(charges: Sequence[Charge]) -> str:
    """The charges as ``sql_rows.json_post`` reads them."""
    rows = [{"cause": c.cause, "at": c.at, "memo": c.memo, "kind": "usage", "job_id": c.job_id,
             "start_at": c.start_at, "end_at": c.end_at, "accelerator_type": c.accelerator_type,
             "count": c.count, "credits": c.credits,
             "legs": [{"account_key": leg.account, "amount": leg.amount} for leg in c.legs]}
            for c in charges]  # fmt: skip
    return rows_json(tuple(rows[0]), rows)


def _json_elements(items: Sequence[str]) -> sa.ColumnElement[str]:
    """``json_array_elements_text(CAST(:ids AS json))``: many ids as one text parameter."""
    ids = sa.bindparam("ids", json.dumps(list(items)), type_=sa.Text)
    return sa.func.json_array_elements_text(sa.cast(ids, postgresql.JSON))


def _sets(
    table: sa.Table, values: dict[str, Any], add: bool, keep: frozenset[str]
) -> dict[str, Any]:
    def value(c: str, v: Any) -> Any:
        if add:
            return table.c[c] + v
        return sa.func.coalesce(v, table.c[c]) if c in keep else v

    return {c: value(c, v) for c, v in values.items() if c != "id"}


def _moved_row(row: Stored) -> dict[str, Any]:
    values: dict[str, Any] = {"id": row.id} | {col: getattr(row, col) for col in _MOVED}
    values["state"] = row.state.value
    devices = row.device_ids
    values["device_ids"] = None if devices is None else list(devices)
    values["reason_params"] = None if row.reason_params is None else dict(row.reason_params)
    return values
