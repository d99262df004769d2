"""Client commands a user expects beyond jobs: ``whoami``, ``projects``, ``queue`` (like
squeue, operators), ``history`` (like sacct, with charges), ``report usage|waits``
(like sreport; CSV), and the officer's ``programs``, ``apply``, ``assign-reviewer``.

Each takes ``--json``: the API's JSON as is (``whoami``, ``queue``, ``history``, ``report``)
or the documented object (``projects``): docs/cli.md.
"""

from __future__ import annotations

import sys
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
    when,
)

report_app = typer.Typer(help="usage reports (operators, program officers)", no_args_is_help=True)


def _say(key: str, **params: object) -> str:
    return words.say(language(), key, **params)


def _state(value: str) -> str:
    return words.state(language(), value)


def _table(title: str, cols: list[str], rows: list[list[str]]) -> None:
    """A table; ``cols`` are catalog keys (``col.state``, ``dim.org``)."""
    table = Table(title=title)
    for col in cols:
        table.add_column(_say(col))
    for row in rows:
        table.add_row(*(Text(c) for c in row))  # text, not Rich markup
    console.print(table)


def whoami(as_json: JsonOpt = False) -> None:
    """Who the stored token belongs to, and their roles."""
    me = _call("GET", "/me")
    if as_json:
        emit(me)
        return
    roles = ", ".join(f"{r['role']}@{r['scope'] or '*'}" for r in me["roles"]) or "-"
    console.print(
        _say(
            "whoami.line",
            name=me["name"],
            email=me["email"],
            id=me["id"],
            org=me["organisation_id"] or "-",
            roles=roles,
        ),
        markup=False,
    )


def _my_projects(me: dict[str, Any]) -> list[tuple[int, str]]:
    seen: dict[int, str] = {}
    for r in me["roles"]:
        kind, _, ident = r["scope"].partition(":")
        if kind == "project" and ident.isdigit() and r["role"] in ("pi", "member"):
            seen.setdefault(int(ident), r["role"])
    return sorted(seen.items())


def projects(as_json: JsonOpt = False) -> None:
    """Your projects (where you are PI or member), with balance and validity."""
    out = []
    for pid, role in _my_projects(_call("GET", "/me")):
        p = _call("GET", f"/projects/{pid}")
        b = _call("GET", f"/projects/{pid}/balance")
        out.append({"id": pid, "name": p["name"], "role": role,
                    "valid_from": p["valid_from"], "valid_until": p["valid_until"],
                    "balance": b["balance"], "committed": b["committed_credits"],
                    "available": b["available_credits"]})  # fmt: skip
    if as_json:
        emit(out)
        return
    cols = [f"col.{c}" for c in ("id", "name", "role", "balance", "committed", "available",
                                 "valid_until")]  # fmt: skip
    _table(_say("projects.title", n=len(out)), cols, [
        [str(p["id"]), p["name"], p["role"], p["balance"], p["committed"], p["available"],
         when(p["valid_until"])] for p in out])  # fmt: skip


def queue(limit: int = 1000, as_json: JsonOpt = False) -> None:
    """(Operators) running and pending jobs of every project, like squeue."""
    rows = _call("GET", "/queue", params={"limit": limit})
    if as_json:
        emit(rows)
        return
    cols = [f"col.{c}" for c in ("id", "project", "state", "acc", "types", "pool", "submitted",
                                 "started_expected", "reason")]  # fmt: skip
    _table(_say("queue.title", n=len(rows)), cols, [
        [j["id"], str(j["project_id"]), _state(j["state"]), str(j["accelerators"]),
         ",".join(j.get("accelerator_types") or [_say("any")]), j["pool_id"] or "",
         when(j["submitted_at"]), when(j["started_at"] or j.get("expected_start")),
         reason_text(j)] for j in rows])  # fmt: skip


def history(
    project: Annotated[
        int | None, typer.Option("--project", help="default: every (operators)")
    ] = None,
    limit: int = 50,
    offset: int = 0,
    as_json: JsonOpt = False,
) -> None:
    """Ended jobs with their charges, newest first, like sacct."""
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if project is not None:
        params["project"] = project
    page = _call("GET", "/history", params=params)
    if as_json:
        emit(page)
        return
    cols = [f"col.{c}" for c in ("id", "project", "state", "acc", "pool", "started", "ended",
                                 "exit", "credits", "acc_hours")]  # fmt: skip
    _table(_say("history.title", n=page["total"]), cols, [
        [j["id"], str(j["project_id"]), _state(j["state"]), str(j["accelerators"]),
         j["pool_id"] or "", when(j["started_at"]), when(j["finished_at"]),
         "" if j["exit_code"] is None else str(j["exit_code"]), str(j["charged_credits"]),
         f"{j['accelerator_hours']:.4f}"] for j in page["items"]])  # fmt: skip


