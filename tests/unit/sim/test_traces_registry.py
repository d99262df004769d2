"""Trace-reader registry, options, column maps and file access shared by every format."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from nacc.domain.errors import InputError, UnknownName
from nacc.sim.traces import (
    ReadOptions,
    TraceRead,
    get_reader,
    parse_column_map,
    read_trace,
    reader_names,
)
from nacc.sim.traces.base import file_stem

FIXTURES = Path(__file__).parents[2] / "fixtures" / "traces"


def test_reader_names_are_the_four_formats() -> None:
    assert reader_names() == ["csv", "gavel", "gavel-legacy", "philly"]


def test_every_name_has_a_callable_reader() -> None:
    for name in reader_names():
        assert callable(get_reader(name))


def test_unknown_format_lists_the_known_ones() -> None:
    with pytest.raises(UnknownName) as info:
        get_reader("slurm-sacct")
    message = str(info.value)
    assert "trace format" in message and "'slurm-sacct'" in message
    for name in reader_names():
        assert name in message
    with pytest.raises(UnknownName):
        read_trace(FIXTURES / "philly_slice.csv", "phily")


def test_read_trace_defaults_options() -> None:
    read = read_trace(FIXTURES / "philly_slice.csv", "philly")
    assert isinstance(read, TraceRead)
    assert read.source == str(FIXTURES / "philly_slice.csv")
    assert read.assumptions


def test_gzip_is_read_transparently(tmp_path: Path) -> None:
    plain = FIXTURES / "philly_slice.csv"
    zipped = tmp_path / "philly_slice.csv.gz"
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    a = read_trace(plain, "philly")
    b = read_trace(zipped, "philly")
    assert a.jobs == b.jobs  # same stem, so the same ids


def test_file_stem_drops_gz_and_suffix() -> None:
    assert file_stem(Path("x/ee9e8c.trace.gz")) == "ee9e8c"
    assert file_stem(Path("philly.csv")) == "philly"
    assert file_stem(Path("noext")) == "noext"


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot open"):
        read_trace(tmp_path / "absent.csv", "philly")


def test_non_utf8_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"timestamp,duration,num_gpus,gpu_time,cluster\n\xff\xfe,1,1,1,a\n")
    with pytest.raises(InputError, match="UTF-8"):
        read_trace(bad, "philly")


def test_read_options_validate_unit_and_limit() -> None:
    with pytest.raises(InputError, match="--time-unit"):
        ReadOptions(time_unit="h")
    with pytest.raises(InputError, match="--limit"):
        ReadOptions(limit=-1)
    assert ReadOptions(time_unit="us", limit=0).limit == 0


def test_limit_keeps_the_first_jobs_by_submit_time() -> None:
    full = read_trace(FIXTURES / "philly_slice.csv", "philly")
    some = read_trace(FIXTURES / "philly_slice.csv", "philly", ReadOptions(limit=10))
    assert [j.id for j in some.jobs] == [j.id for j in full.jobs[:10]]
    assert some.jobs[0].submit_s == 0.0
    assert read_trace(FIXTURES / "philly_slice.csv", "philly", ReadOptions(limit=0)).jobs == []


def test_parse_column_map_reads_pairs() -> None:
    text = " submit = t0 ,duration=run_s,gpus=n,project=vc,class=kind"
    assert parse_column_map(text) == {
        "submit": "t0",
        "duration": "run_s",
        "gpus": "n",
        "project": "vc",
        "class": "kind",
    }
    assert parse_column_map("submit=a,start=b,end=c,gpus=d")["end"] == "c"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "KEY=COLUMN"),
        ("submit", "KEY=COLUMN"),
        ("submit=a,,gpus=b", "KEY=COLUMN"),
        ("submit=", "KEY=COLUMN"),
        ("=a", "KEY=COLUMN"),
        ("submit=a,submit=b", "given twice"),
        ("submit=a,user=b", "unknown key 'user'"),
    ],
)
def test_parse_column_map_errors_name_the_flag(text: str, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        parse_column_map(text)
    assert info.value.where == "--column-map"
    assert fragment in str(info.value)
