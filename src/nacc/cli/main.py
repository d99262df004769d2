"""`nacc` command line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from nacc import i18n
from nacc.cli import (
    access,
    admin,
    challenges,
    client,
    datasets,
    notify,
    officer,
    plan,
    reservations,
    shares,
    sweep,
    trace,
    usercmds,
    whatif,
    words,
)
from nacc.cli.export import export
from nacc.cli.ledger import ledger
from nacc.cli.serve import serve
from nacc.cli.usage import NaccGroup
from nacc.domain.errors import NaccError

if TYPE_CHECKING:
    from nacc.sim import study

# Simulation, planning and serving import their heavy modules (plotting, the solver, the
# web stack) inside their commands, so client commands (`nacc submit`, ...) start fast.
app = typer.Typer(help="nacc: national AI computing center software.", no_args_is_help=True,
                  cls=NaccGroup)  # fmt: skip
console = Console(width=132)
err_console = Console(stderr=True)

ScenarioOpt = Annotated[Path, typer.Option("--scenario", help="scenario YAML")]
TraceOpt = Annotated[Path, typer.Option("--trace", help="trace file")]
FormatOpt = Annotated[str, typer.Option("--format", help="philly | gavel | gavel-legacy | csv")]
OutOpt = Annotated[Path, typer.Option("--out", help="output directory")]
LoadOpt = Annotated[float, typer.Option("--load-scale", help="divide inter-arrival times by X")]
SeedOpt = Annotated[int, typer.Option("--seed")]
RestartOpt = Annotated[
    float | None,
    typer.Option(
        "--restart-cost-s",
        help="checkpoint/restart cost of a preempted job; default: the scenario's "
        "restart_cost_s, else 30 s",
    ),
]
NoiseOpt = Annotated[float, typer.Option("--runtime-noise", help="CV of run-speed noise")]
CycleOpt = Annotated[
    float,
    typer.Option(
        "--cycle-s",
        help="scheduling cycle: event-driven policies decide at most once per cycle "
        "(a live engine ticks on a timer); 0 = after every event",
    ),
]
MapOpt = Annotated[
    str | None, typer.Option("--map", "--column-map", help="csv: submit=COL,duration=COL,...")
]
UnitOpt = Annotated[str, typer.Option("--time-unit", help="csv time unit: s|ms|us")]
SkipOpt = Annotated[bool, typer.Option("--skip-invalid", help="skip malformed rows, count them")]
LimitOpt = Annotated[int | None, typer.Option("--limit", help="first N jobs only")]
ClassMixOpt = Annotated[
    str | None,
    typer.Option(
        "--class-mix",
        help="job classes by share, e.g. inference=30,fine-tuning=70 "
        "(replaces the classes the trace reader assumed)",
    ),
]
ProgramMixOpt = Annotated[
    str | None,
    typer.Option(
        "--program-mix",
        help="programs by share, e.g. llm=2,academia=1: each "
        "project's jobs go to one program, for the report's waits by program",
    ),
]
OfferedOpt = Annotated[
    float | None,
    typer.Option(
        "--offered-load",
        help="the offered utilisation to run at, e.g. 0.8: picks "
        "the load scale (instead of --load-scale); see docs/simulator.md",
    ),
]
ReservationsOpt = Annotated[
    Path | None, typer.Option("--reservations", help="reservations YAML (capacity blocks)")
]


LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="ko | en: language of messages and of the server's answers; "
        "default from LC_ALL / LC_MESSAGES / LANG (ko_KR.UTF-8 -> ko), else en",
    ),
]


@app.callback()
def _global(lang: LangOpt = None) -> None:
    """nacc: national AI computing center software."""
    chosen = i18n.language(lang) if lang else None
    client.set_language(chosen)  # a refused --lang: the error in the terminal's language
    if lang and chosen is None:
        client.fail("error.lang", known=", ".join(i18n.LANGUAGES), value=repr(lang))


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except (NaccError, ValueError, FileNotFoundError) as exc:
        # The message quotes user input (paths, column names): print it as text, not Rich
        # markup, and unwrapped, so "file:line" stays whole on any terminal width.
        err_console.print(client.marked_error(exc), soft_wrap=True)
        raise typer.Exit(2) from None


def _input(scenario: Path, trace: Path, fmt: str, mapping: str | None, unit: str, skip: bool,
           limit: int | None, load: float, seed: int, restart: float | None, noise: float,
           cycle: float) -> study.StudyInput:  # fmt: skip
    from nacc.sim import study
    from nacc.sim.experiment import SimConfig
    from nacc.sim.traces import ReadOptions, parse_column_map

    column_map = parse_column_map(mapping) if mapping else None
    opts = ReadOptions(time_unit=unit, column_map=column_map, skip_invalid=skip, limit=limit)
    cfg = SimConfig(load_scale=load, seed=seed, restart_cost_s=restart, runtime_noise=noise,
                    cycle_s=cycle)  # fmt: skip
    return study.StudyInput(scenario, trace, fmt, opts, cfg)


@contextmanager
def _progress() -> Iterator[Callable[[str, int], Callable[[int, int], None]]]:
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    ) as bar:  # fmt: skip

        def factory(label: str, total: int) -> Callable[[int, int], None]:
            task = bar.add_task(label, total=total)
            step = max(1, total // 200)
            last = [-1]

            def update(done: int, _total: int) -> None:
                if done - last[0] >= step or done == _total:
                    last[0] = done
                    bar.update(task, completed=done)

            return update

        yield factory


def _mixes(class_mix: str | None, program_mix: str | None) -> dict[str, Any]:
    """--class-mix / --program-mix parsed (errors name the flag and the entry)."""
    from nacc.sim import mix

    return {
        "class_mix": mix.parse_class_mix(class_mix) if class_mix else None,
        "program_mix": mix.parse_mix(program_mix, "--program-mix") if program_mix else None,
    }


def _offered(offered_load: float | None, load_scale: float) -> float | None:
    """--offered-load, refused beside a --load-scale other than 1 (one of the two sets it)."""
    if offered_load is not None and load_scale != 1.0:
        client.fail("error.offered_both")
    if offered_load is not None and not 0 < offered_load <= 10:
        client.fail("error.offered_range", value=offered_load)
    return offered_load


def _run_many(inp: study.StudyInput, names: list[str], out: Path) -> list[dict[str, Any]]:
    from dataclasses import replace

    from nacc.sim import report, study

    loaded = study.load(inp)
    cfg, offered = study.resolve_load(inp, loaded)
    inp = replace(inp, sim=cfg)
    said = _say(
        "sim.loaded",
        jobs=f"{len(loaded.trace.jobs):,}",
        trace=inp.trace,
        zero_gpu=loaded.trace.skipped_zero_gpu,
        invalid=loaded.trace.skipped_invalid,
        accelerators=f"{sum(p.count for p in loaded.pools):,}",
        pools=len(loaded.pools),
    )
    console.print(said + _say("sim.offered", offered=f"{offered:.1%}",
                              scale=f"{cfg.load_scale:,.4g}"), markup=False)  # fmt: skip
    results, runs = [], []
    with _progress() as factory:
        for name in names:
            res, run = study.run_policy(
                name, loaded, inp.sim, progress=factory(f"{name:>6}", len(loaded.trace.jobs))
            )
            results.append(res)
            runs.append(run)
    title = _say("sim.report_title", trace=inp.trace.name, scenario=inp.scenario.name)
    report.write_report(out, title, results, runs, client.language(), inp.mixes())
    return results


_COLUMNS = ("policy", "completed", "avg_jct_s", "p50_jct_s", "p99_jct_s", "avg_queue_s",
            "makespan_s", "jain_fairness", "domestic_share", "wall_s", "events_per_s")  # fmt: skip
"""The result fields the table shows; headers are ``sim.col.<field>`` in ``cli.po``."""


def _say(key: str, **params: object) -> str:
    return words.say(client.language(), key, **params)


def _table(results: list[dict[str, Any]]) -> Table:
    from nacc.sim import report

    table = Table(title=_say("sim.title"))
    for c in _COLUMNS:
        table.add_column(_say(f"sim.col.{c}"), justify="right")
    for r in results:
        table.add_row(*[report._cell(r[c]) for c in _COLUMNS])
    if results:
        lb = results[0]["lower_bound_avg_jct_s"]
        table.caption = _say("sim.caption", bound=f"{lb:,.0f}")
    return table


@app.command()
def simulate(scenario: ScenarioOpt, trace: TraceOpt, format: FormatOpt, out: OutOpt,
             policy: Annotated[str, typer.Option("--policy")] = "nacc",
             load_scale: LoadOpt = 1.0, seed: SeedOpt = 0, restart_cost_s: RestartOpt = None,
             runtime_noise: NoiseOpt = 0.0, map: MapOpt = None, time_unit: UnitOpt = "s",
             skip_invalid: SkipOpt = False, limit: LimitOpt = None,
             cycle_s: CycleOpt = 5.0, reservations: ReservationsOpt = None,
             class_mix: ClassMixOpt = None, program_mix: ProgramMixOpt = None,
             offered_load: OfferedOpt = None) -> None:  # fmt: skip
    """Replay a trace on a scenario under one policy; writes results.json and a report.
    With reservations (the scenario's or --reservations), also runs without them and
    reports others' average and p95 wait both ways (whatif.json, blocks_wait.png)."""
    from dataclasses import replace

    from nacc.sim import study

    with _errors():
        study.validate_policies([policy])
        inp = _input(scenario, trace, format, map, time_unit, skip_invalid, limit, load_scale,
                     seed, restart_cost_s, runtime_noise, cycle_s)  # fmt: skip
        inp = replace(
            inp,
            reservations=reservations,
            **_mixes(class_mix, program_mix),
            offered_load=_offered(offered_load, load_scale),
        )
        results = _run_many(inp, [policy], out)
        study.write_json(out / "results.json", results[0])
    console.print(_table(results))
    if "blocks" in results[0]:
        with _errors():
            whatif.run(inp, policy, results[0], out, console)
    console.print(_say("sim.results", results=out / "results.json", report=out / "report.html"),
                  markup=False)  # fmt: skip


@app.command()
def compare(scenario: ScenarioOpt, trace: TraceOpt, format: FormatOpt, out: OutOpt,
            policies: Annotated[str, typer.Option("--policies")] = "fifo,slurm,las,gavel,nacc",
            load_scale: LoadOpt = 1.0, seed: SeedOpt = 0, restart_cost_s: RestartOpt = None,
            runtime_noise: NoiseOpt = 0.0, map: MapOpt = None, time_unit: UnitOpt = "s",
            skip_invalid: SkipOpt = False, limit: LimitOpt = None,
            cycle_s: CycleOpt = 5.0, class_mix: ClassMixOpt = None,
            program_mix: ProgramMixOpt = None,
            offered_load: OfferedOpt = None) -> None:  # fmt: skip
    """Run several policies on the same input; writes comparison.json and plots."""
    from dataclasses import replace

    from nacc.sim import study

    with _errors():
        names = study.validate_policies([p.strip() for p in policies.split(",") if p.strip()])
        if not names:
            client.fail("error.policies_list", value=repr(policies))
        inp = _input(scenario, trace, format, map, time_unit, skip_invalid, limit, load_scale,
                     seed, restart_cost_s, runtime_noise, cycle_s)  # fmt: skip
        inp = replace(
            inp, **_mixes(class_mix, program_mix), offered_load=_offered(offered_load, load_scale)
        )
        results = _run_many(inp, names, out)
        study.write_json(out / "comparison.json", results)
    console.print(_table(results))
    console.print(_say("sim.comparison", comparison=out / "comparison.json",
                       report=out / "report.html"), markup=False)  # fmt: skip


@app.command()
def policies() -> None:
    """List the registered scheduling policies."""
    from nacc.scheduling.policies.registry import builtin_policies

    for name in builtin_policies().names():
        console.print(name)


@app.command()
def demo(out: OutOpt = Path("out/demo")) -> None:
    """The demo simulation `make run` starts: a Philly slice on the Korea 2026 fleet."""
    from nacc.sim import study
    from nacc.sim.demo import demo_input

    with _errors():
        inp, names = demo_input()
        results = _run_many(inp, names, out)
        study.write_json(out / "comparison.json", results)
    console.print(_table(results))
    console.print(_say("sim.demo", report=out / "report.html", results=out / "comparison.json"),
                  markup=False)  # fmt: skip


app.command()(serve)
client.register(app)
access.register(app)
usercmds.register(app)
shares.register(app)
sweep.register(app)
officer.register(app)
admin.register(app)
app.add_typer(ledger, name="ledger")
app.add_typer(export, name="export")
plan.register(app)
reservations.register(app)
notify.register(app)
challenges.register(app)
datasets.register(app)
trace.register(app)


def main() -> None:  # pragma: no cover
    app()
