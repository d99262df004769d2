"""Client commands over the HTTP API (PIs: login, submit, jobs, logs, cancel, balance;
officers and reviewers: calls, proposals, review, award).

Credentials live in ``$NACC_CONFIG`` (default ``~/.config/nacc/credentials.json``,
mode 600) after ``nacc login``. The language (``nacc --lang ko|en``, else ``LC_ALL``/
``LC_MESSAGES``/``LANG``) goes to the server as ``Accept-Language``, so its problems come
back localised; reasons the server sends as codes are rendered here in that language.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from nacc import i18n
from nacc.domain.reasons import Reason

console = Console(width=132)
err = Console(stderr=True, soft_wrap=True, highlight=False)
_chosen: list[str] = []  # the --lang of this invocation, if given


def set_language(lang: str | None) -> None:
    """Use ``lang`` for this invocation (None: from the environment)."""
    _chosen[:] = [lang] if lang else []


def language() -> str:
    """``--lang`` if given, else the terminal's locale (``ko_KR.UTF-8`` -> ``ko``)."""
    return _chosen[0] if _chosen else i18n.from_locale(os.environ)


def reason_text(job: dict[str, Any]) -> str:
    """A job's reason in the CLI's language: rendered here when the server sent it as a
    code (``reason_code``, ``reason_params``), else the server's text."""
    code = job.get("reason_code")
    if not code:
        return str(job.get("reason") or "")
    params = job.get("reason_params") or {}
    return i18n.render(Reason.of(str(code), **{str(k): v for k, v in params.items()}), language())


Project = Annotated[int, typer.Option("--project", help="project id")]


def _config_path() -> Path:
    default = Path.home() / ".config" / "nacc" / "credentials.json"
    return Path(os.environ.get("NACC_CONFIG", str(default)))


def _creds() -> dict[str, str]:
    path = _config_path()
    if not path.exists():
        err.print(
            f"error: not logged in ({path} missing); run: nacc login --url URL --token T",
            markup=False,
        )
        raise typer.Exit(2)
    data: dict[str, str] = json.loads(path.read_text())
    return data


RETRIES = 4
"""Further tries after a connection error, for requests safe to repeat (reads, and
submissions, which always carry an idempotency key): 0.5, 1, 2, 4 s apart."""

_SAFE_METHODS = frozenset({"GET", "HEAD"})


def _call(
    method: str, path: str, body: Any = None, params: Any = None, *, repeatable: bool = False
) -> Any:
    """One API request. A connection error (server restarting, request timed out) is
    retried where repeating cannot duplicate anything: reads, or ``repeatable`` writes."""
    creds = _creds()
    headers = {"Authorization": f"Bearer {creds['token']}", "Accept-Language": language()}
    tries = 1 + (RETRIES if repeatable or method in _SAFE_METHODS else 0)
    for attempt in range(tries):
        try:
            r = httpx.request(method, creds["url"].rstrip("/") + path, json=body,
                              params=params, headers=headers, timeout=30)  # fmt: skip
            break
        except httpx.TransportError as exc:
            if attempt + 1 < tries:
                err.print(f"{creds['url']}: {exc}; trying again ({attempt + 2}/{tries})",
                          markup=False)  # fmt: skip
                time.sleep(0.5 * 2**attempt)
                continue
            err.print(f"error: cannot reach {creds['url']}: {exc}", markup=False)
            raise typer.Exit(2) from None
        except httpx.HTTPError as exc:
            err.print(f"error: cannot reach {creds['url']}: {exc}", markup=False)
            raise typer.Exit(2) from None
    if r.status_code >= 400:
        err.print(f"error {r.status_code}: {_problem_text(r)}", markup=False)
        raise typer.Exit(2)
    if r.status_code == 204 or not r.content:
        return None  # e.g. a revocation: nothing to show
    ctype = r.headers.get("content-type", "")
    return r.json() if ctype.startswith("application/json") else r.text


def _problem_text(r: httpx.Response) -> str:
    """The server's (already localised) detail of a problem, else its body."""
    try:
        problem = r.json()
    except ValueError:
        return r.text[:500]
    if isinstance(problem, dict):
        return str(problem.get("detail") or problem.get("title") or problem)
    return str(problem)


