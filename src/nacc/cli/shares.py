"""`nacc shares`: the fair-share tree (program -> organisation -> project), like sshare."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from nacc import i18n
from nacc.cli.client import JsonOpt, _call, console, emit, language
from nacc.domain.reasons import Code, Reason


def _num(value: Any, digits: int = 4) -> str:
    return "inf" if value is None else f"{value:.{digits}f}"


def shares(
    half_life: Annotated[float, typer.Option("--half-life", min=60,
                                             help="usage half-life in seconds (default 7 days)")]
    = 7 * 86400.0,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Fair share per program, organisation and project (Slurm's Fair Tree): shares,
    decayed usage and each project's factor (1 ranks first)."""
    got = _call("GET", "/shares", params={"half_life_s": half_life})
    if as_json:
        emit(got)
        return
    title = i18n.render(Reason.of(Code.SHARES_TITLE, half_life_s=got["half_life_s"],
                                  rows=len(got["rows"])), language())  # fmt: skip
    table = Table(title=title)
    for col in (
        "Account",
        "RawShares",
        "NormShares",
        "EffShare",
        "RawUsage",
        "NormUsage",
        "LevelFS",
        "FairShare",
    ):  # sshare's columns (EffShare: of the whole fleet)
        table.add_column(col, justify="left" if col == "Account" else "right")
    for r in got["rows"]:
        factor = "" if r["factor"] is None else f"{r['factor']:.4f}"
        table.add_row(Text("  " * r["depth"] + r["name"]), f"{r['raw_shares']:g}",
                      _num(r["norm_shares"]), _num(r["effective_share"]), f"{r['usage']:,.2f}",
                      _num(r["norm_usage"]), _num(r["level_fs"], 3), factor)  # fmt: skip
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(shares)
