"""Shared vocabulary of the trace readers: options, result, row errors, file access.

A reader turns one trace file into a sorted list of ``JobSpec``. Every reader:

* skips rows asking for zero accelerators and counts them;
* reports a malformed row as ``InputError("<file>:<line>", "column 'x': expected ..., got ...")``,
  or, with ``ReadOptions.skip_invalid``, skips and counts it;
* reads gzip-compressed files transparently (detected by their magic bytes);
* returns jobs sorted by submit time (stable), rebased so the first job submits at 0.0.
"""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import IO, NamedTuple, TypeVar

from nacc.domain.errors import InputError
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobClass, JobSpec

TIME_UNITS: dict[str, float] = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
_GZIP_MAGIC = b"\x1f\x8b"
Row = TypeVar("Row")


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read a trace. ``time_unit`` and ``column_map`` matter to the csv reader only."""

    time_unit: str = "s"
    column_map: Mapping[str, str] | None = None
    skip_invalid: bool = False
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.time_unit not in TIME_UNITS:
            known = ", ".join(TIME_UNITS)
            raise InputError("--time-unit", f"expected one of {known}, got {self.time_unit!r}")
        if self.limit is not None and self.limit < 0:
            raise InputError("--limit", f"expected a non-negative job count, got {self.limit}")


@dataclass(frozen=True, slots=True)
class TraceRead:
    """The jobs of one trace, with what was skipped and what the reader assumed."""

    jobs: list[JobSpec]
    skipped_zero_gpu: int
    skipped_invalid: int
    source: str
    assumptions: list[str]


Reader = Callable[[Path, ReadOptions], TraceRead]


class RowError(Exception):
    """One bad field of one row; the reader adds file and line."""

    def __init__(self, column: str | None, problem: str) -> None:
        super().__init__(problem if column is None else f"column {column!r}: {problem}")
        self.column = column


def file_stem(path: Path) -> str:
    """The name without ``.gz`` and its last suffix: ``ee9e8c.trace.gz`` -> ``ee9e8c``."""
    name = path.name
    if name.endswith(".gz"):
        name = name[:-3]
    return Path(name).stem or name


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as raw:
        return raw.read(2) == _GZIP_MAGIC


def _open(path: Path) -> IO[str]:
    try:
        if _is_gzip(path):
            return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
        return path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(str(path), f"cannot open the trace: {exc.strerror or exc}") from exc


def text_lines(path: Path) -> Iterator[str]:
    """Yield the file's lines (newline kept), unzipping gzip files; IO problems -> InputError."""
    line_no = 0
    with _open(path) as stream:
        try:
            for line in stream:
                line_no += 1
                yield line
        except UnicodeDecodeError as exc:
            where = f"{path}:{line_no + 1}"
            raise InputError(where, "expected UTF-8 text at or after this line") from exc
        except (OSError, EOFError) as exc:
            raise InputError(str(path), f"cannot read the trace: {exc}") from exc


def number(column: str, text: str) -> float:
    """A finite number, or a RowError naming the column."""
    try:
        value = float(text)
    except ValueError:
        raise RowError(column, f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise RowError(column, f"expected a finite number, got {text!r}")
    return value


def non_negative(column: str, text: str) -> float:
    """A finite number >= 0, or a RowError naming the column."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0.0):
        raise RowError(column, f"expected a non-negative number, got {text!r}")
    return value


def count(column: str, text: str) -> int:
    """A whole number >= 0 (``"2"`` or ``"2.0"``), or a RowError naming the column."""
    if text.isdecimal():
        return int(text)
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value.is_integer() and value >= 0):
        raise RowError(column, f"expected a non-negative whole number, got {text!r}")
    return int(value)


class RawJob(NamedTuple):
    """A job as read, before sorting; ``submit_s`` is still on the file's own clock."""

    id: JobId
    submit_s: float
    accelerators: int
    job_class: JobClass
    work: float
    project: str
    time_limit_s: float | None = None
    workload: str | None = None
    reference_type: str | None = None
    priority_weight: float = 1.0


@dataclass(slots=True)
class TraceBuilder:
    """Collects the jobs of one read and the counts of what was skipped."""

    path: Path
    options: ReadOptions
    assumptions: list[str]
    jobs: list[RawJob] = field(default_factory=list)
    skipped_zero_gpu: int = 0
    skipped_invalid: int = 0

    def bad_row(self, line_no: int, error: RowError) -> None:
        """Count the row when invalid rows are skipped, else raise an InputError."""
        if self.options.skip_invalid:
            self.skipped_invalid += 1
            return
        raise InputError(f"{self.path}:{line_no}", str(error)) from error

    def collect(
        self, rows: Iterable[tuple[int, Row]], make: Callable[[int, Row], RawJob | None]
    ) -> None:
        """Turn each (line, row) into a job; count zero-accelerator and bad rows."""
        for line_no, row in rows:
            try:
                job = make(line_no, row)
            except RowError as exc:
                self.bad_row(line_no, exc)
                continue
            if job is None:
                self.skipped_zero_gpu += 1
            else:
                self.jobs.append(job)

    def finish(self) -> TraceRead:
        """Sort by submit time (stable), apply the limit, rebase so the first job is at 0.0."""
        raw = sorted(self.jobs, key=itemgetter(1))
        if self.options.limit is not None:
            raw = raw[: self.options.limit]
        return TraceRead(
            jobs=to_specs(raw, raw[0].submit_s if raw else 0.0),
            skipped_zero_gpu=self.skipped_zero_gpu,
            skipped_invalid=self.skipped_invalid,
            source=str(self.path),
            assumptions=list(self.assumptions),
        )


def to_specs(raw: list[RawJob], origin: float) -> list[JobSpec]:
    """The jobs as ``JobSpec``, with ``origin`` subtracted from every submit time."""
    return [
        JobSpec(
            id=r.id,
            submit_s=r.submit_s - origin,
            accelerators=r.accelerators,
            job_class=r.job_class,
            work=r.work,
            project=r.project,
            time_limit_s=r.time_limit_s,
            workload=r.workload,
            reference_type=r.reference_type,
            priority_weight=r.priority_weight,
        )
        for r in raw
    ]


def no_jobs_error(path: Path, what: str) -> InputError:
    """The error for a file with nothing to read."""
    return InputError(str(path), f"the trace is empty: expected {what}")


def csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The non-blank CSV rows of the file with their line numbers; bad CSV -> InputError."""
    rows = csv.reader(text_lines(path))
    try:
        for row in rows:
            if len(row) > 1 or (row and row[0].strip()):
                yield rows.line_num, row
    except csv.Error as exc:
        raise InputError(f"{path}:{rows.line_num}", f"malformed CSV: {exc}") from exc


def csv_header(
    path: Path, rows: Iterator[tuple[int, list[str]]], what: str
) -> tuple[list[str], str]:
    """The first row, its cells stripped, and where it is ("file:line"); no rows -> InputError."""
    first = next(rows, None)
    if first is None:
        raise no_jobs_error(path, what)
    return [cell.strip() for cell in first[1]], f"{path}:{first[0]}"
