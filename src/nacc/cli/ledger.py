"""`nacc ledger verify`: prove the journal balances and matches metered usage."""

from __future__ import annotations

import typer
from rich.console import Console

ledger = typer.Typer(help="The credit ledger.", no_args_is_help=True)
console = Console(width=132, soft_wrap=True)


@ledger.command()
def verify() -> None:
    """Check the journal of the server's database (NACC_DATABASE_URL, else SQLite at
    $NACC_HOME/nacc.db, as `nacc serve`); exit 1 if not OK, 2 if there is no database."""
    from nacc.bootstrap import Settings, build_services  # here: client commands start fast
    from nacc.cli.admin import refuse_missing, shown_url
    from nacc.service.reports import verify_ledger

    settings = Settings()
    refuse_missing(settings.database_url)
    console.print(f"database: {shown_url(settings.database_url)}", markup=False)
    report = verify_ledger(build_services(settings))
    for line in report.lines():
        console.print(line, markup=False)
    if not report.ok:
        raise typer.Exit(1)
