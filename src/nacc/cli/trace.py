"""``nacc trace generate``: Gavel-style synthetic traces (``nacc.sim.traces.generate``).

Writes Gavel's 10-field trace format, read by ``nacc simulate --format gavel``; prints
the offered load on the ``gavel-108`` fleet so a rate can be chosen by utilisation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from nacc.cli import client

trace_app = typer.Typer(help="synthetic job traces", no_args_is_help=True)
console = Console(width=132)
err_console = Console(stderr=True)


@trace_app.command("generate")
def generate(
    out: Annotated[Path, typer.Option("--out", help="trace file to write")],
    jobs: Annotated[int, typer.Option("--jobs", help="number of jobs, 1..1,000,000")] = 2000,
    rate: Annotated[float, typer.Option("--rate", help="Poisson arrivals, jobs per hour")] = 2.0,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Single-GPU jobs of Gavel's job types, Poisson arrivals, Gavel's duration draw."""
    from nacc.sim.traces import generate as gen

    try:
        written = gen.write(out, jobs, rate, seed)
    except (ValueError, OSError) as exc:
        err_console.print(client.marked_error(exc), soft_wrap=True)
        raise typer.Exit(2) from None
    mean_h = gen.mean_duration_s() / 3600.0
    console.print(
        f"wrote {written:,} jobs to {out} (rate {rate:g}/h, seed {seed}); offered work "
        f"{rate * mean_h:.1f} V100-hours per hour (mean run {mean_h:.1f} h on a V100)",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(trace_app, name="trace")
