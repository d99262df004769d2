"""Client commands over the HTTP API (PIs: login, submit, jobs, logs, cancel, balance;
officers and reviewers: calls, proposals, review; ``award`` and the officer's other
commands are in ``nacc.cli.officer``).

Credentials live in ``$NACC_CONFIG`` (default ``~/.config/nacc/credentials.json``,
mode 600) after ``nacc login``. The language (``nacc --lang ko|en``, else ``LC_ALL``/
``LC_MESSAGES``/``LANG``) goes to the server as ``Accept-Language``, so its problems come
back localised; reasons the server sends as codes are rendered here in that language.
"""

from __future__ import annotations

import json
import os
import shlex
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
from nacc.cli import words
from nacc.cli.say import error_line, fail, language, marked_error, message_of, set_language
from nacc.domain.reasons import Reason

console = Console(width=132)
err = Console(stderr=True, soft_wrap=True, highlight=False)
__all__ = ["error_line", "fail", "language", "marked_error", "message_of", "set_language"]


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
        fail("error.not_logged_in", path=path)
    data: dict[str, str] = json.loads(path.read_text())
    return data


RETRIES = 4
"""Further tries after a connection error, for requests safe to repeat (reads, and
submissions, which always carry an idempotency key): 0.5, 1, 2, 4 s apart."""

_SAFE_METHODS = frozenset({"GET", "HEAD"})


def _call(
    method: str, path: str, body: Any = None, params: Any = None, *, repeatable: bool = False
) -> Any:
    """One API request; its JSON (or text) body. See ``_response``."""
    r = _response(method, path, body, params, repeatable=repeatable)
    if r.status_code == 204 or not r.content:
        return None  # e.g. a revocation: nothing to show
    ctype = r.headers.get("content-type", "")
    return r.json() if ctype.startswith("application/json") else r.text


def _response(
    method: str, path: str, body: Any = None, params: Any = None, *, repeatable: bool = False
) -> httpx.Response:
    """One API request. A connection error (server restarting, request timed out) is
    retried where repeating cannot duplicate anything: reads, or ``repeatable`` writes.
    A problem answer is printed and exits 2."""
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
                err.print(words.say(language(), "error.retrying", url=creds["url"], error=exc,
                                    attempt=attempt + 2, tries=tries), markup=False)  # fmt: skip
                time.sleep(0.5 * 2**attempt)
                continue
            fail("error.unreachable", url=creds["url"], error=exc)
        except httpx.HTTPError as exc:
            fail("error.unreachable", url=creds["url"], error=exc)
    if r.status_code >= 400:
        err.print(words.say(language(), "error.http", status=r.status_code,
                            detail=_problem_text(r)), markup=False)  # fmt: skip
        raise typer.Exit(2)
    return r


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
    as_json: Annotated[bool, typer.Option("--json", help="print GET /me's JSON")] = False,
) -> None:
    """Store the server URL and your API token, after checking them with /me."""
    token = token.strip()
    if not token or any(c.isspace() or not c.isprintable() for c in token):
        fail("error.token_form")
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": language()}
    try:
        r = httpx.get(url.rstrip("/") + "/me", headers=headers)
    except httpx.HTTPError as exc:
        fail("error.unreachable", url=url, error=exc)
    if r.status_code != 200:
        fail("error.token_refused", url=url, status=r.status_code, detail=_problem_text(r))
    path = _config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": url, "token": token}))
    path.chmod(0o600)
    me = r.json()
    if as_json:
        emit(me)
        return
    console.print(words.say(language(), "login.done", url=url, name=me["name"],
                            email=me["email"]), markup=False)  # fmt: skip


JsonOpt = Annotated[bool, typer.Option("--json", help="print the API's JSON (docs/cli.md)")]


def read_mapping(file: Path, what: str) -> dict[str, Any]:
    """A YAML (or JSON) file holding one mapping; else exit 2 naming the file and what was
    expected (``what``: its keys)."""
    import yaml

    try:
        body = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as error:
        fail("error.file_unreadable", file=file, error=error)
    except yaml.YAMLError as error:
        fail("error.file_yaml", file=file, error=error)
    if not isinstance(body, dict):
        fail("error.file_mapping", file=file, what=what)
    return body


