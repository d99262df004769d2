"""What every repository module shares: errors, pages, inserts that explain failures.

Repository functions take a ``Session`` and never commit; they ``flush`` so ids exist and
constraint violations surface at the call that caused them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nacc.domain.errors import InputError
from nacc.ports.pages import MAX_PAGE, Conflict, InvalidReference, Page, check_page

__all__ = ["MAX_PAGE", "Conflict", "InvalidReference", "Page", "check_page"]

T = TypeVar("T")


def fetch_page(
    session: Session, query: sa.Select[T], order: Sequence[Any], limit: int, offset: int
) -> Page[T]:
    """Run ``query`` ordered by ``order`` (which must end in a unique key) as one page."""
    check_page(limit, offset)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    items = session.scalars(query.order_by(*order).limit(limit).offset(offset)).all()
    return Page(items=items, total=int(total or 0), limit=limit, offset=offset)


def violation(error: IntegrityError) -> str:
    """Which kind of constraint failed: unique, foreign_key, check, not_null or other."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    by_state = {"23505": "unique", "23503": "foreign_key", "23514": "check", "23502": "not_null"}
    if sqlstate in by_state:
        return by_state[sqlstate]
    text = str(error.orig).upper()
    for marker, kind in (
        ("UNIQUE", "unique"),
        ("FOREIGN KEY", "foreign_key"),
        ("CHECK", "check"),
        ("NOT NULL", "not_null"),
    ):
        if marker in text:
            return kind
    return "other"


def insert(session: Session, row: T, what: str) -> T:
    """Add ``row`` and flush in a savepoint; a violated constraint becomes an error naming
    ``what`` and leaves the session's transaction usable."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as error:
        kind = violation(error)
        if kind == "unique":
            raise Conflict(what, "already exists") from error
        if kind == "foreign_key":
            raise InvalidReference(what, "refers to something that does not exist") from error
        raise InputError(what, f"violates a {kind} constraint: {error.orig}") from error
    return row


def insert_ignore(
    session: Session, model: type[Any], values: dict[str, Any], conflict_on: Sequence[str]
) -> bool:
    """``INSERT ... ON CONFLICT (conflict_on) DO NOTHING``; True where a row was written.

    Both backends support the clause, so a racing duplicate is a no-op, never an error.
    """
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = model.__table__
    stmt = (
        module.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict_on)
        .returning(*table.primary_key.columns)
    )
    return session.execute(stmt).first() is not None
