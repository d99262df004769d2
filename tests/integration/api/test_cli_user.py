"""The CLI a user expects, run as documented (docs/cli.md) against a real `nacc serve`
(a process on a loopback port, SQLite, local processes): logs verbatim and followed, job
files with workdir, env and time limit, errors naming file:line:field, whoami, projects,
queue, history with charges, usage reports as CSV, --json, admin init, ledger verify."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jobsetup import funded_project
from test_crash_safety import _port, _start
from typer.testing import CliRunner, Result

from nacc.bootstrap import Settings, build_services, first_operator
from nacc.cli.main import app
from nacc.ports.store_people import ProposalSpec
from support.waiting import wait_until


@dataclass
class Served:
    url: str
    db: str
    home: Path
    tokens: dict[str, str]
    project: int

    def nacc(self, who: str, *args: str, **env: str) -> Result:
        creds = self.home / f"{who}.json"
        creds.write_text(json.dumps({"url": self.url, "token": self.tokens[who]}))
        return CliRunner().invoke(app, list(args), env={"NACC_CONFIG": str(creds), "LC_ALL": "",
                                                        **env})  # fmt: skip

    def ok(self, who: str, *args: str) -> str:
        got = self.nacc(who, *args)
        assert got.exit_code == 0, (args, got.output)
        return got.stdout

    def ended(self, job_id: str) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            page = json.loads(self.ok("pi", "jobs", "--project", str(self.project), "--json"))
            found = [j for j in page["items"] if j["id"] == job_id]
            ends = {"completed", "failed", "cancelled"}
            return found[0] if found and found[0]["state"] in ends else None

        return wait_until(done, 60, f"job {job_id} to end", every=0.2)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("cli")
    url = f"sqlite:///{home / 'nacc.db'}"
    svc = build_services(Settings(database_url=url))
    try:
        ops = first_operator(svc, "Ops", "ops@cli.example")
        f = funded_project(svc)
    finally:
        svc.sessions.kw["bind"].dispose()
    port = _port()
    s = Served(f"http://127.0.0.1:{port}", url, home, {"ops": ops, "pi": f.pi}, f.project_id)
    env = dict(os.environ, NACC_DATABASE_URL=url, NACC_HOME=str(home),
               NACC_LOCAL_DEVICES="H100-SXM:2,RNGD:1", NACC_TICK_S="0.2")  # fmt: skip
    server = _start(env, port, home / "server.log")
    try:
        yield s
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _submit(s: Served, *args: str) -> str:
    out = s.ok("pi", "submit", "--project", str(s.project), *args)
    return out.split()[0]


def test_logs_are_verbatim_and_follow(served: Served) -> None:
    s = served
    text = "[red]x[/red] [/red] [bold]b\\n[link=y]z"
    job = _submit(s, "--command", f"printf '%s\\n' '{text}'")
    assert s.ended(job)["state"] == "completed"
    assert s.ok("pi", "logs", job) == text + "\n"
    slow = _submit(s, "--command", "for i in 1 2 3; do echo line $i; sleep 0.4; done")
    followed = s.ok("pi", "logs", "-f", slow)  # returns once the job has ended
    assert followed == "line 1\nline 2\nline 3\n"
    assert s.ended(slow)["state"] == "completed"


def test_a_job_file_with_workdir_env_types_and_time_limit(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = served
    (tmp_path / "sub").mkdir()
    spec = tmp_path / "job.yaml"
    spec.write_text(
        f"project: {s.project}\n"
        "command: |\n  pwd\n  echo \"$GREETING\"\n"
        "workdir: sub\n"
        "env: {GREETING: '안녕 [x] $HOME'}\n"
        "accelerators: 1\n"
        "class: fine-tuning\n"
        "types: [h100]\n"
        "time_limit: 5m\n"
    )  # fmt: skip
    out = json.loads(s.ok("pi", "submit", str(spec), "--json"))
    assert out["accelerator_types"] == ["H100-SXM"] and out["time_limit_s"] == 300
    assert s.ended(out["id"])["exit_code"] == 0
    assert s.ok("pi", "logs", out["id"]) == f"{tmp_path / 'sub'}\n안녕 [x] $HOME\n"
    # no workdir given, the server local: the job runs where nacc submit ran
    monkeypatch.chdir(tmp_path)
    here = _submit(s, "--command", "pwd")
    assert s.ended(here)["state"] == "completed"
    assert s.ok("pi", "logs", here) == f"{tmp_path}\n"
    # --workdir on the command line is read from the current folder, not the file's
    (tmp_path / "elsewhere" / "sub").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "elsewhere")
    given = json.loads(s.ok("pi", "submit", str(spec), "--workdir", "sub", "--json"))
    assert s.ended(given["id"])["exit_code"] == 0
    assert s.ok("pi", "logs", given["id"]).startswith(f"{tmp_path / 'elsewhere' / 'sub'}\n")


def test_job_file_errors_name_file_line_and_field(served: Served, tmp_path: Path) -> None:
    s = served
    spec = tmp_path / "bad.yaml"
    spec.write_text("command: 'true'\naccelerators: 1\ncolour: red\n")
    bad = s.nacc("pi", "submit", str(spec), "--project", str(s.project))
    assert bad.exit_code == 2
    assert f"{spec}:3: colour: unknown field; expected one of project, command" in bad.stderr
    spec.write_text("command: 'true'\ntime_limit: soon\n")
    late = s.nacc("pi", "submit", str(spec), "--project", str(s.project))
    assert late.exit_code == 2 and f"{spec}:2: time_limit: expected a positive" in late.stderr
    spec.write_text("command: 'true'\ntypes: [H10O]\n")
    typo = s.nacc("pi", "submit", str(spec), "--project", str(s.project))
    assert typo.exit_code == 2 and "did you mean H100-SXM?" in typo.stderr
    ko = s.nacc("pi", "--lang", "ko", "submit", str(spec), "--project", str(s.project))
    assert "혹시 H100-SXM인가요?" in ko.stderr


def test_whoami_projects_queue_history_and_reports(served: Served) -> None:
    s = served
    me = json.loads(s.ok("pi", "whoami", "--json"))
    assert {"id", "name", "email", "roles"} <= set(me)
    assert "pi@project:" in s.ok("pi", "whoami")
    [proj] = json.loads(s.ok("pi", "projects", "--json"))
    assert proj["id"] == s.project and proj["role"] == "pi"
    assert set(proj) == {"id", "name", "role", "valid_from", "valid_until", "balance",
                         "committed", "available"}  # fmt: skip
    one = _submit(s, "--command", "true")  # a 1-accelerator job, for the waits by size
    assert s.ended(one)["state"] == "completed"
    long = _submit(s, "--command", "echo up; sleep 30", "--accelerators", "2")
    wait_until(lambda: any(j["id"] == long and j["state"] == "running"
                           for j in json.loads(s.ok("ops", "queue", "--json"))), 60,
               "the job to run")  # fmt: skip
    # "running" is set at launch; the charge starts at the real start, which its output proves
    wait_until(lambda: "up" in s.ok("pi", "logs", long), 60, "the job's first output")
    assert long in s.ok("ops", "queue")
    refused = s.nacc("pi", "queue")
    assert refused.exit_code == 2 and "error 403" in refused.stderr
    s.ok("pi", "cancel", long)
    assert s.ended(long)["state"] == "cancelled"
    page = json.loads(s.ok("pi", "history", "--project", str(s.project), "--json"))
    charged = {j["id"]: Decimal(j["charged_credits"]) for j in page["items"]}
    assert charged[long] > 0
    text = s.ok("ops", "report", "usage", "--by", "project,type", "--period", "month", "--csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["period", "project", "type", "credits", "accelerator_hours", "jobs"]
    assert sum(Decimal(r["credits"]) for r in rows) == sum(charged.values())
    assert "usage by org per month" in s.ok("ops", "report", "usage", "--by", "org")
    waits = json.loads(s.ok("ops", "report", "waits", "--by", "size", "--json"))
    assert {r["group"] for r in waits["rows"]} >= {"1", "2-8"}
    verify = CliRunner().invoke(app, ["ledger", "verify"], env={"NACC_DATABASE_URL": s.db})
    assert verify.exit_code == 0, verify.output


def test_admin_init_prints_the_first_operator_token_once(tmp_path: Path) -> None:
    env = {"NACC_HOME": str(tmp_path / "home"), "NACC_DATABASE_URL": "", "LC_ALL": ""}
    missing = CliRunner().invoke(app, ["ledger", "verify"], env=env)
    assert missing.exit_code == 2 and "holds no nacc data" in missing.stderr
    assert not (tmp_path / "home" / "nacc.db").exists()  # refused, not created empty
    made = CliRunner().invoke(app, ["admin", "init", "--name", "Root", "--email", "r@x.example"],
                              env=env)  # fmt: skip
    assert made.exit_code == 0, made.output
    first, token = made.stdout.strip().splitlines()
    assert "Root <r@x.example>" in first and token.startswith("nacc_")
    again = CliRunner().invoke(app, ["admin", "init", "--name", "B", "--email", "b@x.example"],
                               env=env)  # fmt: skip
    assert again.exit_code == 2 and "already has an operator" in again.stderr
    assert token not in again.output
    fresh = CliRunner().invoke(app, ["ledger", "verify"], env=env)
    assert fresh.exit_code == 0, fresh.output


def test_npu_jobs_get_the_vendor_variable_with_pool_local_ids(served: Served) -> None:
    """RNGD is the third local device (machine index 2): the job sees its pool's 0."""
    s = served
    shown = 'echo "furiosa=$FURIOSA_VISIBLE_DEVICES cuda=[$CUDA_VISIBLE_DEVICES]"'
    job = _submit(s, "--types", "rngd", "--class", "inference", "--command", shown)
    assert s.ended(job)["state"] == "completed"
    assert s.ok("pi", "logs", job) == "furiosa=0 cuda=[]\n"


