"""The two Gavel readers: the 10-field current format and the 7-field msr format."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

from nacc.catalog.throughput import gavel_workloads, workload_class
from nacc.domain.errors import InputError
from nacc.sim.traces import ReadOptions, read_trace
from nacc.sim.traces.gavel import model_family

FIXTURES = Path(__file__).parents[2] / "fixtures" / "traces"
SHARED = Path(__file__).parents[3] / ".." / "shared" / "data" / "traces"
CMD = "python3 train.py --batch_size 64"
CURRENT_ROW = (
    "ResNet-50 (batch size 64)\t{cmd}\timagenet\t--num_steps\t1\t{steps}\t{gpus}\t1\t-1\t{t}"
)
LEGACY_ROW = "ResNet-50 (batch size 64)\t{cmd}\t--num_steps\t1\t{steps}\t{t}\t{gpus}"


def _current(steps: str = "100", gpus: str = "1", t: str = "0") -> str:
    return CURRENT_ROW.format(cmd=CMD, steps=steps, gpus=gpus, t=t)


def _legacy(steps: str = "100", gpus: str = "1", t: str = "0.000000") -> str:
    return LEGACY_ROW.format(cmd=CMD, steps=steps, gpus=gpus, t=t)


def _write(tmp_path: Path, lines: list[str], name: str = "t.trace") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_physical_cluster_trace() -> None:
    read = read_trace(FIXTURES / "max_min_fairness.trace", "gavel")
    assert len(read.jobs) == 96
    assert read.skipped_zero_gpu == 0 and read.skipped_invalid == 0
    assert Counter(j.accelerators for j in read.jobs) == {1: 59, 2: 19, 4: 18}
    first = read.jobs[0]
    assert first.id == "max_min_fairness:1" and first.submit_s == 0.0
    assert first.workload == "ResNet-18 (batch size 128)" and first.work == 925_982.0
    assert first.project == "ResNet-18" and first.accelerators == 4
    assert first.reference_type is None and first.time_limit_s is None
    assert {j.project for j in read.jobs} == {"ResNet-18", "ResNet-50", "Transformer", "LM"}
    for job in read.jobs:
        assert job.workload in gavel_workloads()
        assert job.job_class is workload_class(job.workload)
    submits = [j.submit_s for j in read.jobs]
    assert submits == sorted(submits)


def test_legacy_slice() -> None:
    read = read_trace(FIXTURES / "ee9e8c.trace", "gavel-legacy")
    assert len(read.jobs) == 40
    assert {j.project for j in read.jobs} == {"ee9e8c"}
    assert read.jobs[0].id == "ee9e8c:1" and read.jobs[0].work == 15_486_530.0
    assert read.jobs[1].submit_s == 336_541.0 and read.jobs[1].accelerators == 8
    assert all(j.priority_weight == 1.0 for j in read.jobs)


def test_legacy_gzip_from_shared() -> None:
    path = SHARED / "gavel" / "msr" / "seed=1" / "ee9e8c.trace.gz"
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    read = read_trace(path, "gavel-legacy")
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    assert len(read.jobs) == len([line for line in lines if line.strip()])
    assert read.jobs[0].id == "ee9e8c:1" and read.jobs[0].project == "ee9e8c"


def test_legacy_seed0_all_vcs_from_shared() -> None:
    folder = SHARED / "gavel" / "msr" / "seed=0"
    if not folder.exists():
        pytest.skip(f"{folder} is not on this machine")
    reads = [read_trace(path, "gavel-legacy") for path in sorted(folder.glob("*.trace"))]
    assert len(reads) == 15
    assert sum(len(r.jobs) for r in reads) == 15_264
    assert sum(r.skipped_zero_gpu for r in reads) == 0


def test_model_family() -> None:
    assert model_family("ResNet-50 (batch size 64)") == "ResNet-50"
    assert model_family("A3C") == "A3C"


def test_wrong_format_hints_the_other_one() -> None:
    with pytest.raises(InputError, match="looks like the 'gavel-legacy' format") as info:
        read_trace(FIXTURES / "ee9e8c.trace", "gavel")
    assert info.value.where.endswith("ee9e8c.trace:1")
    with pytest.raises(InputError, match="looks like the 'gavel' format"):
        read_trace(FIXTURES / "max_min_fairness.trace", "gavel-legacy")


def test_zero_scale_factor_is_counted(tmp_path: Path) -> None:
    path = _write(tmp_path, [_legacy(t="5"), _legacy(gpus="0", t="1"), _legacy(t="9")])
    read = read_trace(path, "gavel-legacy")
    assert read.skipped_zero_gpu == 1
    assert [j.submit_s for j in read.jobs] == [0.0, 4.0]
    path = _write(tmp_path, [_current(gpus="0"), _current(gpus="2")], "c.trace")
    read = read_trace(path, "gavel")
    assert read.skipped_zero_gpu == 1 and read.jobs[0].accelerators == 2


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (_current(steps="abc"), "column 'total_steps': expected a non-negative number, got 'abc'"),
        (_current(steps="-3"), "column 'total_steps'"),
        (_current(gpus="x"), "column 'scale_factor'"),
        (_current(t="later"), "column 'arrival_time'"),
        (_current().replace("\t1\t-1\t", "\t0\t-1\t"), "column 'priority_weight'"),
        (_current().replace("\t-1\t", "\tnone\t"), "column 'SLO'"),
        (_current().replace("--num_steps\t1", "--num_steps\tyes"), "column 'needs_data_dir'"),
        (_current().replace("ResNet-50 (batch size 64)", "GPT-5"), "not a known Gavel job type"),
        ("a\tb\tc", "expected 10 tab-separated fields, got 3"),
    ],
)
def test_malformed_rows(tmp_path: Path, line: str, fragment: str) -> None:
    path = _write(tmp_path, [_current(), "", line])
    with pytest.raises(InputError) as info:
        read_trace(path, "gavel")
    assert info.value.where == f"{path}:3"
    assert fragment in str(info.value)
    read = read_trace(path, "gavel", ReadOptions(skip_invalid=True))
    assert len(read.jobs) == 1 and read.skipped_invalid == 1


def test_priority_weight_is_read(tmp_path: Path) -> None:
    line = _current().replace("\t1\t-1\t", "\t2.5\t-1\t")
    assert read_trace(_write(tmp_path, [line]), "gavel").jobs[0].priority_weight == 2.5


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    for fmt in ("gavel", "gavel-legacy"):
        with pytest.raises(InputError, match="empty"):
            read_trace(_write(tmp_path, [""]), fmt)
