"""Trace readers: real job traces (Philly, Gavel, any CSV) as sorted ``JobSpec`` lists.

``read_trace(path, fmt, options)`` picks the reader registered under ``fmt``; see
``docs/traces.md`` for each format and every assumption the readers make.
"""

from __future__ import annotations

from nacc.sim.traces.base import Reader, ReadOptions, TraceRead
from nacc.sim.traces.generic_csv import parse_column_map
from nacc.sim.traces.registry import get_reader, read_trace, reader_names

__all__ = [
    "ReadOptions",
    "Reader",
    "TraceRead",
    "get_reader",
    "parse_column_map",
    "read_trace",
    "reader_names",
]