def test_shares_as_documented(served: Served) -> None:
    """`nacc shares` (docs/cli.md): sshare's columns in the CLI's language, and --json."""
    s = served
    job = _submit(s, "--command", "true")
    assert s.ended(job)["state"] == "completed"
    table = s.nacc("ops", "--lang", "ko", "shares", "--half-life", "86400")
    assert table.exit_code == 0, table.output
    assert "공정 분배" in table.stdout and "FairShare" in table.stdout and "demo" in table.stdout
    rows = json.loads(s.ok("pi", "shares", "--json"))["rows"]
    projects = [r for r in rows if r["depth"] == 2]
    assert [r["name"] for r in projects] == ["demo"] and projects[0]["factor"] == 1.0
    assert projects[0]["usage"] > 0
    bad = s.nacc("pi", "shares", "--half-life", "5")
    assert bad.exit_code == 2 and "--half-life" in bad.output


def _proposals_on(s: Served, call: int, applicants: int) -> tuple[list[int], int]:
    """``applicants`` proposals of new organisations on ``call`` (closed, so through the
    store), and a reviewer with a token (``s.tokens["rev"]``); (proposal ids, reviewer)."""
    svc = build_services(Settings(database_url=s.db))
    now = svc.clock()
    try:
        with svc.unit() as uow:
            ids = []
            for n in range(applicants):
                org = uow.people.create_organisation(f"lab {call}-{n}", "company", "Seoul",
                                                     capital_area=True)  # fmt: skip
                pi = uow.people.create_user(f"ceo {n}", f"ceo{call}-{n}@x.example", now, org.id)
                spec = ProposalSpec(org.id, pi.id, f"plan {n}", "abstract", Decimal(400 + n),
                                    ["fine-tuning"])  # fmt: skip
                ids.append(uow.programs.create_proposal(call, spec, now - timedelta(days=3)).id)
            rev = uow.people.create_user("reviewer", f"rev{call}@x.example", now, None)
            _, s.tokens["rev"] = uow.people.create_token(rev.id, now)
    finally:
        svc.sessions.kw["bind"].dispose()
    return ids, rev.id


