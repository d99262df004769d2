"""Reader for any CSV job trace with a header, given a column map.

The map names the columns: ``submit``, ``gpus`` and either ``duration`` or ``start`` and
``end`` are required; ``project`` and ``class`` are optional. Times are numbers in
``ReadOptions.time_unit`` or ISO-8601 timestamps; durations are numbers in that unit.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nacc.domain.errors import InputError
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobClass
from nacc.sim.traces.base import (
    TIME_UNITS,
    RawJob,
    ReadOptions,
    RowError,
    TraceBuilder,
    TraceRead,
    count,
    csv_header,
    csv_rows,
    file_stem,
)

MAP_KEYS = ("submit", "duration", "start", "end", "gpus", "project", "class")
MAP_FLAG = "--column-map"
MAP_FORM = (
    "KEY=COLUMN[,KEY=COLUMN...] with keys submit, gpus, and duration or start+end; "
    "optional project, class (e.g. 'submit=submit_time,duration=run_s,gpus=num_gpus')"
)
DEFAULT_CLASS = JobClass.FINETUNE
REFERENCE_TYPE = "H100-SXM"
_CLASSES = {cls.value: cls for cls in JobClass}


def parse_column_map(text: str) -> dict[str, str]:
    """``"submit=a,duration=b"`` -> ``{"submit": "a", "duration": "b"}``; bad text -> InputError."""
    mapping: dict[str, str] = {}
    for item in text.split(","):
        key, sep, column = (part.strip() for part in item.partition("="))
        if not sep or not key or not column:
            raise InputError(MAP_FLAG, f"expected {MAP_FORM}; got {text!r}")
        if key not in MAP_KEYS:
            raise InputError(MAP_FLAG, f"unknown key {key!r}; known: {', '.join(MAP_KEYS)}")
        if key in mapping:
            raise InputError(MAP_FLAG, f"key {key!r} is given twice in {text!r}")
        mapping[key] = column
    return mapping


def check_column_map(mapping: Mapping[str, str] | None) -> dict[str, str]:
    """The map as a dict, if it names every required column; else InputError."""
    if not mapping:
        raise InputError(MAP_FLAG, f"the csv format needs a column map: {MAP_FORM}")
    unknown = sorted(set(mapping) - set(MAP_KEYS))
    if unknown:
        raise InputError(
            MAP_FLAG, f"unknown key(s) {', '.join(unknown)}; known: {', '.join(MAP_KEYS)}"
        )
    missing = [key for key in ("submit", "gpus") if key not in mapping]
    has_span = "start" in mapping or "end" in mapping
    if "duration" in mapping and has_span:
        raise InputError(MAP_FLAG, "give either duration or start+end, not both")
    if "duration" not in mapping and not ("start" in mapping and "end" in mapping):
        missing.append("duration (or start and end)")
    if missing:
        raise InputError(MAP_FLAG, f"missing key(s) {', '.join(missing)}; expected {MAP_FORM}")
    return dict(mapping)


def _positions(where: str, header: list[str], mapping: dict[str, str]) -> dict[str, int]:
    absent = [column for column in mapping.values() if column not in header]
    if absent:
        raise InputError(
            where,
            f"the column map names column(s) {', '.join(map(repr, absent))} not in the header; "
            f"header columns: {', '.join(header)}",
        )
    return {key: header.index(column) for key, column in mapping.items()}


def _number_or_none(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class _Fields:
    """Column names and positions and the time unit of one read."""

    names: dict[str, str]
    pos: dict[str, int]
    factor: float
    unit: str
    default_project: str

    def error(self, key: str, expected: str, text: str) -> RowError:
        """A RowError naming the header column (and its role when the names differ)."""
        name = self.names[key]
        role = "" if name == key else f" ({key})"
        return RowError(name, f"expected {expected}{role}, got {text!r}")

    def time(self, key: str, row: list[str]) -> float:
        """A time: a number in the unit, or an ISO timestamp (naive = UTC), in seconds."""
        text = row[self.pos[key]].strip()
        value = _number_or_none(text)
        if value is not None:
            return value * self.factor
        try:
            stamp = datetime.fromisoformat(text)
        except ValueError:
            raise self.error(key, f"a number in {self.unit} or an ISO timestamp", text) from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        return stamp.timestamp()

    def duration(self, row: list[str]) -> float:
        """Run time in seconds: the duration column, or end - start."""
        if "duration" in self.pos:
            text = row[self.pos["duration"]].strip()
            value = _number_or_none(text)
            if value is None or value < 0.0:
                raise self.error("duration", f"a non-negative number in {self.unit}", text)
            return value * self.factor
        start, end = self.time("start", row), self.time("end", row)
        if end < start:
            raise self.error("end", "a time >= start", row[self.pos["end"]].strip())
        return end - start

    def gpus(self, row: list[str]) -> int:
        text = row[self.pos["gpus"]].strip()
        try:
            return count(self.names["gpus"], text)
        except RowError:
            raise self.error("gpus", "a non-negative whole number", text) from None

    def job_class(self, row: list[str]) -> JobClass:
        if "class" not in self.pos:
            return DEFAULT_CLASS
        text = row[self.pos["class"]].strip()
        if not text:
            return DEFAULT_CLASS
        cls = _CLASSES.get(text.lower())
        if cls is None:
            raise self.error("class", f"one of {', '.join(_CLASSES)}", text)
        return cls

    def project(self, row: list[str]) -> str:
        if "project" not in self.pos:
            return self.default_project
        return row[self.pos["project"]].strip() or self.default_project


def _job(row: list[str], fields: _Fields, job_id: JobId) -> RawJob | None:
    submit = fields.time("submit", row)
    duration = fields.duration(row)
    gpus = fields.gpus(row)
    job_class = fields.job_class(row)
    project = fields.project(row)
    if gpus == 0:
        return None
    return RawJob(
        id=job_id,
        submit_s=submit,
        accelerators=gpus,
        job_class=job_class,
        work=duration,
        project=project,
        reference_type=REFERENCE_TYPE,
    )


def _assumptions(mapping: dict[str, str], options: ReadOptions, stem: str) -> list[str]:
    notes = [
        f"numeric times and durations are in {options.time_unit}; text times are ISO-8601 "
        "(naive = UTC); submit times are relative to the earliest job",
        f"durations are run times on {REFERENCE_TYPE} (the credit's reference hardware); "
        "work = duration in seconds",
        "time limit: none (the format has no limit column)",
    ]
    if "start" in mapping:
        notes.append("duration = end - start")
    if "class" not in mapping:
        notes.append(f"job class: no class column, every job is {DEFAULT_CLASS.value}")
    else:
        notes.append(f"job class: empty cells are {DEFAULT_CLASS.value}")
    where = "no project column" if "project" not in mapping else "empty project cells"
    notes.append(f"project: {where} -> the file stem {stem!r}")
    return notes


def _setup(
    path: Path, options: ReadOptions, rows: Iterator[tuple[int, list[str]]]
) -> tuple[_Fields, int, list[str]]:
    mapping = check_column_map(options.column_map)
    header, where = csv_header(path, rows, "a header line naming the columns")
    stem = file_stem(path)
    fields = _Fields(
        names=mapping,
        pos=_positions(where, header, mapping),
        factor=TIME_UNITS[options.time_unit],
        unit=options.time_unit,
        default_project=stem,
    )
    return fields, len(header), _assumptions(mapping, options, stem)


def read_csv(path: Path, options: ReadOptions) -> TraceRead:
    """Read a CSV trace through ``options.column_map``."""
    rows = csv_rows(path)
    fields, width, assumptions = _setup(path, options, rows)
    build = TraceBuilder(path, options, assumptions)
    stem = fields.default_project

    def make(line_no: int, row: list[str]) -> RawJob | None:
        if len(row) != width:
            raise RowError(None, f"expected {width} comma-separated fields, got {len(row)}")
        return _job(row, fields, JobId(f"{stem}:{line_no}"))

    build.collect(rows, make)
    return build.finish()
