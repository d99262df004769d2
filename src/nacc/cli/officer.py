"""The program officer's commands beyond listing: ``create-program``, ``open-call``
(a call file, YAML or JSON), ``close-call``, ``edit-call`` (a call file's fields and/or
options) and ``award`` (decide a call, or ``--preview`` what the
decision would award and the budget it would use, committing nothing; overrides with
reasons as in the portal).

``apply``, ``assign-reviewer`` and ``programs`` are in ``nacc.cli.usercmds``; ``calls``,
``proposals`` and ``review`` in ``nacc.cli.client``.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from nacc.cli import words
from nacc.cli.client import (
    JsonOpt,
    _call,
    console,
    emit,
    fail,
    language,
    read_mapping,
    reason_text,
)


def create_program(
    name: Annotated[str, typer.Option("--name")],
    description: Annotated[str, typer.Option("--description")] = "",
    as_json: JsonOpt = False,
) -> None:
    """(Officers, operators) create an allocation program."""
    got = _call("POST", "/programs", {"name": name, "description": description})
    if as_json:
        emit(got)
    else:
        console.print(words.say(language(), "program.created", id=got["id"], name=got["name"]),
                      markup=False)  # fmt: skip


def _plain(value: Any) -> Any:
    """YAML's dates and numbers as the API reads them (ISO text, decimal strings)."""
    if isinstance(value, datetime):
        return value.isoformat() if value.tzinfo else value.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat() + "T00:00:00Z"
    return value


