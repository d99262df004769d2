"""SQL repositories of the store port: nacc.ports.store_people."""

from __future__ import annotations

from sqlalchemy.orm import Session


class SqlPeople:
    def __init__(self, session: Session) -> None:
        self.session = session


class SqlPrograms:
    def __init__(self, session: Session) -> None:
        self.session = session
