"""`nacc simulate` / `nacc compare` end to end: files written, keys promised, input errors.

Bad input must exit with code 2, print a message naming the problem (file:line, field,
what was expected) and leave no results file behind (DESIGN.md convention 10).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from nacc.cli.main import app
from nacc.scheduling.policies.registry import builtin_policies

ROOT = Path(__file__).resolve().parents[3]
GAVEL_TRACE = ROOT / "tests" / "fixtures" / "traces" / "max_min_fairness.trace"
GAVEL_SCENARIO = ROOT / "scenarios" / "gavel-108.yaml"
RESULT_KEYS = {
    "policy",
    "jobs",
    "completed",
    "skipped",
    "avg_jct_s",
    "p50_jct_s",
    "p99_jct_s",
    "avg_queue_s",
    "makespan_s",
    "utilization",
    "jain_fairness",
    "domestic_share",
    "lower_bound_avg_jct_s",
    "wall_s",
    "events",
}


def _invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def _gavel_args(out: Path, *extra: str | Path) -> list[str | Path]:
    return ["--scenario", GAVEL_SCENARIO, "--trace", GAVEL_TRACE, "--format", "gavel",
            "--out", out, *extra]  # fmt: skip


def _check_result(res: dict[str, object], policy: str) -> None:
    assert set(res) >= RESULT_KEYS, f"missing keys: {RESULT_KEYS - set(res)}"
    assert res["policy"] == policy
    assert res["jobs"] == res["completed"] == 96  # every job of the Gavel fixture
    assert res["skipped"] == 0
    assert set(res["utilization"]) == {"K80", "P100", "V100"}  # type: ignore[arg-type]
    assert isinstance(res["events"], int) and res["events"] > 0
    assert 0 < res["lower_bound_avg_jct_s"] <= res["avg_jct_s"]  # type: ignore[operator]


# --- success paths -------------------------------------------------------------------------


def test_simulate_writes_results_and_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _invoke("simulate", *_gavel_args(out, "--policy", "fifo"))
    assert result.exit_code == 0, result.output
    res = json.loads((out / "results.json").read_text())
    _check_result(res, "fifo")
    for name in ("report.html", "queue.png", "jct_cdf.png", "utilization-fifo.png"):
        assert (out / name).stat().st_size > 0, name
    assert "results.json" in result.output
    assert not list(out.glob("*.tmp")), "a temporary file was left behind"


def test_compare_writes_a_list_and_the_avg_jct_plot(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    result = _invoke("compare", *_gavel_args(out, "--policies", "fifo, nacc"))
    assert result.exit_code == 0, result.output
    rows = json.loads((out / "comparison.json").read_text())
    assert isinstance(rows, list) and len(rows) == 2
    for row, name in zip(rows, ["fifo", "nacc"], strict=True):
        _check_result(row, name)
    assert rows[0]["lower_bound_avg_jct_s"] == rows[1]["lower_bound_avg_jct_s"]
    for name in ("avg_jct.png", "report.html", "utilization-fifo.png", "utilization-nacc.png"):
        assert (out / name).stat().st_size > 0, name


def test_simulate_as_a_real_subprocess(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "nacc"
    if not exe.exists():
        pytest.skip(f"no `nacc` console script next to {sys.executable} (not installed)")
    out = tmp_path / "sub"
    args = [str(a) for a in _gavel_args(out, "--policy", "nacc")]
    proc = subprocess.run([str(exe), "simulate", *args], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _check_result(json.loads((out / "results.json").read_text()), "nacc")
    bad = subprocess.run([str(exe), "simulate", *args, "--policy", "nope"], capture_output=True,
                         text=True, timeout=120, check=False)  # fmt: skip
    assert bad.returncode == 2
    assert "unknown policy 'nope'" in bad.stderr


def test_csv_trace_with_column_map_and_milliseconds(tmp_path: Path) -> None:
    trace = tmp_path / "jobs.csv"
    trace.write_text("sub,dur,g\n0,1000,1\n500,2000,2\n")
    out = tmp_path / "csv"
    args = ["--scenario", GAVEL_SCENARIO, "--trace", trace, "--format", "csv", "--out", out]
    cmap = "submit=sub,duration=dur,gpus=g"
    result = _invoke("simulate", *args, "--map", cmap, "--time-unit", "ms")
    assert result.exit_code == 0, result.output
    res = json.loads((out / "results.json").read_text())
    assert res["jobs"] == res["completed"] == 2
    # 1 s and 2 s of H100 work (ms, not s): done within seconds even on a V100.
    assert 0 < res["makespan_s"] < 60


def test_column_map_flag_named_in_messages_exists(tmp_path: Path) -> None:
    trace = tmp_path / "jobs.csv"
    trace.write_text("sub,dur,g\n0,1,1\n")
    out = tmp_path / "alias"
    args = ["--scenario", GAVEL_SCENARIO, "--trace", trace, "--format", "csv", "--out", out]
    result = _invoke("simulate", *args, "--column-map", "submit=sub,duration=dur,gpus=g")
    assert result.exit_code == 0, result.output
    assert (out / "results.json").exists()


# --- bad input: exit 2, a message naming the problem, no results file ----------------------


def _assert_rejected(result: Result, out: Path, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert "error:" in result.stderr
    for needle in needles:
        assert needle in result.output, f"{needle!r} not in {result.output!r}"
    assert not (out / "results.json").exists()
    assert not (out / "comparison.json").exists()
    assert not out.exists(), f"left behind: {sorted(p.name for p in out.iterdir())}"


def test_unknown_policy_lists_the_known_ones(tmp_path: Path) -> None:
    out = tmp_path / "o"
    result = _invoke("simulate", *_gavel_args(out, "--policy", "nope"))
    _assert_rejected(result, out, "unknown policy 'nope'", *builtin_policies().names())


def test_unknown_policy_in_compare(tmp_path: Path) -> None:
    out = tmp_path / "o"
    result = _invoke("compare", *_gavel_args(out, "--policies", "fifo,nope"))
    _assert_rejected(result, out, "unknown policy 'nope'", "fifo")


def test_empty_policy_list_in_compare(tmp_path: Path) -> None:
    out = tmp_path / "o"
    result = _invoke("compare", *_gavel_args(out, "--policies", " , "))
    _assert_rejected(result, out, "--policies")


def test_unknown_format(tmp_path: Path) -> None:
    out = tmp_path / "o"
    args = ["--scenario", GAVEL_SCENARIO, "--trace", GAVEL_TRACE, "--format", "parquet"]
    result = _invoke("simulate", *args, "--out", out)
    _assert_rejected(result, out, "unknown trace format 'parquet'", "philly", "gavel", "csv")


def test_missing_trace_file(tmp_path: Path) -> None:
    out = tmp_path / "o"
    missing = tmp_path / "no-such.trace"
    args = ["--scenario", GAVEL_SCENARIO, "--trace", missing, "--format", "gavel"]
    result = _invoke("simulate", *args, "--out", out)
    _assert_rejected(result, out, str(missing), "cannot open")


def test_malformed_trace_row_names_file_line_and_column(tmp_path: Path) -> None:
    trace = tmp_path / "bad.csv"
    trace.write_text(
        "timestamp,duration,num_gpus,gpu_time,cluster\n"
        "2017-10-09 07:01:55,66.0,1,66.0,11cb48\n"
        "2017-10-09 07:02:55,abc,1,66.0,11cb48\n"
    )
    out = tmp_path / "o"
    args = ["--scenario", GAVEL_SCENARIO, "--trace", trace, "--format", "philly"]
    result = _invoke("simulate", *args, "--out", out)
    _assert_rejected(result, out, f"{trace}:3", "'duration'", "'abc'")


def test_scenario_with_unknown_accelerator(tmp_path: Path) -> None:
    text = GAVEL_SCENARIO.read_text()
    assert text.count("accelerator: K80") == 1
    scenario = tmp_path / "bad-scenario.yaml"
    scenario.write_text(text.replace("accelerator: K80", "accelerator: K9000"))
    out = tmp_path / "o"
    args = ["--scenario", scenario, "--trace", GAVEL_TRACE, "--format", "gavel"]
    result = _invoke("simulate", *args, "--out", out)
    _assert_rejected(result, out, str(scenario), "pools[0].accelerator", "'K9000'", "V100")


def test_zero_load_scale(tmp_path: Path) -> None:
    out = tmp_path / "o"
    result = _invoke("simulate", *_gavel_args(out, "--load-scale", "0"))
    _assert_rejected(result, out, "load_scale must be > 0")


@pytest.mark.parametrize("bad_map", ["submit", "submit=sub,when=dur", "=sub"])
def test_bad_column_map_syntax(tmp_path: Path, bad_map: str) -> None:
    trace = tmp_path / "jobs.csv"
    trace.write_text("sub,dur,g\n0,1,1\n")
    out = tmp_path / "o"
    args = ["--scenario", GAVEL_SCENARIO, "--trace", trace, "--format", "csv"]
    result = _invoke("simulate", *args, "--out", out, "--map", bad_map)
    _assert_rejected(result, out, "--column-map")


def test_user_text_in_messages_is_not_read_as_markup(tmp_path: Path) -> None:
    # A column name that looks like Rich markup must be printed as given.
    trace = tmp_path / "jobs.csv"
    trace.write_text("sub,dur,g\n0,1,1\n")
    out = tmp_path / "o"
    args = ["--scenario", GAVEL_SCENARIO, "--trace", trace, "--format", "csv"]
    result = _invoke("simulate", *args, "--out", out, "--map", "submit=[b]x,duration=dur,gpus=g")
    _assert_rejected(result, out, "'[b]x'", f"{trace}:1")


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("ko", ("작업 96개", "정책 비교", "평균 JCT(초)", "이벤트/초", "평균 JCT 하한:", "결과: ")),
        ("en", ("96 jobs from", "policy comparison", "avg JCT s", "events/s",
                "lower bound on average JCT:", "results: ")),
    ],
)  # fmt: skip
def test_simulate_speaks_the_language_asked(
    tmp_path: Path, lang: str, said: tuple[str, ...]
) -> None:
    result = _invoke("--lang", lang, "simulate", *_gavel_args(tmp_path / lang, "--policy", "fifo"))
    assert result.exit_code == 0, result.output
    for text in said:
        assert text in result.output, (text, result.output)
    other = "policy comparison" if lang == "ko" else "정책 비교"
    assert other not in result.output
    bad = _invoke("--lang", lang, "simulate", *_gavel_args(tmp_path / "bad", "--policy", "nope"))
    assert bad.exit_code == 2 and bad.output.startswith("오류:" if lang == "ko" else "error:")
