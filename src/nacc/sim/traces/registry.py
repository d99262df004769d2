"""Trace readers by format name. A plain table: importing it registers nothing anywhere."""

from __future__ import annotations

from pathlib import Path

from nacc.domain.errors import UnknownName
from nacc.sim.traces.base import Reader, ReadOptions, TraceRead
from nacc.sim.traces.gavel import read_gavel, read_gavel_legacy
from nacc.sim.traces.generic_csv import read_csv
from nacc.sim.traces.philly import read_philly

_READERS: dict[str, Reader] = {
    "philly": read_philly,
    "gavel": read_gavel,
    "gavel-legacy": read_gavel_legacy,
    "csv": read_csv,
}


def reader_names() -> list[str]:
    """The known trace formats, sorted."""
    return sorted(_READERS)


def get_reader(name: str) -> Reader:
    """The reader of format ``name``; an unknown name lists the known ones."""
    try:
        return _READERS[name]
    except KeyError:
        raise UnknownName("trace format", name, list(_READERS)) from None


def read_trace(path: Path, fmt: str, options: ReadOptions | None = None) -> TraceRead:
    """Read ``path`` as format ``fmt``."""
    return get_reader(fmt)(Path(path), options if options is not None else ReadOptions())
