"""Readers for Gavel's tab-separated job traces (stanford-futuredata/gavel).

Two layouts, one job per line, no header:

* ``gavel`` (10 fields, ``scheduler/utils.py::parse_trace``): job_type, command,
  working_directory, num_steps_arg, needs_data_dir, total_steps, scale_factor,
  priority_weight, SLO (-1 = none), arrival_time (s);
* ``gavel-legacy`` (7 fields, the 2019 ``msr`` traces): job_type, command, num_steps_arg,
  needs_data_dir, total_steps, arrival_time (s), scale_factor.

``work`` is ``total_steps`` of the named Gavel job type, whose throughput (steps/s) the
catalog measures, so ``reference_type`` stays ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nacc.catalog.throughput import gavel_workloads, workload_class
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobClass
from nacc.sim.traces.base import (
    RawJob,
    ReadOptions,
    RowError,
    TraceBuilder,
    TraceRead,
    count,
    file_stem,
    no_jobs_error,
    non_negative,
    number,
    text_lines,
)


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each field sits in one of the two Gavel layouts."""

    name: str
    width: int
    needs_data_dir: int
    total_steps: int
    scale_factor: int
    arrival_time: int
    priority_weight: int | None
    slo: int | None
    other: str  # the other format's name, for a hint on a wrong field count


CURRENT = _Layout("gavel", 10, 4, 5, 6, 9, 7, 8, "gavel-legacy")
LEGACY = _Layout("gavel-legacy", 7, 3, 4, 6, 5, None, None, "gavel")
_WIDTH_TO_NAME = {CURRENT.width: CURRENT.name, LEGACY.width: LEGACY.name}

_COMMON_ASSUMPTIONS = [
    "work = total_steps of the Gavel job type (its throughput in steps/s is measured per "
    "accelerator in the catalog); reference_type is None",
    "job class = the catalog's class of the Gavel job type",
    "time limit: none (Gavel traces have no requested limit)",
    "arrival times are seconds; submit times are relative to the earliest job",
]
CURRENT_ASSUMPTIONS = [
    *_COMMON_ASSUMPTIONS,
    "project = the job type's model family (e.g. 'ResNet-50' for 'ResNet-50 (batch size 64)'),"
    " because Gavel traces name no user or group",
    "SLO is read and validated but not used (JobSpec has no deadline)",
]
LEGACY_ASSUMPTIONS = [
    *_COMMON_ASSUMPTIONS,
    "project = the file stem (the msr traces are one file per Philly virtual cluster)",
    "priority_weight = 1.0 (the legacy format has none)",
]


@dataclass(frozen=True, slots=True)
class _Catalog:
    """The catalog facts the readers need, looked up once per read."""

    workloads: frozenset[str]
    workload_class: Callable[[str], JobClass | None]


def _catalog() -> _Catalog:
    return _Catalog(frozenset(gavel_workloads()), workload_class)


def model_family(job_type: str) -> str:
    """``'ResNet-50 (batch size 64)'`` -> ``'ResNet-50'``; ``'A3C'`` -> ``'A3C'``."""
    return job_type.split(" (", 1)[0].strip() or job_type


def _fields(line: str, layout: _Layout) -> list[str]:
    fields = line.rstrip("\r\n").split("\t")
    if len(fields) != layout.width:
        hint = ""
        if _WIDTH_TO_NAME.get(len(fields)) == layout.other:
            hint = f" (this looks like the {layout.other!r} format)"
        raise RowError(
            None, f"expected {layout.width} tab-separated fields, got {len(fields)}{hint}"
        )
    return fields


def _job_class(job_type: str, catalog: _Catalog) -> JobClass:
    if job_type not in catalog.workloads:
        known = "; ".join(sorted(catalog.workloads))
        raise RowError("job_type", f"{job_type!r} is not a known Gavel job type; known: {known}")
    job_class = catalog.workload_class(job_type)
    if job_class is None:
        raise RowError("job_type", f"the catalog has no job class for {job_type!r}")
    return job_class


def _priority(fields: list[str], layout: _Layout) -> float:
    if layout.priority_weight is None:
        return 1.0
    text = fields[layout.priority_weight]
    weight = number("priority_weight", text)
    if weight <= 0.0:
        raise RowError("priority_weight", f"expected a positive number, got {text!r}")
    return weight


def _check_flags(fields: list[str], layout: _Layout) -> None:
    if fields[layout.needs_data_dir] not in ("0", "1"):
        got = fields[layout.needs_data_dir]
        raise RowError("needs_data_dir", f"expected 0 or 1, got {got!r}")
    if layout.slo is not None:
        number("SLO", fields[layout.slo])


def _job(
    fields: list[str], layout: _Layout, job_id: JobId, project: str | None, catalog: _Catalog
) -> RawJob | None:
    job_type = fields[0]
    job_class = _job_class(job_type, catalog)
    _check_flags(fields, layout)
    steps = non_negative("total_steps", fields[layout.total_steps])
    gpus = count("scale_factor", fields[layout.scale_factor])
    arrival = non_negative("arrival_time", fields[layout.arrival_time])
    weight = _priority(fields, layout)
    if gpus == 0:
        return None
    return RawJob(
        id=job_id,
        submit_s=arrival,
        accelerators=gpus,
        job_class=job_class,
        work=steps,
        project=project if project is not None else model_family(job_type),
        workload=job_type,
        priority_weight=weight,
    )


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    for line_no, line in enumerate(text_lines(path), start=1):
        if line.strip():
            yield line_no, line


def _read(path: Path, options: ReadOptions, layout: _Layout, assumptions: list[str]) -> TraceRead:
    build = TraceBuilder(path, options, list(assumptions))
    catalog = _catalog()
    stem = file_stem(path)
    project = stem if layout is LEGACY else None

    def make(line_no: int, line: str) -> RawJob | None:
        return _job(_fields(line, layout), layout, JobId(f"{stem}:{line_no}"), project, catalog)

    build.collect(_lines(path), make)
    if not (build.jobs or build.skipped_zero_gpu or build.skipped_invalid):
        raise no_jobs_error(path, f"one job per line, {layout.width} tab-separated fields")
    return build.finish()


def read_gavel(path: Path, options: ReadOptions) -> TraceRead:
    """Read a current (10-field) Gavel trace."""
    return _read(path, options, CURRENT, CURRENT_ASSUMPTIONS)


def read_gavel_legacy(path: Path, options: ReadOptions) -> TraceRead:
    """Read a legacy (7-field, 2019 ``msr``) Gavel trace."""
    return _read(path, options, LEGACY, LEGACY_ASSUMPTIONS)
