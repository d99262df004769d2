"""``nacc reservation book|list|cancel``: capacity blocks over the HTTP API (program
officers and operators book and cancel; anyone signed in lists). Lists print as JSON;
refusals (an overlap names the other block) in the CLI's language."""

from __future__ import annotations

from typing import Annotated

import typer

from nacc.cli.client import JsonOpt, _call, console

reservation_app = typer.Typer(help="capacity blocks: book, list, cancel", no_args_is_help=True)


@reservation_app.command("book")
def book(
    name: Annotated[str, typer.Option("--name", help="block id, e.g. llm-b200-2026")],
    count: Annotated[int, typer.Option("--count", help="accelerators")],
    start: Annotated[str, typer.Option("--start", help="ISO time with zone: 2027-01-01T00:00Z")],
    end: Annotated[str, typer.Option("--end", help="ISO time with zone")],
    project: Annotated[list[int], typer.Option("--project", help="project id it serves (repeat)")],
    pool: Annotated[str | None, typer.Option("--pool", help="pool id")] = None,
    accelerator: Annotated[str | None, typer.Option("--accelerator", help="or a type")] = None,
    charge: Annotated[str, typer.Option("--charge", help="capacity | use_plus_idle")] = "capacity",
    idle_fee: Annotated[float, typer.Option("--idle-fee", help="0..1 (use_plus_idle)")] = 0.0,
    as_json: JsonOpt = True,
) -> None:  # fmt: skip
    """Book a block; prints it as JSON."""
    body = {"name": name, "count": count, "start": start, "end": end, "projects": project,
            "charge": charge, "idle_fee": idle_fee}  # fmt: skip
    if pool is not None:
        body["pool_id"] = pool
    if accelerator is not None:
        body["accelerator"] = accelerator
    console.print_json(data=_call("POST", "/reservations", body))


@reservation_app.command("list")
def listed(
    all_: Annotated[bool, typer.Option("--all", help="cancelled ones too")] = False,
    as_json: JsonOpt = True,
) -> None:
    """Booked blocks by start, as JSON."""
    params = {"include_cancelled": "true"} if all_ else None
    console.print_json(data=_call("GET", "/reservations", params=params))


@reservation_app.command("cancel")
def cancel(
    block: Annotated[int, typer.Argument(help="block id (nacc reservation list)")],
    as_json: JsonOpt = True,
) -> None:
    """Cancel a block: its capacity is free for every job again."""
    console.print_json(data=_call("POST", f"/reservations/{block}/cancel"))


def register(app: typer.Typer) -> None:
    app.add_typer(reservation_app, name="reservation")
