"""SQL repositories of the store port: nacc.ports.store_jobs."""

from __future__ import annotations

from sqlalchemy.orm import Session


class SqlJobs:
    def __init__(self, session: Session) -> None:
        self.session = session


class SqlProjects:
    def __init__(self, session: Session) -> None:
        self.session = session


class SqlLedger:
    def __init__(self, session: Session) -> None:
        self.session = session
