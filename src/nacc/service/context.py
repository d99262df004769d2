"""What every use case needs: a transaction and the time."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from nacc.domain.errors import NotFound
from nacc.ports.notify import Sender
from nacc.ports.store import Store, UnitOfWork

T = TypeVar("T")


def found(row: T | None, kind: str, ident: object) -> T:
    """``row``, or ``NotFound`` naming what was looked for (one helper for every lookup)."""
    if row is None:
        raise NotFound(kind, ident)
    return row


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """Built once at start-up (``nacc.bootstrap``) and passed down; no globals."""

    sessions: Any  # the SQL store's session factory (bootstrap's, for live.py); going away
    clock: Callable[[], datetime] = utcnow
    workdir: Path = field(default_factory=lambda: Path("out/jobs"))
    on_roles_changed: list[Callable[[], None]] = field(default_factory=list)
    store: Store | None = None  # the store port (bootstrap builds it); ``tx`` is going away
    senders: Mapping[str, Sender] = field(default_factory=dict)  # notice channels by name

    def __post_init__(self) -> None:
        if self.store is not None:
            self.store.after_roles_changed(self._roles_changed)

    def _roles_changed(self) -> None:
        for hook in self.on_roles_changed:
            hook()

    def auth_generation(self) -> int:
        """The store's revocation generation (``Store.auth_generation``)."""
        assert self.store is not None, "Services built without a store"
        return self.store.auth_generation()

    def unit(self) -> AbstractContextManager[UnitOfWork]:
        """One transaction through the store port (committed at the end of the block,
        rolled back on error)."""
        assert self.store is not None, "Services built without a store"
        return self.store.unit()

    def snapshot(self) -> AbstractContextManager[UnitOfWork]:
        """One consistent read-only view through the store port."""
        assert self.store is not None, "Services built without a store"
        return self.store.snapshot()

    @contextmanager
    def tx(self) -> Iterator[Any]:
        """(going away: only ``service.live`` still uses it) The SQL session of one unit
        of work: committed when the block ends, rolled back on error."""
        with self.unit() as uow:
            yield getattr(uow, "session")  # noqa: B009 - SQL units only
