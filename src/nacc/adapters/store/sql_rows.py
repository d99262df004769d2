"""Many rows in one PostgreSQL statement with one parameter: the rows as one JSON text.

``INSERT ... SELECT ... FROM json_to_recordset(:rows)`` and ``UPDATE ... FROM
json_to_recordset(:rows)`` send a tick's rows as a single JSON array of objects, encoded
by the standard library's C encoder and parsed by the server. Before, each column was an
array parameter (``unnest``): psycopg dumps a list element by element in Python (an
escaping regex per text value, a ``json.dumps`` per JSON value), which cost more than the
server took to run the statement (cProfile of a 2,000-job drain: 5 s of 29 s in array
dumping and JSON encoding, against well under 1 s here).

Values in the JSON: datetimes as ISO 8601 text with their offset (a naive one is refused,
as ``types.UTCDateTime`` does), decimals as their exact text (the server reads the text
into the column's type: no float on the way), JSON columns as nested JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

_PG: sa.Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]


@lru_cache(maxsize=128)
def pg_type(table: sa.Table, col: str) -> str:
    """The column's type as PostgreSQL spells it (``JSONB``, ``NUMERIC(24, 9)``, ...)."""
    return table.c[col].type.compile(dialect=_PG)


def _encode(value: object) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: pass an aware (UTC) datetime")
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as a JSON row value")


def rows_json(cols: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    """The rows' ``cols`` as one JSON array of objects (see the module docstring)."""
    return json.dumps([{c: r[c] for c in cols} for r in rows], default=_encode,
                      separators=(",", ":"))  # fmt: skip


def _recordset(table: sa.Table, cols: Sequence[str]) -> str:
    defs = ", ".join(f"{c} {pg_type(table, c)}" for c in cols)
    return f"json_to_recordset(CAST(:rows AS json)) AS v({defs})"


@lru_cache(maxsize=64)
def json_insert(
    table: sa.Table, cols: tuple[str, ...], unique: tuple[str, ...], returning: tuple[str, ...]
) -> sa.TextClause:
    """``INSERT INTO table (cols) SELECT cols FROM json_to_recordset(:rows)``, with
    ``ON CONFLICT (unique) DO NOTHING`` and ``RETURNING`` where asked (text cached)."""
    names = ", ".join(cols)
    conflict = f" ON CONFLICT ({', '.join(unique)}) DO NOTHING" if unique else ""
    back = f" RETURNING {', '.join(returning)}" if returning else ""
    return sa.text(f"INSERT INTO {table.name} ({names}) SELECT {names} "
                   f"FROM {_recordset(table, cols)}{conflict}{back}")  # fmt: skip


@lru_cache(maxsize=64)
def json_update(
    table: sa.Table, cols: tuple[str, ...], add: bool, keep: frozenset[str], where: str
) -> sa.TextClause:
    """``UPDATE table SET col = v.col ... FROM json_to_recordset(:rows) AS v WHERE
    table.id = v.id``: with ``add``, ``col = table.col + v.col``; a column in ``keep``
    keeps its value where the row's is null (``COALESCE(v.col, table.col)``); ``where``
    (SQL text) narrows the rows updated. Text cached: compiled once."""
    t = table.name

    def value(c: str) -> str:
        if add:
            return f"{t}.{c} + v.{c}"
        return f"COALESCE(v.{c}, {t}.{c})" if c in keep else f"v.{c}"

    sets = ", ".join(f"{c} = {value(c)}" for c in cols if c != "id")
    extra = f" AND {where}" if where else ""
    return sa.text(f"UPDATE {t} SET {sets} FROM {_recordset(table, cols)} "
                   f"WHERE {t}.id = v.id{extra}")  # fmt: skip


def _defs(table: sa.Table, cols: Sequence[str]) -> str:
    return ", ".join(f"{c} {pg_type(table, c)}" for c in cols)


@lru_cache(maxsize=4)
def json_post(entries: sa.Table, legs: sa.Table, usage: sa.Table) -> sa.TextClause:
    """One statement for a tick's charges: insert the entries whose cause is new, and for
    those only their legs and metered intervals; returns the new entries' causes. One
    ``:rows`` parameter, a JSON array of charges, each with its ``legs`` as an array (the
    legs' foreign key to their entry is checked at the end of the statement, when the
    entries are in)."""
    e_cols = ("cause", "at", "memo", "kind", "job_id")
    u_cols = ("start_at", "end_at", "accelerator_type", "count", "credits")
    defs = f"{_defs(entries, e_cols)}, {_defs(usage, u_cols)}, legs json"
    leg_defs = _defs(legs, ("account_key", "amount"))
    names, u_names = ", ".join(e_cols), ", ".join(u_cols)
    u_values = ", ".join(f"v.{c}" for c in u_cols)
    return sa.text(
        f"WITH v AS (SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS v({defs})), "
        f"e AS (INSERT INTO {entries.name} ({names}) SELECT {names} FROM v "
        f"ON CONFLICT (cause) DO NOTHING RETURNING id, cause), "
        f"l AS (INSERT INTO {legs.name} (entry_id, account_key, amount) "
        f"SELECT e.id, g.account_key, g.amount FROM e JOIN v ON v.cause = e.cause "
        f"CROSS JOIN LATERAL json_to_recordset(v.legs) AS g({leg_defs})), "
        f"u AS (INSERT INTO {usage.name} (job_id, {u_names}) "
        f"SELECT v.job_id, {u_values} FROM e JOIN v ON v.cause = e.cause "
        f"ON CONFLICT (job_id, start_at) DO NOTHING) "
        f"SELECT cause FROM e"
    )


@lru_cache(maxsize=4)
def json_open_accounts(accounts: sa.Table) -> sa.TextClause:
    """Open the accounts of ``:rows`` that do not exist and lock those that do (in key
    order), in one statement: the ones opened now are this transaction's own until it
    commits, so only the others need the lock."""
    cols = ("key", "kind", "overdraft")
    names = ", ".join(cols)
    return sa.text(
        f"WITH v AS (SELECT * FROM json_to_recordset(CAST(:rows AS json)) "
        f"AS v({_defs(accounts, cols)})), "
        f"opened AS (INSERT INTO {accounts.name} ({names}) SELECT {names} FROM v "
        f"ON CONFLICT (key) DO NOTHING) "
        f"SELECT a.key FROM {accounts.name} a JOIN v ON v.key = a.key ORDER BY a.key "
        f"FOR UPDATE OF a"
    )
