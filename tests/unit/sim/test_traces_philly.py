"""The Philly reader on the real Pollux CSV and on hand-made bad input."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from nacc.domain.errors import InputError
from nacc.domain.jobs import JobClass
from nacc.sim.traces import ReadOptions, TraceRead, read_trace
from nacc.sim.traces.philly import CLASS_MIX, class_for, time_limit_for

FIXTURES = Path(__file__).parents[2] / "fixtures" / "traces"
SHARED = Path(__file__).parents[3] / ".." / "shared" / "data" / "traces"
PHILLY = SHARED / "pollux" / "traces" / "philly.csv"
HEADER = "timestamp,duration,num_gpus,gpu_time,cluster\n"


def _write(tmp_path: Path, body: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body)
    return path


@pytest.fixture(scope="module")
def full() -> TraceRead:
    if not PHILLY.exists():
        pytest.skip(f"{PHILLY} is not on this machine")
    return read_trace(PHILLY, "philly")


def test_full_trace_counts(full: TraceRead) -> None:
    assert full.skipped_zero_gpu == 0 and full.skipped_invalid == 0
    assert len(full.jobs) == 82_247
    gpus = Counter(j.accelerators for j in full.jobs)
    assert gpus == {
        1: 76_627, 2: 1_818, 4: 1_870, 8: 1_643, 12: 7, 16: 199,
        24: 7, 32: 67, 64: 6, 128: 3,
    }  # fmt: skip
    projects = Counter(j.project for j in full.jobs)
    assert len(projects) == 15 and projects["6214e9"] == 41_226


def test_full_trace_is_sorted_from_zero(full: TraceRead) -> None:
    submits = [j.submit_s for j in full.jobs]
    assert submits[0] == 0.0
    assert submits == sorted(submits)
    # 2017-09-04 .. 2017-12-22: a little under 110 days
    assert 100 * 86_400 < submits[-1] < 110 * 86_400
    assert len({j.id for j in full.jobs}) == len(full.jobs)
    assert all(j.id.startswith("philly:") for j in full.jobs)


def test_full_trace_fields(full: TraceRead) -> None:
    assert all(j.reference_type == "P100" and j.workload is None for j in full.jobs)
    assert max(j.work for j in full.jobs) == 4_628_226.0
    assert all(j.time_limit_s is not None and j.time_limit_s >= j.work for j in full.jobs)
    big = [j for j in full.jobs if j.accelerators >= 16]
    assert big and all(j.job_class is JobClass.PRETRAIN for j in big)
    small = Counter(j.job_class for j in full.jobs if j.accelerators < 16)
    for cls, share in CLASS_MIX:  # the hash spreads jobs close to the documented mix
        assert abs(small[cls] / sum(small.values()) - share / 100) < 0.02


def test_ids_point_at_file_lines() -> None:
    read = read_trace(FIXTURES / "philly_slice.csv", "philly")
    lines = (FIXTURES / "philly_slice.csv").read_text().splitlines()
    assert len(read.jobs) == 300
    for job in read.jobs[:20]:
        stem, line = job.id.split(":")
        assert stem == "philly_slice"
        assert lines[int(line) - 1].split(",")[4] == job.project


def test_ties_keep_file_order(tmp_path: Path) -> None:
    body = "2017-10-09 07:00:00,5,1,5,b\n2017-10-09 06:00:00,5,1,5,a\n2017-10-09 07:00:00,6,1,6,c\n"
    read = read_trace(_write(tmp_path, body), "philly")
    assert [j.project for j in read.jobs] == ["a", "b", "c"]
    assert [j.submit_s for j in read.jobs] == [0.0, 3600.0, 3600.0]
    assert [j.id for j in read.jobs] == ["t:3", "t:2", "t:4"]


def test_class_is_deterministic() -> None:
    assert class_for(16, "anything") is JobClass.PRETRAIN
    key = "2017-10-09 07:01:55,66.0,1,11cb48"
    assert class_for(1, key) is class_for(1, key)
    a = read_trace(FIXTURES / "philly_slice.csv", "philly")
    b = read_trace(FIXTURES / "philly_slice.csv", "philly")
    assert [j.job_class for j in a.jobs] == [j.job_class for j in b.jobs]
    assert sum(share for _, share in CLASS_MIX) == 100


@pytest.mark.parametrize(
    ("duration", "limit"),
    [
        (0.0, 3_600.0),
        (3_600.0, 3_600.0),
        (3_601.0, 7_200.0),
        (20 * 3_600.0, 86_400.0),
        (5 * 86_400.0, 7 * 86_400.0),
        (59 * 86_400.0, 60 * 86_400.0),
        (60 * 86_400.0 + 1, 61 * 86_400.0),
    ],
)
def test_time_limit_buckets(duration: float, limit: float) -> None:
    assert time_limit_for(duration) == limit


def test_zero_gpu_rows_are_counted(tmp_path: Path) -> None:
    body = "2017-10-09 07:00:00,5,0,0,a\n2017-10-09 07:00:01,5,1,5,a\n"
    read = read_trace(_write(tmp_path, body), "philly")
    assert len(read.jobs) == 1 and read.skipped_zero_gpu == 1


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("2017-10-09 07:00:00,abc,1,5,a", "column 'duration': expected a non-negative number"),
        ("2017-10-09 07:00:00,-5,1,5,a", "column 'duration'"),
        ("2017-10-09 07:00:00,nan,1,5,a", "column 'duration'"),
        ("2017-10-09 07:00:00,5,1.5,5,a", "column 'num_gpus'"),
        ("2017-10-09 07:00:00,5,-1,5,a", "column 'num_gpus'"),
        ("2017-13-09 07:00:00,5,1,5,a", "column 'timestamp'"),
        ("2017-10-09T07:00:00,5,1,5,a", "column 'timestamp'"),
        ("2017-10-09 7:00:00,5,1,5,a", "column 'timestamp'"),
        ("2017-10-09 07:61:00,5,1,5,a", "column 'timestamp'"),
        ("2017-10-09 07:00:00,5,1,5,", "column 'cluster'"),
        ("2017-10-09 07:00:00,5,1,5", "expected 5 comma-separated fields, got 4"),
    ],
)
def test_malformed_rows_name_file_line_and_column(tmp_path: Path, row: str, fragment: str) -> None:
    path = _write(tmp_path, "2017-10-09 06:00:00,5,1,5,a\n" + row + "\n")
    with pytest.raises(InputError) as info:
        read_trace(path, "philly")
    assert info.value.where == f"{path}:3"
    assert fragment in str(info.value)
    read = read_trace(path, "philly", ReadOptions(skip_invalid=True))
    assert len(read.jobs) == 1 and read.skipped_invalid == 1


def test_header_problems(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n")
    with pytest.raises(InputError, match="empty"):
        read_trace(empty, "philly")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("\nwhen,how_long,gpus\n2017-10-09 06:00:00,5,1\n")
    with pytest.raises(InputError, match="missing timestamp, duration, num_gpus, cluster") as info:
        read_trace(wrong, "philly")
    assert info.value.where == f"{wrong}:2"


def test_csv_module_errors_are_input_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, "2017-10-09 06:00:00,5,1,5," + "x" * 200_000 + "\n")
    with pytest.raises(InputError, match="malformed CSV: field larger") as info:
        read_trace(path, "philly")
    assert info.value.where == f"{path}:2"


def test_header_only_is_an_empty_trace(tmp_path: Path) -> None:
    read = read_trace(_write(tmp_path, ""), "philly")
    assert read.jobs == [] and read.skipped_zero_gpu == 0
