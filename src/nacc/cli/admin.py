"""Commands on the server's own database (run where the server runs; same settings:
``NACC_DATABASE_URL``, else SQLite at ``$NACC_HOME/nacc.db``):

- ``nacc admin init``: the first operator of a fresh (non-demo) install and its token,
  printed once; refused once an operator exists.
- ``nacc ledger verify`` refuses a database that does not exist or holds no nacc tables
  (``database_exists``) rather than create one and prove it empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from nacc import i18n
from nacc.cli import client, words
from nacc.domain.reasons import Code, Reason

admin_app = typer.Typer(help="the server's database: first operator", no_args_is_help=True)
console = Console(width=132, soft_wrap=True)
err = Console(stderr=True, soft_wrap=True, highlight=False)


def _say(code: Code, **params: str) -> str:
    return i18n.render(Reason.of(code, **params), client.language())


def database_exists(url: str) -> bool:
    """Whether ``url`` names a database that already holds nacc's tables (without
    creating it: SQLite would make an empty file on connect)."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        name = parsed.database or ""
        if not name or name == ":memory:" or not Path(name).is_file():
            return False
        if Path(name).stat().st_size == 0:
            return False
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return sa.inspect(conn).has_table("journal_entries")
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def shown_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def refuse_missing(url: str) -> None:
    """Exit 2 with the coded reason if ``url`` holds no nacc database."""
    if not database_exists(url):
        said = _say(Code.LEDGER_DATABASE_EMPTY, database=shown_url(url))
        err.print(words.say(client.language(), "error.line", message=said), markup=False)
        raise typer.Exit(2)


@admin_app.command("init")
def init(
    name: Annotated[str, typer.Option("--name", help="the operator's name")],
    email: Annotated[str, typer.Option("--email", help="the operator's e-mail")],
) -> None:
    """Create the first operator of this install and print its API token once."""
    from nacc.bootstrap import Settings, build_services, first_operator

    svc = build_services(Settings())  # migrates (creates) the database if needed
    with svc.unit() as uow:
        existing = uow.people.users_with_role("operator")
    if existing:
        names = ", ".join(f"{u.name} <{u.email}>" for u in existing)
        client.fail("error.operator_exists", names=names)
    secret = first_operator(svc, name.strip(), email.strip())
    console.print(_say(Code.FIRST_OPERATOR, name=name, email=email), markup=False)
    console.print(secret, markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(admin_app, name="admin")
