"""The shell commands the README and docs/*.md show in their code blocks, as a user would
copy them: continuation lines joined, comment lines and trailing comments dropped.

A block counts when it is a ```sh block or an unmarked one whose first line starts like
a command (``nacc``, ``make``, ``.venv/bin/...``, ``kubectl``, ``LANG=...``); a line of
such a block that starts with ``#`` is what the command before it prints (cli.md's
error examples), kept apart as its expected output."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STARTS = ("nacc ", "make ", ".venv/bin/", "kubectl ", "LANG=", "NACC_")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", flags=re.S | re.M)


@dataclass(frozen=True)
class Documented:
    doc: str  # e.g. "docs/cli.md"
    line: str  # the command as the shell gets it
    first: str = ""  # the first command of its block
    said: list[str] = field(default_factory=list)  # the "# ..." lines after it


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _strip_comment(line: str) -> str:
    """``cmd   # note`` -> ``cmd`` (a ``#`` inside quotes stays)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch == "<" and ">" in line[i:]:  # a placeholder, <a PI's token>, is one word
            quote = ">"
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def commands_of(text: str, doc: str) -> list[Documented]:
    found: list[Documented] = []
    for lang, body in FENCE.findall(text):
        lines = body.splitlines()
        first = next((ln for ln in lines if ln.strip()), "")
        if lang not in ("sh", "") or not first.startswith(STARTS):
            continue
        pending, block = "", len(found)
        for raw in lines:
            if not raw.strip():
                continue
            if raw.lstrip().startswith("#"):
                if found and not pending and raw.startswith("# "):
                    found[-1].said.append(raw[2:])
                continue
            line = _strip_comment(raw)
            if line.endswith("\\"):
                pending += line[:-1].rstrip() + " "
                continue
            line = " ".join((pending + line.strip()).split())
            found.append(Documented(doc, line, found[block].line if block < len(found) else line))
            pending = ""
    return found


