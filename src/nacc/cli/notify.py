"""``nacc notify prefs|test|notices|sweep|overdue|accept-report``: notification
preferences and the award life cycle over the HTTP API. Answers print as JSON; refusals
in the CLI's language."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nacc.cli.client import JsonOpt, _call, console

notify_app = typer.Typer(help="notices: preferences, a test, the sweep, overdue reports",
                         no_args_is_help=True)  # fmt: skip


def _csv(text: str | None) -> list[str] | None:
    return None if text is None else [p.strip() for p in text.split(",") if p.strip()]


@notify_app.command("prefs")
def prefs(
    lang: Annotated[str | None, typer.Option("--lang", help="en | ko")] = None,
    kinds: Annotated[str | None, typer.Option("--kinds", help="comma-separated kinds")] = None,
    channels: Annotated[str | None, typer.Option("--channels", help="email,webhook")] = None,
    email: Annotated[str | None, typer.Option("--email", help="'' = the account's")] = None,
    webhook: Annotated[str | None, typer.Option("--webhook", help="URL; '' removes it")] = None,
    secret: Annotated[str | None, typer.Option("--secret", help="webhook secret (16+)")] = None,
    as_json: JsonOpt = True,
) -> None:  # fmt: skip
    """Show your preferences, or change those given."""
    body: dict[str, Any] = {k: v for k, v in {
        "lang": lang, "kinds": _csv(kinds), "channels": _csv(channels), "email": email,
        "webhook_url": webhook, "webhook_secret": secret}.items() if v is not None}  # fmt: skip
    data = _call("PUT", "/me/notify", body) if body else _call("GET", "/me/notify")
    console.print_json(data=data)


@notify_app.command("test")
def test(as_json: JsonOpt = True) -> None:
    """Send yourself a test notice on each of your channels now."""
    console.print_json(data=_call("POST", "/me/notify/test"))


@notify_app.command("notices")
def notices(limit: Annotated[int, typer.Option("--limit")] = 20, as_json: JsonOpt = True) -> None:
    """Your latest notices with their delivery state."""
    console.print_json(data=_call("GET", "/me/notices", params={"limit": limit}))


@notify_app.command("sweep")
def sweep(as_json: JsonOpt = True) -> None:
    """(operators) Detect events, return expired credits and deliver the outbox now."""
    console.print_json(data=_call("POST", "/notify/sweep"))


@notify_app.command("overdue")
def overdue(
    program: Annotated[int | None, typer.Option("--program")] = None, as_json: JsonOpt = True
) -> None:
    """(officers) Progress reports past their date and not accepted."""
    params = None if program is None else {"program_id": program}
    console.print_json(data=_call("GET", "/progress-reports/overdue", params=params))


@notify_app.command("accept-report")
def accept_report(
    project: Annotated[int, typer.Argument(help="project id")],
    report: Annotated[int, typer.Argument(help="report number (1, 2, 3)")],
    as_json: JsonOpt = True,
) -> None:
    """(officers) Accept a project's progress report."""
    console.print_json(data=_call("POST", f"/projects/{project}/progress-reports/{report}/accept"))


def register(app: typer.Typer) -> None:
    app.add_typer(notify_app, name="notify")
