"""`nacc ledger verify`: prove the journal balances and matches metered usage."""

from __future__ import annotations

import typer
from rich.console import Console

ledger = typer.Typer(help="The credit ledger.", no_args_is_help=True)
console = Console(width=132, soft_wrap=True)


@ledger.command()
def verify() -> None:
    """Check the journal in NACC_DATABASE_URL (else the SQLite default); exit 1 if not OK."""
    from nacc.bootstrap import Settings, build_services  # here: client commands start fast
    from nacc.service.reports import verify_ledger

    report = verify_ledger(build_services(Settings()))
    for line in report.lines():
        console.print(line, markup=False)
    if not report.ok:
        raise typer.Exit(1)