def documented() -> list[Documented]:
    out: list[Documented] = []
    for path in documents():
        out += commands_of(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    return out


# The documents whose commands tests/integration/test_docs_commands.py runs as written
# against `nacc serve --demo` (what `make run` starts), in document order: every line of
# their blocks but those run elsewhere (below).
ON_DEMO = ("docs/cli.md", "docs/programs.md")

_SIM = "tests/unit/cli/test_cli_simulate.py::test_simulate_as_a_real_subprocess"
_LONG = "minutes of CPU on the full trace: walked by hand (docs_walk 2026-12-04); the options on a slice in "  # fmt: skip
_README = "tests/integration/test_readme.py::test_the_pi_block_runs_as_written"  # both blocks
_OFFICER = "tests/integration/api/test_cli_user.py::test_officer_commands_as_documented"
_CALLS = "tests/integration/api/test_cli_calls.py"
_SWEEP = (
    "tests/integration/sweep/test_sweep.py::test_serial_sweep_writes_cells_table_plots_and_resumes"
)

# line -> the test that runs it, and why it is not run on the demo: "path::test (why)".
ELSEWHERE: dict[str, str] = {
    "make run": "tests/integration/test_readme.py::test_make_run_takes_a_port (it serves until stopped: `make -n`, and the README blocks on `nacc serve --demo`)",
    "make run PORT=8100": "tests/integration/test_readme.py::test_make_run_takes_a_port (as above)",
    "make test": "tests/unit/test_docs_commands_listed.py::test_the_suite_is_what_make_test_runs (it is this suite)",
    ".venv/bin/nacc simulate --scenario scenarios/korea-2026.yaml --trace data/traces/philly.csv.gz --format philly --policy nacc --load-scale 40000 --seed 0 --out out/sim": _SIM + " (" + _LONG + "it)",
    ".venv/bin/nacc compare --policies fifo,slurm,las,gavel,nacc --scenario scenarios/korea-2026.yaml --trace data/traces/philly.csv.gz --format philly --load-scale 40000 --out out/cmp": "tests/unit/cli/test_cli_simulate.py::test_compare_writes_a_list_and_the_avg_jct_plot (" + _LONG + "it)",
    ".venv/bin/nacc simulate --scenario scenarios/gavel-108.yaml --format gavel --policy gavel --trace ../shared/data/traces/gavel/physical_cluster/max_min_fairness.trace --out out/g": "tests/unit/test_docs_commands_listed.py::test_the_readme_gavel_simulation_runs_as_written (../shared may be absent: skipped then)",
    ".venv/bin/nacc policies": "tests/unit/test_docs_commands_listed.py::test_nacc_policies_as_written",
    ".venv/bin/nacc sweep sweeps/philly-korea.yaml --cpus 2": _SWEEP + " (75 cells of 2,000 jobs: a smaller grid there; the file itself: test_the_documented_sweep_file_is_shipped)",
    ".venv/bin/nacc trace generate --jobs 2000 --rate 4.5 --seed 0 --out out/gavel.trace": "tests/unit/sim/test_trace_generate.py::test_documented_commands_write_a_trace_the_simulator_replays",
    ".venv/bin/nacc plan --scenario scenarios/korea-2026.yaml --planning planning/korea-2030.yaml --out out/plan --what-if": "tests/unit/planning/test_plan_whatif.py::test_what_if_table_files_and_the_direction_of_each_change (about a minute of CPU with --what-if: walked by hand 2026-12-04)",
    ".venv/bin/python bench/portal_pages.py": "no test: a benchmark, measured by `make bench` (docs/benchmarks.md), not asserted",
    "nacc create-program --name \"초거대 AI 지원\" --description \"GPU vouchers\"": _OFFICER + " (the demo's ids differ)",
    "nacc open-call --program 1 --file call.yaml": _OFFICER + " (the demo's ids differ)",
    "nacc edit-call 1 --file edit.yaml": _CALLS + "::test_edit_and_close_a_call_as_documented (call 1 of the demo is decided)",
    "nacc edit-call 1 --title \"2027 상반기 공모 (연장)\" --closes-at 2027-02-28 --budget 60000": _CALLS + "::test_edit_and_close_a_call_as_documented (as above)",
    "nacc close-call 1": _CALLS + "::test_edit_and_close_a_call_as_documented (as above)",
    "nacc apply --call 1 --file proposal.yaml": _OFFICER + " (call 1 of the demo is closed)",
    "nacc assign-reviewer --call 1 --user 7": _OFFICER + " (as above)",
    "nacc review --proposal 3 --scores merit=8,feasibility=7 --comment \"...\"": _OFFICER + " (as above)",
    "nacc award --call 1 --preview": _OFFICER + " (as above)",
    "nacc award --call 1 --preview --override 3=reject:\"duplicate of another award\"": _OFFICER + " (as above)",
    "nacc award --call 1": _OFFICER + " (as above)",
    "nacc export kueue --scenario scenarios/korea-2026.yaml --awards awards.yaml --namespace nacc --out kueue": "tests/integration/k8s/test_kueue_export.py::test_export_applies_with_kubectl",
    "kubectl apply --validate=false -f kueue": "tests/integration/k8s/test_kueue_export.py::test_export_applies_with_kubectl (against a fake API server)",
    "nacc simulate --scenario scenarios/korea-2026.yaml --trace data/traces/philly.csv.gz --format philly --out out/whatif-b200 --load-scale 40000 --reservations scenarios/reservations/b200-768-six-months.yaml": "tests/unit/scenario/test_scenario_reservations.py::test_the_documented_what_if_command_runs_on_a_slice (" + _LONG + "it)",
    "nacc challenge create challenge.yaml": "tests/integration/api/test_cli_challenges.py::test_the_documented_commands (its test data must exist on the server's host)",
    "nacc challenge submit 1 --project 7 --model hf://team7/ko-llm-13b@step-42000": "tests/integration/api/test_cli_challenges.py::test_the_documented_commands (as above)",
    "nacc challenge entries 1 --project 7": "tests/integration/api/test_cli_challenges.py::test_the_documented_commands (as above)",
    "nacc challenge leaderboard 1": "tests/integration/api/test_cli_challenges.py::test_the_documented_commands (as above)",
    "nacc trace generate --jobs 500 --rate 3 --seed 0 --out traces/gavel-500.trace": "tests/unit/sim/test_trace_generate.py::test_documented_commands_write_a_trace_the_simulator_replays",
    "nacc simulate --scenario scenarios/gavel-108.yaml --trace traces/gavel-500.trace --format gavel --out out/gavel-500": "tests/unit/sim/test_trace_generate.py::test_documented_commands_write_a_trace_the_simulator_replays",
    "nacc sweep sweeps/philly-korea.yaml": _SWEEP + " (75 cells: a smaller grid there)",
    "nacc sweep sweeps/philly-korea.yaml --cpus 2": "tests/integration/sweep/test_sweep.py::test_ray_on_two_cpus_gives_the_serial_cells (a smaller grid)",
    "nacc sweep sweeps/philly-korea.yaml --address 127.0.0.1:26379": "tests/integration/sweep/test_sweep.py (needs a running Ray cluster: the same cells on a local one)",
    "nacc sweep sweeps/philly-korea.yaml --serial": _SWEEP,
    "nacc sweep sweeps/philly-korea.yaml --fresh": _SWEEP,
    ".venv/bin/pytest tests/integration/store -q": "tests/unit/test_docs_commands_listed.py::test_the_suite_is_what_make_test_runs (the suite's own folders)",
    ".venv/bin/pytest -n 0 tests/unit/cli -x": "tests/unit/test_docs_commands_listed.py::test_the_suite_is_what_make_test_runs (as above)",
    ".venv/bin/pytest -n 2 tests/integration/api": "tests/unit/test_docs_commands_listed.py::test_the_suite_is_what_make_test_runs (as above)",
    ".venv/bin/pytest -n 2 --durations=30": "tests/unit/test_docs_commands_listed.py::test_the_suite_is_what_make_test_runs (as above)",
}  # fmt: skip


def placed(d: Documented) -> str:
    """The test that runs ``d`` as written ("here": tests/integration/test_docs_commands.py);
    "" when none does."""
    if d.doc == "README.md" and d.first.startswith("nacc login"):
        return _README
    if d.line in ELSEWHERE:
        return ELSEWHERE[d.line]
    return "here" if d.doc in ON_DEMO else ""


def on_demo() -> list[Documented]:
    """What tests/integration/test_docs_commands.py runs, in document order."""
    return [d for d in documented() if placed(d) == "here"]