Since = Annotated[str | None, typer.Option("--since", help="ISO date/time, UTC by default")]
Until = Annotated[str | None, typer.Option("--until", help="ISO date/time (exclusive)")]
Csv = Annotated[bool, typer.Option("--csv", help="CSV on stdout")]


def _moment(text: str | None, name: str) -> str | None:
    from datetime import UTC, datetime

    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        fail("error.moment", name=name, text=repr(text))
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()


@report_app.command("usage")
def report_usage(
    by: Annotated[str, typer.Option("--by", help="program, org, org_kind, sector, type, "
                                    "provider, site, pool, project, domestic; comma-separated")]
    = "program",
    period: Annotated[str, typer.Option("--period", help="day | week | month | all")] = "month",
    since: Since = None, until: Until = None, csv: Csv = False, as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Credits and accelerator-hours by dimension and period (like sreport)."""
    params = {"by": by, "period": period, "since": _moment(since, "--since"),
              "until": _moment(until, "--until")}  # fmt: skip
    params = {k: v for k, v in params.items() if v is not None}
    if csv:
        sys.stdout.write(_call("GET", "/reports/usage", params={**params, "format": "csv"}))
        return
    got = _call("GET", "/reports/usage", params=params)
    if as_json:
        emit(got)
        return
    dims = got["by"]
    rows = [[r["period"], *(r["group"][d] for d in dims), r["credits"],
             f"{r['accelerator_hours']:.3f}", str(r["jobs"])] for r in got["rows"]]  # fmt: skip
    rows.append([_say("total"), *([""] * len(dims)), got["total_credits"],
                 f"{got['total_accelerator_hours']:.3f}", ""])  # fmt: skip
    title = _say("usage.title", by=", ".join(_say("dim." + d) for d in dims),
                 period=_say("per." + period))  # fmt: skip
    _table(title, ["col.period", *(f"dim.{d}" for d in dims), "col.credits", "col.acc_hours",
                   "col.jobs"], rows)  # fmt: skip


@report_app.command("waits")
def report_waits(
    by: Annotated[str, typer.Option("--by", help="program | size | org_kind | project")]
    = "program",
    since: Since = None, until: Until = None, csv: Csv = False, as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Wait-time percentiles (submission to start) by program or job size."""
    params = {"by": by, "since": _moment(since, "--since"), "until": _moment(until, "--until")}
    params = {k: v for k, v in params.items() if v is not None}
    if csv:
        sys.stdout.write(_call("GET", "/reports/waits", params={**params, "format": "csv"}))
        return
    got = _call("GET", "/reports/waits", params=params)
    if as_json:
        emit(got)
        return
    _table(_say("waits.title", by=_say("dim." + by)),
           [f"dim.{by}", "col.jobs", "col.mean", "p50", "p90", "p99", "col.max"], [
        [r["group"], str(r["jobs"]), *(f"{r[k]:.1f}" for k in
         ("mean_s", "p50_s", "p90_s", "p99_s", "max_s"))] for r in got["rows"]])  # fmt: skip


def programs(as_json: JsonOpt = False) -> None:
    """List allocation programs."""
    page = _call("GET", "/programs")
    if as_json:
        emit(page)
        return
    rows = [[str(p["id"]), p["name"], p.get("description", "")] for p in page["items"]]
    _table(_say("programs.title"), ["col.id", "col.name", "col.description"], rows)


def apply(
    call: Annotated[int, typer.Option("--call")],
    file: Annotated[Path, typer.Option("--file", help="proposal (YAML or JSON): title, "
                                       "abstract, requested_credits, job_classes, "
                                       "accelerator_types, team")],
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Apply to an open call with a proposal file."""
    body = read_mapping(file, "title, abstract, ...")
    if "requested_credits" in body:
        body["requested_credits"] = str(body["requested_credits"])
    got = _call("POST", f"/calls/{call}/proposals", body)
    if as_json:
        emit(got)
    else:
        console.print(_say("apply.done", id=got["id"], call=call, status=got["status"]),
                      markup=False)  # fmt: skip


def assign_reviewer(
    call: Annotated[int, typer.Option("--call")],
    user: Annotated[int, typer.Option("--user")],
    as_json: JsonOpt = False,
) -> None:
    """(Officers) make a user a reviewer of a call."""
    got = _call("POST", f"/calls/{call}/reviewers", {"user_id": user})
    if as_json:
        emit(got)
    else:
        key = "reviewer.granted" if got["granted"] else "reviewer.already"
        console.print(_say(key, user=user, call=call), markup=False)


def register(app: typer.Typer) -> None:
    for fn in (whoami, projects, queue, history, programs, apply):
        app.command()(fn)
    app.command("assign-reviewer")(assign_reviewer)
    app.add_typer(report_app, name="report")
