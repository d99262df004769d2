"""`nacc sweep sweep.yaml`: scenarios x policies x loads x seeds, serially or on Ray."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from nacc.cli.client import marked_error
from nacc.domain.errors import NaccError

console = Console(width=132, soft_wrap=True)
err_console = Console(stderr=True)


def sweep_command(
    file: Annotated[Path, typer.Argument(help="the sweep file (docs/simulator.md, 'Sweeps')")],
    out: Annotated[Path | None, typer.Option("--out", help="output folder (default: the "
                                             "file's `out`)")] = None,
    serial: Annotated[bool, typer.Option("--serial", help="run the cells one by one in this "
                                         "process, without Ray")] = False,
    address: Annotated[str | None, typer.Option("--address", help="a running Ray cluster "
                                                "(default: RAY_ADDRESS, else a local Ray)")]
    = None,
    cpus: Annotated[int | None, typer.Option("--cpus", min=1, max=4096, help="CPUs of the local "
                                             "Ray (default: all)")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="rerun every cell, even finished ones")]
    = False,
) -> None:  # fmt: skip
    """Run a grid of simulations; finished cells are kept and skipped on a rerun."""
    from nacc.sim import sweep as sw
    from nacc.sim import sweep_report, sweep_run

    try:
        grid = sw.load_sweep(file, out)
    except (NaccError, ValueError) as exc:
        err_console.print(marked_error(exc), soft_wrap=True)
        raise typer.Exit(2) from None
    kept = {} if fresh else sw.done_cells(grid)
    todo = [c for c in grid.cells if c.key not in kept]
    results: dict[str, dict[str, Any]] = dict(kept)
    where = _say("sweep.serial") if serial else (address or os.environ.get("RAY_ADDRESS")
                                                  or _say("sweep.local_ray"))  # fmt: skip
    console.print(_say("sweep.start", name=grid.name, cells=len(grid.cells), kept=len(kept),
                       todo=len(todo), where=where, out=grid.out), markup=False)  # fmt: skip
    start = time.perf_counter()
    info: dict[str, Any] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err_console) as bar:
        task = bar.add_task("cells", total=len(grid.cells), completed=len(kept))

        def done(result: dict[str, Any]) -> None:
            sw.write_cell(grid, result)
            results[result["key"]] = result
            bar.update(task, advance=1, description=result["key"])

        if todo and serial:
            sweep_run.run_serial(todo, done)
        elif todo:
            info = sweep_run.run_ray(todo, done, address, cpus)
    wall = time.perf_counter() - start
    ordered = [results[c.key] for c in grid.cells]
    table = sweep_report.rows(ordered)
    files = sweep_report.write_table(grid.out, table) + sweep_report.plot(grid.out, ordered)
    _print(table)
    _print_programs(table, sweep_report.programs(ordered))
    ray_said = _say("sweep.on_ray", cpus=f"{info['cpus']:g}", nodes=info["nodes"]) if info else ""
    console.print(_say("sweep.done", todo=len(todo), seconds=f"{wall:.1f}", ray=ray_said,
                       files=", ".join(str(f) for f in files)), markup=False)  # fmt: skip


def _print(table: list[dict[str, Any]]) -> None:
    """Mean over seeds per scenario, policy and load."""
    groups: dict[tuple[str, str, float], list[dict[str, Any]]] = {}
    for row in table:
        groups.setdefault((row["scenario"], row["policy"], row["load"]), []).append(row)
    out = Table(title=_say("sweep.title"))
    for col in ("scenario", "policy", "load", "seeds", "wait", "jct", "p99", "lb", "busy",
                "jain"):  # fmt: skip
        out.add_column(_say(f"sweep.col.{col}"),
                       justify="left" if col in ("scenario", "policy") else "right")  # fmt: skip
    for (scenario, policy, load), rows in sorted(groups.items()):

        def span(key: str, scale: float = 1 / 3600, rows: list[dict[str, Any]] = rows) -> str:
            return _span([r[key] * scale for r in rows])

        lb = [
            r["avg_jct_s"] / r["lower_bound_avg_jct_s"] for r in rows if r["lower_bound_avg_jct_s"]
        ]
        out.add_row(scenario, policy, f"{load:g}", str(len(rows)), span("avg_queue_s"),
                    span("avg_jct_s"), span("p99_jct_s"),
                    f"{sum(lb) / len(lb):.2f}" if lb else "", span("utilization", 100.0),
                    span("jain_fairness", 1.0))  # fmt: skip
    console.print(out)


def _span(vals: list[float]) -> str:
    mean = sum(vals) / len(vals)
    return f"{mean:,.2f}" if len(vals) == 1 else f"{mean:,.2f} ({min(vals):,.2f}-{max(vals):,.2f})"


def _print_programs(table: list[dict[str, Any]], programs: list[str]) -> None:
    """p50 and p95 wait per program (h), mean over seeds, where the jobs have programs."""
    if not programs or programs == ["default"]:
        return
    out = Table(title=_say("sweep.programs_title"))
    for col in ("scenario", "policy", "load", "program", "p50_wait", "p95_wait"):
        out.add_column(
            _say(f"sweep.col.{col}"),
            justify="right" if col in ("load", "p50_wait", "p95_wait") else "left",
        )
    groups: dict[tuple[str, str, float], list[dict[str, Any]]] = {}
    for row in table:
        groups.setdefault((row["scenario"], row["policy"], row["load"]), []).append(row)
    for (scenario, policy, load), rows in sorted(groups.items()):
        for program in programs:
            cells = [[r[f"{k}.{program}"] / 3600 for r in rows
                      if r.get(f"{k}.{program}") is not None]
                     for k in ("p50_wait_s", "p95_wait_s")]  # fmt: skip
            if cells[0]:
                out.add_row(scenario, policy, f"{load:g}", program, _span(cells[0]),
                            _span(cells[1]))  # fmt: skip
    console.print(out)


def _say(key: str, **params: object) -> str:
    from nacc.cli import words
    from nacc.cli.say import language

    return words.say(language(), key, **params)


def register(app: typer.Typer) -> None:
    app.command(name="sweep")(sweep_command)
