"""The generic CSV reader driven by a column map."""

from __future__ import annotations

from pathlib import Path

import pytest

from nacc.domain.errors import InputError
from nacc.domain.jobs import JobClass
from nacc.sim.traces import ReadOptions, parse_column_map, read_trace

DURATION_MAP = {"submit": "t", "duration": "run", "gpus": "n", "project": "team", "class": "kind"}
SPAN_MAP = {"submit": "t", "start": "begin", "end": "finish", "gpus": "n"}


def _write(tmp_path: Path, text: str, name: str = "jobs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_duration_columns(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "t,run,n,team,kind\n100,50,2,lab-a,inference\n40,10,1,,\n100,7,4,lab-b,LLM-Pretraining\n",
    )
    read = read_trace(path, "csv", ReadOptions(column_map=DURATION_MAP))
    assert [j.id for j in read.jobs] == ["jobs:3", "jobs:2", "jobs:4"]
    assert [j.submit_s for j in read.jobs] == [0.0, 60.0, 60.0]
    assert [j.work for j in read.jobs] == [10.0, 50.0, 7.0]
    assert [j.accelerators for j in read.jobs] == [1, 2, 4]
    assert [j.project for j in read.jobs] == ["jobs", "lab-a", "lab-b"]
    assert [j.job_class for j in read.jobs] == [
        JobClass.FINETUNE,
        JobClass.INFERENCE,
        JobClass.PRETRAIN,
    ]
    assert all(j.reference_type == "H100-SXM" and j.time_limit_s is None for j in read.jobs)
    assert any("fine-tuning" in note for note in read.assumptions)


def test_start_end_columns_and_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, "t,begin,finish,n\n10,12,42,1\n5,5,5,8\n")
    read = read_trace(path, "csv", ReadOptions(column_map=SPAN_MAP))
    assert [(j.submit_s, j.work, j.accelerators) for j in read.jobs] == [
        (0.0, 0.0, 8),
        (5.0, 30.0, 1),
    ]
    assert all(j.project == "jobs" and j.job_class is JobClass.FINETUNE for j in read.jobs)


@pytest.mark.parametrize(("unit", "scale"), [("s", 1.0), ("ms", 1e-3), ("us", 1e-6)])
def test_time_units(tmp_path: Path, unit: str, scale: float) -> None:
    path = _write(tmp_path, "t,begin,finish,n\n1000,3000,9000,1\n0,0,2000,1\n")
    read = read_trace(path, "csv", ReadOptions(column_map=SPAN_MAP, time_unit=unit))
    assert [j.submit_s for j in read.jobs] == pytest.approx([0.0, 1000 * scale])
    assert [j.work for j in read.jobs] == pytest.approx([2000 * scale, 6000 * scale])


def test_iso_timestamps(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "t,begin,finish,n\n"
        "2024-03-01T10:00:00,2024-03-01 10:05:00,2024-03-01T11:05:00,1\n"
        "2024-03-01T09:00:00Z,2024-03-01T09:00:00+00:00,2024-03-01T09:00:30+00:00,2\n",
    )
    read = read_trace(path, "csv", ReadOptions(column_map=SPAN_MAP, time_unit="ms"))
    assert [(j.submit_s, j.work) for j in read.jobs] == [(0.0, 30.0), (3600.0, 3600.0)]


def test_zero_gpu_rows_are_counted(tmp_path: Path) -> None:
    path = _write(tmp_path, "t,begin,finish,n\n1,1,2,0\n2,2,3,1\n\n3,3,4,0.0\n")
    read = read_trace(path, "csv", ReadOptions(column_map=SPAN_MAP))
    assert len(read.jobs) == 1 and read.skipped_zero_gpu == 2


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("1,abc,1,a,inference", "column 'run': expected a non-negative number in s (duration)"),
        ("1,-4,1,a,inference", "column 'run'"),
        ("yesterday,4,1,a,inference", "column 't': expected a number in s or an ISO timestamp"),
        ("1,4,two,a,inference", "column 'n'"),
        ("1,4,-2,a,inference", "column 'n'"),
        ("1,4,1,a,gaming", "column 'kind': expected one of"),
        ("1,4,1,a", "expected 5 comma-separated fields, got 4"),
    ],
)
def test_malformed_rows(tmp_path: Path, row: str, fragment: str) -> None:
    path = _write(tmp_path, f"t,run,n,team,kind\n0,1,1,a,inference\n{row}\n")
    with pytest.raises(InputError) as info:
        read_trace(path, "csv", ReadOptions(column_map=DURATION_MAP))
    assert info.value.where == f"{path}:3"
    assert fragment in str(info.value)
    read = read_trace(path, "csv", ReadOptions(column_map=DURATION_MAP, skip_invalid=True))
    assert len(read.jobs) == 1 and read.skipped_invalid == 1


def test_end_before_start(tmp_path: Path) -> None:
    path = _write(tmp_path, "t,begin,finish,n\n0,10,5,1\n")
    with pytest.raises(InputError) as info:
        read_trace(path, "csv", ReadOptions(column_map=SPAN_MAP))
    assert info.value.where == f"{path}:2"
    assert "column 'finish': expected a time >= start (end)" in str(info.value)


def test_map_naming_absent_column_lists_the_header(tmp_path: Path) -> None:
    path = _write(tmp_path, "t,run,n\n0,1,1\n")
    mapping = parse_column_map("submit=t,duration=runtime,gpus=n")
    with pytest.raises(InputError) as info:
        read_trace(path, "csv", ReadOptions(column_map=mapping))
    assert info.value.where == f"{path}:1"
    assert "'runtime'" in str(info.value) and "header columns: t, run, n" in str(info.value)


@pytest.mark.parametrize(
    ("mapping", "fragment"),
    [
        (None, "needs a column map"),
        ({"submit": "t", "gpus": "n"}, "missing key(s) duration (or start and end)"),
        ({"duration": "t", "gpus": "n"}, "missing key(s) submit"),
        ({"submit": "t", "start": "a", "gpus": "n"}, "duration (or start and end)"),
        ({"submit": "t", "duration": "d", "end": "e", "gpus": "n"}, "not both"),
        ({"submit": "t", "duration": "d", "gpus": "n", "user": "u"}, "unknown key(s) user"),
    ],
)
def test_incomplete_maps(tmp_path: Path, mapping: dict[str, str] | None, fragment: str) -> None:
    path = _write(tmp_path, "t,d,n\n0,1,1\n")
    with pytest.raises(InputError) as info:
        read_trace(path, "csv", ReadOptions(column_map=mapping))
    assert info.value.where == "--column-map"
    assert fragment in str(info.value)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "")
    with pytest.raises(InputError, match="empty"):
        read_trace(path, "csv", ReadOptions(column_map=SPAN_MAP))
