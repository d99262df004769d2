"""What every use case needs: a transaction and the time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """Built once at start-up (``nacc.bootstrap``) and passed down; no globals."""

    sessions: sessionmaker[Session]
    clock: Callable[[], datetime] = utcnow
    workdir: Path = field(default_factory=lambda: Path("out/jobs"))

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on error, so a
        refused request changes nothing."""
        with self.sessions.begin() as session:
            yield session
