"""In-memory repositories of the store port: nacc.ports.store_people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nacc.adapters.store.memory import Tables


@dataclass
class PeopleTables:
    """The rows of this area (filled in as the area moves behind the port)."""


class MemPeople:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables


class MemPrograms:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables


class MemAwards:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables
