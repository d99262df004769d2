"""Reservations in scenario YAML and in a reservations file: blocks, and errors naming the
file, the line and the field (overlaps name the other block)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from nacc.cli.main import app
from nacc.domain.errors import InputError
from nacc.scenario import load_scenario
from nacc.scenario.reservations_file import load_reservations

ROOT = Path(__file__).resolve().parents[3]
KOREA = ROOT / "scenarios" / "korea-2026.yaml"
WHATIF = ROOT / "scenarios" / "reservations" / "b200-768-six-months.yaml"
PHILLY = ROOT / "tests" / "fixtures" / "traces" / "philly_500.csv"


def _pools():  # type: ignore[no-untyped-def]
    return load_scenario(KOREA).domain_pools()


def test_shipped_what_if_block_resolves_to_the_first_b200_pool() -> None:
    (block,) = load_reservations(WHATIF, _pools())
    assert block.pool_id == "nhn-b200" and block.count == 768
    assert block.end_s - block.start_s == 182 * 86400


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(body)
    return path


def test_overlap_beyond_capacity_names_line_field_and_block(tmp_path: Path) -> None:
    body = (
        "reservations:\n"
        "  - {id: a, pool: kakao-b200, count: 2000, end_s: 100, projects: [x]}\n"
        "  - id: b\n"
        "    pool: kakao-b200\n"
        "    count: 1000\n"
        "    start_s: 50\n"
        "    end_s: 200\n"
        "    projects: [y]\n"
    )
    with pytest.raises(InputError) as info:
        load_reservations(_write(tmp_path, body), _pools())
    text = str(info.value)
    assert ":5: reservations[1].count: block b asks 1000" in text
    assert "by a" in text and "424" in text  # 2424 - 2000 left


@pytest.mark.parametrize(
    ("entry", "where"),
    [
        (
            "{id: a, pool: nope, count: 1, end_s: 9, projects: [x]}",
            "reservations[0].pool: unknown pool",
        ),
        ("{id: a, accelerator: TPU, count: 1, end_s: 9, projects: [x]}", "no pool of type 'TPU'"),
        ("{id: a, pool: kakao-b200, count: 0, end_s: 9, projects: [x]}", "reservations[0].count"),
        ("{id: a, pool: kakao-b200, count: 1, end_s: 9, projects: []}", "reservations[0].projects"),
        (
            "{id: a, pool: kakao-b200, count: 1, end_s: 9, projects: [x], colour: red}",
            "unknown key 'colour'",
        ),
        (
            "{id: a, pool: kakao-b200, count: 1, end_s: 9, projects: [x], charge: free}",
            "reservations[0].charge",
        ),
    ],
)
def test_bad_entries_name_the_field(tmp_path: Path, entry: str, where: str) -> None:
    with pytest.raises(InputError) as info:
        load_reservations(_write(tmp_path, f"reservations:\n  - {entry}\n"), _pools())
    assert f"{tmp_path / 'r.yaml'}:2" in str(info.value)
    assert where in str(info.value)


def test_inline_reservations_in_a_scenario_are_checked_with_lines(tmp_path: Path) -> None:
    text = KOREA.read_text() + (
        "\nreservations:\n  - {id: big, pool: kakao-b200, count: 9999, end_s: 10, projects: [x]}\n"
    )
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(
        InputError, match=r"s\.yaml:\d+: reservations\[0\]\.count: kakao-b200 has 2424"
    ):
        load_scenario(path)


def test_simulate_with_reservations_reports_others_wait_both_ways(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["simulate", "--scenario", str(KOREA), "--trace", str(PHILLY), "--format", "philly",
            "--out", str(out), "--load-scale", "40000", "--reservations", str(WHATIF)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "others' wait" in result.output and "with blocks" in result.output
    import json

    whatif = json.loads((out / "whatif.json").read_text())
    assert whatif["blocks"][0]["count"] == 768
    assert set(whatif["others_with_blocks"]) == {"jobs", "avg_wait_s", "p95_wait_s"}
    assert (out / "blocks_wait.png").stat().st_size > 0
    korean = CliRunner().invoke(app, ["--lang", "ko", *args, "--limit", "300"])
    assert korean.exit_code == 0, korean.output
    assert "다른 작업의 대기" in korean.output and "블록과 함께" in korean.output
    assert "블록 " in korean.output and "others' wait" not in korean.output


def test_the_documented_what_if_command_runs_on_a_slice(tmp_path: Path) -> None:
    """docs/programs.md's `nacc simulate ... --reservations` as written, on the trace's
    first 300 jobs (``--limit``) and with ``--out`` in a temporary folder: the full
    trace takes minutes (its numbers are in the doc)."""
    import re
    import shlex

    text = (ROOT / "docs" / "programs.md").read_text()
    (cmd,) = [b for b in re.findall(r"```\n(nacc simulate.*?)```", text, flags=re.S)]
    args = shlex.split(cmd.replace("\\\n", " "))[1:]
    args[args.index("--out") + 1] = str(tmp_path / "out")
    result = CliRunner().invoke(app, [*args, "--limit", "300"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "without blocks" in result.output and "llm-b200-768" in result.output
