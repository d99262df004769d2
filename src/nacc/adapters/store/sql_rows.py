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