def emit(data: Any) -> None:
    """``data`` as JSON on stdout (UTF-8, not escaped; stable keys: docs/cli.md)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def _local_server() -> bool:
    return (httpx.URL(_creds()["url"]).host or "") in LOCAL_HOSTS


def wrap(command: str, workdir: str | None, env: dict[str, str]) -> str:
    """The command a job runs: enter ``workdir`` and set ``env`` first (any backend
    that runs ``sh -c`` honours it); exit 125 if the directory cannot be entered."""
    lines = []
    if workdir:
        q = shlex.quote(workdir)
        lines.append(f'cd {q} || {{ echo "nacc: cannot enter workdir "{q} >&2; exit 125; }}')
    lines += [f"export {k}={shlex.quote(v)}" for k, v in env.items()]
    return "\n".join([*lines, command]) if lines else command


def _pairs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            fail("error.env_pair", item=repr(item))
        out[name] = value
    return out


def submit(
    file: Annotated[Path | None, typer.Argument(help="job file (YAML): docs/cli.md")] = None,
    project: Annotated[int | None, typer.Option("--project", help="project id")] = None,
    command: Annotated[str | None, typer.Option("--command", help="run with sh -c")] = None,
    accelerators: Annotated[int | None, typer.Option("--accelerators")] = None,
    job_class: Annotated[str | None, typer.Option("--class", help="default fine-tuning")] = None,
    types: Annotated[str | None, typer.Option("--types", help="e.g. H100-SXM,H200")] = None,
    time_limit: Annotated[
        str | None, typer.Option("--time-limit", help="seconds, or 30m, 2h")
    ] = None,
    workdir: Annotated[
        str | None, typer.Option("--workdir", help="default: here, when the server is local")
    ] = None,
    env: Annotated[list[str] | None, typer.Option("--env", help="NAME=VALUE (repeat)")] = None,
    dataset: Annotated[
        list[str] | None, typer.Option("--dataset", help="dataset it uses (repeat)")
    ] = None,
    key: Annotated[
        str | None,
        typer.Option("--idempotency-key", help="default: a new random key per submission"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Submit a job, from a job file and/or options (options win). The submission carries
    an idempotency key (a new one unless given), so retrying after a connection error
    never makes a second job."""
    from nacc.cli import jobfile
    from nacc.domain.errors import InputError

    try:
        spec = jobfile.read(file) if file is not None else jobfile.JobFile()
        limit = jobfile.duration_s(time_limit) if time_limit is not None else spec.time_limit_s
    except jobfile.JobFileError as error:
        err.print(words.say(language(), "error.line", message=error.text(language())),
                  markup=False)  # fmt: skip
        raise typer.Exit(2) from None
    except InputError as error:
        err.print(words.say(language(), "error.line", message=error), markup=False)
        raise typer.Exit(2) from None
    except ValueError:
        fail("error.time_limit", problem=words.say(language(), "jobfile.duration"))
    project = project if project is not None else spec.project
    command = command if command is not None else spec.command
    missing = [n for n, v in (("--project", project), ("--command", command)) if v is None]
    if missing:
        options = words.say(language(), "error.and").join(missing)
        if file is not None:
            fail("error.give_or_file", options=options, file=file)
        fail("error.give", options=options)
    assert command is not None
    # a job file's workdir is read from the file's folder, --workdir from the current one
    base = file.parent if file is not None and workdir is None else Path.cwd()
    chosen = workdir if workdir is not None else spec.workdir
    if chosen:
        chosen = str((base / Path(chosen).expanduser()).resolve())
    elif chosen is None and _local_server():
        chosen = str(Path.cwd())
    names = types.split(",") if types else spec.types
    body = {
        "command": wrap(command, chosen or None, {**spec.env, **_pairs(env or [])}),
        "accelerators": next(n for n in (accelerators, spec.accelerators, 1) if n is not None),
        "job_class": job_class or spec.job_class or "fine-tuning",
        "accelerator_types": [t.strip() for t in names] if names else None,
        "time_limit_s": limit,
        "idempotency_key": key or f"cli-{uuid.uuid4()}",
    }
    used = list(dict.fromkeys([*spec.datasets, *(dataset or [])]))
    if used:
        body["datasets"] = used
    job = _call("POST", f"/projects/{project}/jobs", body, repeatable=True)
    if as_json:
        emit(job)
    else:
        console.print(f"{job['id']}  {words.state(language(), job['state'])}", markup=False)