def login(
    url: Annotated[str, typer.Option("--url")] = "http://127.0.0.1:8000",
    token: Annotated[str, typer.Option("--token", prompt=True, hide_input=True)] = "",
) -> None:
    """Store the server URL and your API token, after checking them with /me."""
    token = token.strip()
    if not token or any(c.isspace() or not c.isprintable() for c in token):
        err.print("error: --token must be one token, without spaces or line breaks "
                  "(as printed on its own 'demo token' line)", markup=False)  # fmt: skip
        raise typer.Exit(2)
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": language()}
    try:
        r = httpx.get(url.rstrip("/") + "/me", headers=headers)
    except httpx.HTTPError as exc:
        err.print(f"error: cannot reach {url}: {exc}", markup=False)
        raise typer.Exit(2) from None
    if r.status_code != 200:
        err.print(
            f"error: {url} refused the token ({r.status_code}): {_problem_text(r)}", markup=False
        )
        raise typer.Exit(2)
    path = _config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": url, "token": token}))
    path.chmod(0o600)
    me = r.json()
    console.print(f"logged in to {url} as {me['name']} <{me['email']}>")


def submit(
    project: Project,
    command: Annotated[str, typer.Option("--command", help="run with sh -c")],
    accelerators: Annotated[int, typer.Option("--accelerators")] = 1,
    job_class: Annotated[str, typer.Option("--class")] = "fine-tuning",
    types: Annotated[str | None, typer.Option("--types", help="e.g. H100-SXM,H200")] = None,
    time_limit: Annotated[int | None, typer.Option("--time-limit", help="seconds")] = None,
    key: Annotated[
        str | None,
        typer.Option("--idempotency-key", help="default: a new random key per submission"),
    ] = None,
) -> None:
    """Submit a job to a project. The submission carries an idempotency key (a new one
    unless given), so retrying after a connection error never makes a second job."""
    body = {
        "command": command,
        "accelerators": accelerators,
        "job_class": job_class,
        "accelerator_types": types.split(",") if types else None,
        "time_limit_s": time_limit,
        "idempotency_key": key or f"cli-{uuid.uuid4()}",
    }
    job = _call("POST", f"/projects/{project}/jobs", body, repeatable=True)
    console.print(f"{job['id']}  {job['state']}")


def jobs(project: Project, limit: int = 50, offset: int = 0) -> None:
    """List a project's jobs."""
    page = _call("GET", f"/projects/{project}/jobs", params={"limit": limit, "offset": offset})
    table = Table(title=f"project {project}: {page['total']} jobs")
    for col in ("id", "state", "accelerators", "pool", "exit", "reason"):
        table.add_column(col)
    for j in page["items"]:
        cells = [j["id"], j["state"], str(j["accelerators"]), j["pool_id"] or "",
                 "" if j["exit_code"] is None else str(j["exit_code"]), reason_text(j)]  # fmt: skip
        table.add_row(*(Text(cell) for cell in cells))  # text, not Rich markup
    console.print(table)


def logs(job: str, tail: int = 65536) -> None:
    """Print the end of a job's output, byte for byte (no markup, no wrapping)."""
    sys.stdout.write(str(_call("GET", f"/jobs/{job}/logs", params={"tail": tail})))
    sys.stdout.flush()


def cancel(job: str) -> None:
    """Cancel a pending or running job (the process group is killed)."""
    _call("POST", f"/jobs/{job}/cancel")
    console.print(f"{job}: cancel requested")


def balance(project: Project) -> None:
    """A project's credit balance."""
    got = _call("GET", f"/projects/{project}/balance")
    console.print(json.dumps(got))


def calls() -> None:
    """List calls for proposals."""
    console.print_json(data=_call("GET", "/calls"))


def proposals(call: Annotated[int, typer.Option("--call")]) -> None:
    """List a call's proposals (blind calls hide applicants from reviewers)."""
    console.print_json(data=_call("GET", f"/calls/{call}/proposals"))


def review(
    proposal: Annotated[int, typer.Option("--proposal")],
    scores: Annotated[str, typer.Option("--scores", help="criterion=score,...")],
    comment: Annotated[str, typer.Option("--comment")] = "",
) -> None:
    """Score a proposal on the call's criteria."""
    parsed: dict[str, float] = {}
    for part in filter(None, scores.split(",")):
        name, sep, value = part.partition("=")
        try:
            parsed[name.strip()] = float(value)
        except ValueError:
            err.print(f"error: --scores: expected criterion=number, got {part!r}", markup=False)
            raise typer.Exit(2) from None
        if not sep:
            err.print(f"error: --scores: expected criterion=number, got {part!r}", markup=False)
            raise typer.Exit(2)
    console.print_json(
        data=_call("POST", f"/proposals/{proposal}/reviews", {"scores": parsed, "comment": comment})
    )


def award(call: Annotated[int, typer.Option("--call")]) -> None:
    """Decide a call: rank by weighted score and award within the budget."""
    console.print_json(data=_call("POST", f"/calls/{call}/decisions", {}))


def register(app: typer.Typer) -> None:
    for fn in (login, submit, jobs, logs, cancel, balance, calls, proposals, review, award):
        app.command()(fn)
