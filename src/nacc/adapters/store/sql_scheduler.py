"""SQL repositories of the store port: nacc.ports.store_scheduler."""

from __future__ import annotations

from sqlalchemy.orm import Session


class SqlScheduler:
    def __init__(self, session: Session) -> None:
        self.session = session