def _call_file(path: Path, title: str, opens: datetime, closes: datetime) -> Path:
    path.write_text(
        f"title: {title}\nopens_at: {opens.isoformat()}\ncloses_at: {closes.isoformat()}\n"
        f"review_opens_at: {opens.isoformat()}\n"
        f"review_closes_at: {(closes + timedelta(days=14)).isoformat()}\n"
        "budget_credits: 1000\ncriteria: {merit: 2, feasibility: 1}\nmin_score: 5\n",
        encoding="utf-8",
    )
    return path


def test_officer_commands_as_documented(served: Served, tmp_path: Path) -> None:
    """docs/cli.md "Programs and reviews": create-program, open-call, programs, calls,
    apply, proposals, assign-reviewer, review, award --preview (a table in English and
    Korean, JSON; nothing committed; overrides), then award as previewed."""
    s, now = served, datetime.now(UTC)
    made = s.ok("ops", "create-program", "--name", "초거대 AI 지원", "--description", "GPU")
    assert made.startswith("program ") and "초거대 AI 지원" in made
    [program] = [p["id"] for p in json.loads(s.ok("ops", "programs", "--json"))["items"]
                 if p["name"] == "초거대 AI 지원"]  # fmt: skip
    day = timedelta(days=1)
    opened = s.ok(
        "ops",
        "open-call",
        "--program",
        str(program),
        "--file",
        str(_call_file(tmp_path / "open.yaml", "2027 H1", now - day, now + 7 * day)),
    )
    assert "2027 H1" in opened
    docs = (Path(__file__).parents[3] / "docs" / "cli.md").read_text(encoding="utf-8")
    documented = docs.split("A call file", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "call.yaml").write_text(documented, encoding="utf-8")
    as_written = json.loads(s.ok("ops", "open-call", "--program", str(program), "--file",
                                 str(tmp_path / "call.yaml"), "--json"))  # fmt: skip
    assert as_written["closes_at"].startswith("2027-02-15T00:00:00")
    assert as_written["eligible_org_kinds"] == ["university", "company", "research_institute"]
    late = json.loads(s.ok("ops", "open-call", "--program", str(program), "--json", "--file",
                           str(_call_file(tmp_path / "closed.yaml", "2026 H2", now - 9 * day,
                                          now - day))))  # fmt: skip
    calls = {c["title"]: c["id"] for c in json.loads(s.ok("pi", "calls"))["items"]}
    (tmp_path / "proposal.yaml").write_text(
        "title: 한국어 LLM\nabstract: 미세조정\nrequested_credits: 300\n"
        "job_classes: [fine-tuning]\n", encoding="utf-8")  # fmt: skip
    applied = s.ok("pi", "apply", "--call", str(calls["2027 H1"]), "--file",
                   str(tmp_path / "proposal.yaml"))  # fmt: skip
    assert f"to call {calls['2027 H1']}: submitted" in applied
    (first, second, third), rev = _proposals_on(s, late["id"], 3)
    assert "now reviews" in s.ok("ops", "assign-reviewer", "--call", str(late["id"]),
                                 "--user", str(rev))  # fmt: skip
    for pid, mark in ((first, 9), (second, 7), (third, 4)):
        s.ok("rev", "review", "--proposal", str(pid), "--scores",
             f"merit={mark},feasibility={mark}")  # fmt: skip
    before = s.ok("ops", "proposals", "--call", str(late["id"]))
    shown = s.ok("ops", "award", "--call", str(late["id"]), "--preview")
    assert "preview (nothing committed): budget 1000, awarded 801, left 199" in shown
    korean = s.ok("ops", "--lang", "ko", "award", "--call", str(late["id"]), "--preview")
    assert "미리보기" in korean and "탈락" in korean and "순위" in korean
    view = json.loads(s.ok("ops", "award", "--call", str(late["id"]), "--preview", "--json"))
    assert (view["budget"], view["awarded"], view["left"]) == ("1000", "801", "199")
    assert [d["awarded"] for d in view["decisions"]] == [True, True, False]  # 4 < min 5
    below = view["decisions"][2]
    assert below["reason"] == "score 4.00 below the minimum 5"
    assert below["reason_code"] == "decision_below_minimum" and "4.00점이" in korean
    assert s.ok("ops", "proposals", "--call", str(late["id"])) == before  # nothing written
    turned = json.loads(
        s.ok(
            "ops",
            "award",
            "--call",
            str(late["id"]),
            "--preview",
            "--json",
            "--override",
            f"{second}=reject:duplicate of another award",
        )
    )
    assert turned["awarded"] == "400" and turned["decisions"][1]["override"] is True
    bad = s.nacc("ops", "award", "--call", str(late["id"]), "--override", f"{second}=maybe")
    assert bad.exit_code == 2 and "PROPOSAL=award:REASON" in bad.stderr
    decided = json.loads(s.ok("ops", "award", "--call", str(late["id"])))
    assert [(d["proposal_id"], d["amount"]) for d in decided] == [
        (d["proposal_id"], d["amount"]) for d in view["decisions"]
    ]  # as previewed