def open_call(
    program: Annotated[int, typer.Option("--program")],
    file: Annotated[Path, typer.Option("--file", help="call (YAML or JSON): title, opens_at, "
                                       "closes_at, review_opens_at, review_closes_at, "
                                       "budget_credits, criteria, min_score, "
                                       "eligible_org_kinds, sector_tags, blind")],
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """(Officers) open a call for proposals in a program from a call file."""
    body = _call_body(read_mapping(file, "title, opens_at, ..."))
    got = _call("POST", f"/programs/{program}/calls", body)
    if as_json:
        emit(got)
    else:
        console.print(words.say(language(), "call.opened", id=got["id"], title=got["title"],
                                closes=got["closes_at"]), markup=False)  # fmt: skip


def close_call(
    call: Annotated[int, typer.Argument(help="the call's id")], as_json: JsonOpt = False
) -> None:
    """(Officers) close a call now: it takes no more proposals and may be decided."""
    got = _call("POST", f"/calls/{call}/close")
    if as_json:
        emit(got)
    else:
        console.print(words.say(language(), "call.closed", id=got["id"], title=got["title"],
                                closes=got["closes_at"]), markup=False)  # fmt: skip


_EDIT_FLAGS = {"title": "--title", "opens_at": "--opens-at", "closes_at": "--closes-at",
               "review_opens_at": "--review-opens-at",
               "review_closes_at": "--review-closes-at", "budget_credits": "--budget",
               "min_score": "--min-score"}  # fmt: skip
_DATES = ("opens_at", "closes_at", "review_opens_at", "review_closes_at")


def _moment(flag: str, raw: str) -> str:
    """A flag's date (``2027-03-01``, midnight UTC) or date-time (UTC unless it says)."""
    try:
        return str(_plain(date.fromisoformat(raw)))
    except ValueError:
        pass
    try:
        return str(_plain(datetime.fromisoformat(raw)))
    except ValueError:
        fail("error.bad_moment", flag=flag, raw=repr(raw))


def edit_call(
    call: Annotated[int, typer.Argument(help="the call's id")],
    file: Annotated[Path | None, typer.Option("--file", help="the fields to change (YAML or "
                                              "JSON), as in a call file")] = None,
    title: Annotated[str | None, typer.Option("--title")] = None,
    opens_at: Annotated[str | None, typer.Option("--opens-at")] = None,
    closes_at: Annotated[str | None, typer.Option("--closes-at")] = None,
    review_opens_at: Annotated[str | None, typer.Option("--review-opens-at")] = None,
    review_closes_at: Annotated[str | None, typer.Option("--review-closes-at")] = None,
    budget: Annotated[str | None, typer.Option("--budget", help="credits")] = None,
    min_score: Annotated[float | None, typer.Option("--min-score")] = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """(Officers) change a call: the fields of a file and/or options (options win). What
    may change depends on the call's state (docs/programs.md)."""
    body = {} if file is None else _call_body(read_mapping(file, "title, closes_at, ..."))
    flags = {"title": title, "opens_at": opens_at, "closes_at": closes_at,
             "review_opens_at": review_opens_at, "review_closes_at": review_closes_at,
             "budget_credits": budget, "min_score": min_score}  # fmt: skip
    for key, value in flags.items():
        if value is not None:
            body[key] = _moment(_EDIT_FLAGS[key], str(value)) if key in _DATES else value
    if not body:
        fail("error.nothing_to_change")
    got = _call("PATCH", f"/calls/{call}", body)
    if as_json:
        emit(got)
    else:
        console.print(words.say(language(), "call.edited", id=got["id"], title=got["title"],
                                closes=got["closes_at"], budget=got["budget_credits"]),
                      markup=False)  # fmt: skip


def _call_body(raw: dict[str, Any]) -> dict[str, Any]:
    """A call file's mapping as the API reads it (dates as ISO text, criteria as a list)."""
    body = {k: _plain(v) for k, v in raw.items()}
    if isinstance(body.get("criteria"), dict):  # {merit: 2, feasibility: 1}
        body["criteria"] = [{"name": str(k), "weight": w} for k, w in body["criteria"].items()]
    if "budget_credits" in body:
        body["budget_credits"] = str(body["budget_credits"])
    return body


def _overrides(items: list[str]) -> dict[str, dict[str, Any]]:
    """``PROPOSAL=award:REASON`` / ``PROPOSAL=reject:REASON`` -> the API's overrides."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        pid, _, rest = item.partition("=")
        verdict, _, reason = rest.partition(":")
        if not pid.strip().isdigit() or verdict not in ("award", "reject") or not reason.strip():
            fail("error.override", item=repr(item))
        out[pid.strip()] = {"award": verdict == "award", "reason": reason.strip()}
    return out


def award(
    call: Annotated[int, typer.Option("--call")],
    preview: Annotated[bool, typer.Option("--preview", help="show, commit nothing")] = False,
    override: Annotated[
        list[str] | None,
        typer.Option(
            "--override", help="PROPOSAL=award:REASON or PROPOSAL=reject:REASON (repeatable)"
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide a call: rank by weighted score and award within the budget (JSON).
    ``--preview`` shows what the decision would award and the budget it would use and
    leave, and commits nothing (a table; ``--json`` for the API's answer)."""
    body = {"overrides": _overrides(override or [])}
    if not preview:
        emit(_call("POST", f"/calls/{call}/decisions", body))
        return
    got = _call("POST", f"/calls/{call}/decisions/preview", body, repeatable=True)
    if as_json:
        emit(got)
        return
    lang = language()
    table = Table(title=words.say(lang, "award.preview.title", call=call, budget=got["budget"],
                                  awarded=got["awarded"], left=got["left"]))  # fmt: skip
    for key in ("rank", "proposal", "score", "outcome", "amount", "override", "reason"):
        table.add_column(words.say(lang, "award.col." + key))
    for d in got["decisions"]:
        score = "" if d["score"] is None else f"{d['score']:.2f}"
        outcome = words.say(lang, "award.awarded" if d["awarded"] else "award.rejected")
        cells = [str(d["rank"]), str(d["proposal_id"]), score, outcome, d["amount"],
                 words.say(lang, "yes") if d["override"] else "", reason_text(d)]  # fmt: skip
        table.add_row(*(Text(c) for c in cells))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("create-program")(create_program)
    app.command("open-call")(open_call)
    app.command("close-call")(close_call)
    app.command("edit-call")(edit_call)
    app.command()(award)
