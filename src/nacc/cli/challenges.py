"""``nacc challenge create|edit|submit|entries|leaderboard``: challenge tracks over the
HTTP API. Officers create from a YAML (or JSON) file, teams submit entries, anyone
signed in to the CLI reads the board (the API's board needs no token). Results print as
JSON; the board as a table (``--json`` for JSON). Refusals (quota with its reset time)
in the CLI's language, exit 2."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from nacc.cli.client import _call, console, fail

challenge_app = typer.Typer(help="challenge tracks: create, submit, entries, leaderboard",
                            no_args_is_help=True)  # fmt: skip

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def _plain(value: Any) -> Any:
    """YAML's own types as JSON: times as ISO text (a time without zone is refused by
    the API, naming the field)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def read_file(path: Path) -> dict[str, Any]:
    """The challenge file as the API's body; exits 2 naming the file if unreadable."""
    import yaml

    try:
        body = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        fail("error.file_unreadable", file=path, error=error)
    except yaml.YAMLError as error:
        fail("error.file_yaml", file=path, error=error)
    if not isinstance(body, dict):
        fail("error.file_mapping", file=path, what="name, program_id, phases, ...")
    reset = body.get("reset_time")
    if isinstance(reset, int) and not isinstance(reset, bool):  # YAML 1.1 read 00:00 as 0
        body["reset_time"] = f"{reset // 60:02d}:{reset % 60:02d}"
    return dict(_plain(body))


@challenge_app.command("create")
def create(
    file: Annotated[Path, typer.Argument(help="challenge YAML or JSON")], as_json: JsonOpt = True
) -> None:
    """Create a challenge (officers of its program); prints it as JSON."""
    console.print_json(data=_call("POST", "/challenges", read_file(file)))


@challenge_app.command("edit")
def edit(
    challenge: Annotated[int, typer.Argument(help="challenge id")],
    file: Annotated[Path, typer.Argument(help="the settings, as for create")],
    as_json: JsonOpt = True,
) -> None:
    """Replace a challenge's settings (name, program and budget stay)."""
    body = {k: v for k, v in read_file(file).items()
            if k not in ("name", "program_id", "budget_credits")}  # fmt: skip
    console.print_json(data=_call("PUT", f"/challenges/{challenge}", body))


@challenge_app.command("submit")
def submit(
    challenge: Annotated[int, typer.Argument(help="challenge id")],
    project: Annotated[int, typer.Option("--project", help="your team's project id")],
    model: Annotated[str, typer.Option("--model", help="model or checkpoint reference")],
    as_json: JsonOpt = True,
) -> None:
    """Submit an entry; prints it as JSON (over quota: when the quota resets)."""
    body = {"project_id": project, "model_ref": model}
    console.print_json(data=_call("POST", f"/challenges/{challenge}/entries", body))


@challenge_app.command("entries")
def entries(
    challenge: Annotated[int, typer.Argument(help="challenge id")],
    project: Annotated[int | None, typer.Option("--project", help="a team's entries")] = None,
    as_json: JsonOpt = True,
) -> None:
    """A team's entries (or, for officers, every entry) as JSON."""
    params = {"project_id": project} if project is not None else None
    console.print_json(data=_call("GET", f"/challenges/{challenge}/entries", params=params))


@challenge_app.command("leaderboard")
def leaderboard(
    challenge: Annotated[int, typer.Argument(help="challenge id")],
    phase: Annotated[str | None, typer.Option("--phase", help="default: the current")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The leaderboard: public scores while the phase is open, private after."""
    params = {"phase": phase} if phase is not None else None
    board = _call("GET", f"/challenges/{challenge}/leaderboard", params=params)
    if as_json:
        console.print_json(data=board)
        return
    starts = datetime.fromisoformat(board["phase_starts_at"])
    state = (
        "closed" if board["closed"] else "open" if starts <= datetime.now(UTC) else "not started"
    )
    table = Table(title=f"{board['title']} · {board['phase']} ({state}, {board['split']} "
                        f"scores, {board['primary_metric']} {board['direction']})")  # fmt: skip
    for column in ("rank", "team", "entry", board["primary_metric"], "submitted"):
        table.add_column(column)
    for row in board["rows"]:
        table.add_row(str(row["rank"]), row["team_name"], str(row["entry_id"]),
                      f"{row['score']:g}", row["submitted_at"])  # fmt: skip
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(challenge_app, name="challenge")
