"""What every repository of the store port shares: pages of lists and the errors of writes.

Both store implementations (SQL and in memory) raise these, so service code catches one
type whatever the backend (``nacc.adapters.store.repos`` re-exports them for the SQL side).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from nacc.domain.errors import InputError
from nacc.domain.reasons import Code

T = TypeVar("T")

MAX_PAGE = 1000


class Conflict(InputError):
    """A row would duplicate a unique value (an e-mail, a name, a review)."""

    code = Code.ALREADY_EXISTS


class InvalidReference(InputError):
    """A row refers to something that does not exist (foreign key)."""

    code = Code.INVALID_REFERENCE


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, with the total count for the client to page on."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int


def check_page(limit: int, offset: int) -> None:
    """Refuse page sizes and offsets the store will not serve."""
    if not 1 <= limit <= MAX_PAGE:
        raise InputError("limit", f"must be between 1 and {MAX_PAGE}, got {limit}")
    if offset < 0:
        raise InputError("offset", f"must be 0 or more, got {offset}")


def page_of(items: Sequence[T], limit: int, offset: int) -> Page[T]:
    """One page cut from ``items`` (already in order), for stores that hold lists."""
    check_page(limit, offset)
    return Page(items=list(items[offset : offset + limit]), total=len(items), limit=limit,
                offset=offset)  # fmt: skip
