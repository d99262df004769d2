"""Reader for the Philly job summary published with Pollux (``pollux/traces/philly.csv``).

Header ``timestamp,duration,num_gpus,gpu_time,cluster``; one job per row, rows not sorted.
The trace records neither a job class, a requested time limit nor the GPU model, so this
reader assumes them; every assumption is returned in ``TraceRead.assumptions`` and written
down in ``docs/traces.md``.
"""

from __future__ import annotations

import zlib
from datetime import date
from pathlib import Path

from nacc.domain.errors import InputError
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobClass
from nacc.sim.traces.base import (
    RawJob,
    ReadOptions,
    RowError,
    TraceBuilder,
    TraceRead,
    count,
    csv_header,
    csv_rows,
    file_stem,
    non_negative,
)

REFERENCE_TYPE = "P100"
PRETRAIN_MIN_GPUS = 16

# Class mix for jobs under PRETRAIN_MIN_GPUS: (class, share in percent), cumulative order.
CLASS_MIX: tuple[tuple[JobClass, int], ...] = (
    (JobClass.VISION, 40),
    (JobClass.FINETUNE, 25),
    (JobClass.EVALUATION, 15),
    (JobClass.RECOMMENDATION, 10),
    (JobClass.INFERENCE, 10),
)

_HOUR = 3600.0
_DAY = 86400.0
# Standard limits users pick from; the assumed request is the smallest one >= the duration.
LIMIT_BUCKETS_S: tuple[float, ...] = (
    1 * _HOUR,
    2 * _HOUR,
    4 * _HOUR,
    8 * _HOUR,
    12 * _HOUR,
    1 * _DAY,
    2 * _DAY,
    3 * _DAY,
    7 * _DAY,
    14 * _DAY,
    30 * _DAY,
    60 * _DAY,
)

COLUMNS = ("timestamp", "duration", "num_gpus", "cluster")
HEADER = ("timestamp", "duration", "num_gpus", "gpu_time", "cluster")

ASSUMPTIONS = [
    f"durations are seconds on the job's own GPUs, taken as {REFERENCE_TYPE} "
    "(Philly's 2017 fleet was Pascal-era 12 GB/24 GB GPUs); work = duration",
    f"job class: jobs with >= {PRETRAIN_MIN_GPUS} GPUs are {JobClass.PRETRAIN.value}; "
    "the others get a class picked by crc32 of the row's timestamp,duration,num_gpus,cluster "
    "from the mix " + ", ".join(f"{cls.value} {share}%" for cls, share in CLASS_MIX),
    "time limit: the trace has none; users are assumed to request the duration rounded up to "
    "the next of 1h, 2h, 4h, 8h, 12h, 1d, 2d, 3d, 7d, 14d, 30d, 60d "
    "(longer jobs: the duration rounded up to whole days)",
    "project = cluster (the Philly virtual cluster); workload unknown",
    "timestamps are naive wall-clock times; submit times are relative to the earliest job",
]


def time_limit_for(duration_s: float) -> float:
    """The assumed requested limit: the smallest standard bucket holding the duration."""
    for bucket in LIMIT_BUCKETS_S:
        if duration_s <= bucket:
            return bucket
    return -(-duration_s // _DAY) * _DAY


def class_for(gpus: int, key: str) -> JobClass:
    """Deterministic class of a Philly job: big jobs pre-train, others follow the mix."""
    if gpus >= PRETRAIN_MIN_GPUS:
        return JobClass.PRETRAIN
    point = zlib.crc32(key.encode()) % 100
    for cls, share in CLASS_MIX:
        if point < share:
            return cls
        point -= share
    return CLASS_MIX[-1][0]


def _bad_timestamp(text: str) -> RowError:
    return RowError("timestamp", f"expected 'YYYY-MM-DD HH:MM:SS', got {text!r}")


class _Timestamps:
    """Parses 'YYYY-MM-DD HH:MM:SS' to seconds, caching the 'YYYY-MM-DD HH' part."""

    def __init__(self) -> None:
        self._hours: dict[str, float] = {}

    def seconds(self, text: str) -> float:
        if len(text) != 19 or text[13] != ":" or text[16] != ":":
            raise _bad_timestamp(text)
        hour = self._hours.get(text[:13])
        if hour is None:
            hour = self._hour(text)
        try:
            minutes, secs = int(text[14:16]), int(text[17:19])
        except ValueError:
            raise _bad_timestamp(text) from None
        if not (0 <= minutes <= 59 and 0 <= secs <= 60):
            raise _bad_timestamp(text)
        return hour + minutes * 60 + secs

    def _hour(self, text: str) -> float:
        try:
            day = date.fromisoformat(text[:10]).toordinal()
            hour = int(text[11:13])
        except ValueError:
            raise _bad_timestamp(text) from None
        if text[10] != " " or not 0 <= hour <= 23:
            raise _bad_timestamp(text)
        seconds = day * _DAY + hour * _HOUR
        self._hours[text[:13]] = seconds
        return seconds


def _header_positions(where: str, names: list[str]) -> tuple[int, ...]:
    missing = [col for col in COLUMNS if col not in names]
    if missing:
        raise InputError(
            where,
            f"expected a Philly header with columns {', '.join(HEADER)}; "
            f"missing {', '.join(missing)}; found {', '.join(names)}",
        )
    return tuple(names.index(col) for col in COLUMNS)


def _job(row: list[str], pos: tuple[int, ...], job_id: JobId, ts: _Timestamps) -> RawJob | None:
    submit = ts.seconds(row[pos[0]])
    text = row[pos[2]]
    gpus = int(text) if text.isdecimal() else count("num_gpus", text)
    duration = non_negative("duration", row[pos[1]])
    cluster = row[pos[3]]
    if not cluster:
        raise RowError("cluster", "expected a virtual-cluster name, got ''")
    if gpus == 0:
        return None
    key = f"{row[pos[0]]},{row[pos[1]]},{row[pos[2]]},{cluster}"
    return RawJob(
        id=job_id,
        submit_s=submit,
        accelerators=gpus,
        job_class=class_for(gpus, key),
        work=duration,
        project=cluster,
        time_limit_s=time_limit_for(duration),
        reference_type=REFERENCE_TYPE,
    )


def read_philly(path: Path, options: ReadOptions) -> TraceRead:
    """Read the Pollux Philly CSV."""
    build = TraceBuilder(path, options, list(ASSUMPTIONS))
    rows = csv_rows(path)
    header, where = csv_header(path, rows, "a header line " + ",".join(HEADER))
    pos = _header_positions(where, header)
    width, stem, ts = len(header), file_stem(path), _Timestamps()

    def make(line_no: int, row: list[str]) -> RawJob | None:
        if len(row) != width:
            raise RowError(None, f"expected {width} comma-separated fields, got {len(row)}")
        return _job(row, pos, JobId(f"{stem}:{line_no}"), ts)

    build.collect(rows, make)
    return build.finish()
