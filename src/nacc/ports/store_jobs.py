"""Store port: jobs, projects' funds and the ledger (protocols and the views they return)."""

from __future__ import annotations

from typing import Protocol


class JobsRepo(Protocol):
    """(filled in as the area moves behind the port)"""


class ProjectsRepo(Protocol):
    """(filled in as the area moves behind the port)"""


class LedgerRepo(Protocol):
    """(filled in as the area moves behind the port)"""
