"""Store port: people, organisations, tokens, programs, calls, proposals, awards."""

from __future__ import annotations

from typing import Protocol


class PeopleRepo(Protocol):
    """(filled in as the area moves behind the port)"""


class ProgramsRepo(Protocol):
    """(filled in as the area moves behind the port)"""