def when(stamp: str | None) -> str:
    """An API timestamp as ``2026-12-03 07:10:00Z`` ("" for none)."""
    return stamp.replace("T", " ").split(".")[0].split("+")[0] + "Z" if stamp else ""


def jobs(project: Project, limit: int = 50, offset: int = 0, as_json: JsonOpt = False) -> None:
    """List a project's jobs: state, pool, expected start and why pending."""
    page = _call("GET", f"/projects/{project}/jobs", params={"limit": limit, "offset": offset})
    if as_json:
        emit(page)
        return
    lang = language()
    table = Table(title=words.say(lang, "jobs.title", project=project, total=page["total"]))
    for col in ("id", "state", "accelerators", "types", "pool", "expected_start", "exit",
                "reason"):  # fmt: skip
        table.add_column(words.say(lang, "col." + col))
    for j in page["items"]:
        cells = [j["id"], words.state(lang, j["state"]), str(j["accelerators"]),
                 ",".join(j.get("accelerator_types") or [words.say(lang, "any")]),
                 j["pool_id"] or "",
                 when(j.get("expected_start")),
                 "" if j["exit_code"] is None else str(j["exit_code"]), reason_text(j)]  # fmt: skip
        table.add_row(*(Text(cell) for cell in cells))  # text, not Rich markup
    console.print(table)


def cancel(job: str, as_json: JsonOpt = False) -> None:
    """Cancel a pending or running job (the process group is killed)."""
    got = _call("POST", f"/jobs/{job}/cancel")
    if as_json:
        emit(got)
    else:
        console.print(words.say(language(), "cancel.requested", job=job), markup=False)


def balance(project: Project, as_json: JsonOpt = False) -> None:
    """A project's credit balance: balance, committed to live jobs, available."""
    got = _call("GET", f"/projects/{project}/balance")
    if as_json:
        emit(got)
        return
    console.print(words.say(language(), "balance.line", project=project,
                            balance=got["balance"], committed=got["committed_credits"],
                            available=got["available_credits"],
                            awarded=got["awarded_credits"], released=got["released_credits"]),
                  markup=False)  # fmt: skip


def calls(as_json: JsonOpt = True) -> None:
    """List calls for proposals (JSON)."""
    emit(_call("GET", "/calls"))


def proposals(call: Annotated[int, typer.Option("--call")], as_json: JsonOpt = True) -> None:
    """List a call's proposals (blind calls hide applicants from reviewers; JSON)."""
    emit(_call("GET", f"/calls/{call}/proposals"))


def review(
    proposal: Annotated[int, typer.Option("--proposal")],
    scores: Annotated[str, typer.Option("--scores", help="criterion=score,...")],
    comment: Annotated[str, typer.Option("--comment")] = "",
    as_json: JsonOpt = True,
) -> None:
    """Score a proposal on the call's criteria (JSON)."""
    parsed: dict[str, float] = {}
    for part in filter(None, scores.split(",")):
        name, sep, value = part.partition("=")
        try:
            parsed[name.strip()] = float(value)
        except ValueError:
            fail("error.scores", part=repr(part))
        if not sep:
            fail("error.scores", part=repr(part))
    emit(_call("POST", f"/proposals/{proposal}/reviews", {"scores": parsed, "comment": comment}))


def register(app: typer.Typer) -> None:
    from nacc.cli.joblogs import logs  # it uses this module's calls

    for fn in (login, submit, jobs, logs, cancel, balance, calls, proposals, review):
        app.command()(fn)
