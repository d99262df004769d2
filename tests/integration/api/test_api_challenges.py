"""Challenge tracks over HTTP on SQLite and PostgreSQL: officers create and edit, teams
submit, real evaluator processes run on the local fleet as the challenge's jobs, and the
public leaderboard shows only public scores until the phase closes. Refusals: quota (429
with Retry-After and the reset time), the total, bad metrics JSON, a crashed evaluator,
stuck evaluations (timed out, retried once, no quota used), roles and bad input."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from challengesetup import body, create, iso, program, settled, submit
from jobsetup import Funded, funded_project

from conftest import Api
from support.waiting import wait_until


def test_create_refusals_and_what_anyone_sees(api: Api, tmp_path: Path) -> None:
    prog = program(api)
    ops = api.as_(api.operator)
    team = funded_project(api.svc)

    def refused(**kw: object) -> dict[str, object]:
        got = api.client.post("/challenges", json=body(api, tmp_path, prog, **kw), headers=ops)
        assert got.status_code == 422, got.text
        return dict(got.json())

    assert refused(primary_metric="f1")["field"] == "body.primary_metric"
    assert refused(reset_zone="Mars/Olympus")["field"] == "body.reset_zone"
    assert refused(test_data="/no/such/file")["field"] == "body.test_data"
    assert refused(reset_time="24:00")["field"] == "body.reset_time"
    assert refused(per_day=5, total=2)["field"] == "body.total"
    assert refused(accelerator_types=["TPU-v9"])["field"] == "body.accelerator_types"
    nul = refused(command="a\x00b")
    assert nul["field"] == "body.command" and nul["errors"][0]["code"] == "value_has_nul"  # type: ignore[index]
    now = api.svc.clock()
    overlapping = [{"name": "a", "starts_at": iso(now), "ends_at": iso(now + timedelta(days=2))},
                   {"name": "b", "starts_at": iso(now + timedelta(days=1)),
                    "ends_at": iso(now + timedelta(days=3))}]  # fmt: skip
    assert refused(phases=overlapping)["field"] == "body.phases"
    pi = api.client.post("/challenges", json=body(api, tmp_path, prog), headers=api.as_(team.pi))
    assert pi.status_code == 403 and pi.json()["code"] == "role_required_for"
    assert api.client.post("/challenges", json=body(api, tmp_path, prog)).status_code == 401
    made = create(api, tmp_path, prog)
    assert made["budget_balance"] == "50" and made["command"].endswith("evaluate.py")
    twice = api.client.post("/challenges", json=body(api, tmp_path, prog), headers=ops)
    assert twice.status_code == 409
    # anyone (no token) reads the challenge without its command or hidden data
    public = api.client.get(f"/challenges/{made['id']}")
    assert public.status_code == 200
    assert "command" not in public.json() and "test_data" not in public.json()
    assert [c["name"] for c in api.client.get("/challenges").json()] == ["llm-eval"]
    setup = api.client.get(f"/challenges/{made['id']}/setup", headers=api.as_(team.pi))
    assert setup.status_code == 403
    assert api.client.get(f"/challenges/{made['id']}/setup", headers=ops).status_code == 200
    assert api.client.get("/challenges/999").status_code == 404


def test_quota_429_says_when_it_resets_and_the_total_is_409(api: Api, tmp_path: Path) -> None:
    prog = program(api)
    team = funded_project(api.svc)
    other = funded_project(api.svc, who="b-", org_name="SNU")
    ch = create(api, tmp_path, prog, per_day=2, total=3)["id"]
    for i in range(2):
        ok = submit(api, team.member, ch, team.project_id, f"0.{i}:0.{i}")
        assert ok.status_code == 201, ok.text
        assert ok.json()["state"] == "pending" and ok.json()["private"] is None
        assert ok.json()["job_id"] is None  # the team never sees the evaluation job
    over = submit(api, team.pi, ch, team.project_id, "0.9:0.9")
    assert over.status_code == 429, over.text
    assert over.headers["content-type"].startswith("application/problem+json")
    problem = over.json()
    assert problem["code"] == "challenge_quota_day"
    resets = datetime.fromisoformat(problem["params"]["resets_at"])
    seoul = resets.astimezone(ZoneInfo("Asia/Seoul"))
    assert (seoul.hour, seoul.minute) == (0, 0)
    now = api.svc.clock()
    assert timedelta(0) < resets - now <= timedelta(days=1)
    wait = int(over.headers["Retry-After"])
    assert abs(wait - (resets - now).total_seconds()) < 60
    assert problem["params"]["retry_after_s"] == wait
    ko = api.client.post(f"/challenges/{ch}/entries",
                         json={"project_id": team.project_id, "model_ref": "x"},
                         headers={**api.as_(team.pi), "Accept-Language": "ko"})  # fmt: skip
    assert ko.status_code == 429 and "초기화" in ko.json()["detail"]
    quota = api.client.get(f"/challenges/{ch}/quota?project_id={team.project_id}",
                           headers=api.as_(team.member)).json()  # fmt: skip
    assert quota["used_today"] == 2 and quota["per_day"] == 2 and quota["used_total"] == 2
    # another team has its own quota; a stranger may not submit for a team
    assert submit(api, other.pi, ch, other.project_id, "0.5:0.5").status_code == 201
    assert submit(api, other.pi, ch, team.project_id, "0.5:0.5").status_code == 403
    once = create(api, tmp_path, prog, name="once", per_day=1, total=1)["id"]
    assert submit(api, team.pi, once, team.project_id, "0.5:0.5").status_code == 201
    total = submit(api, team.pi, once, team.project_id, "0.5:0.5")
    assert total.status_code == 409 and total.json()["code"] == "challenge_quota_total"
    # refused input names the field
    long_ref = submit(api, team.pi, once, team.project_id, "x" * 1001)
    assert long_ref.status_code == 422 and long_ref.json()["field"] == "body.model_ref"


def test_closed_phase_takes_no_entries(api: Api, tmp_path: Path) -> None:
    prog = program(api)
    team = funded_project(api.svc)
    now = api.svc.clock()
    later = [{"name": "final", "starts_at": iso(now + timedelta(days=1)),
              "ends_at": iso(now + timedelta(days=2))}]  # fmt: skip
    ch = create(api, tmp_path, prog, phases=later)["id"]
    early = submit(api, team.pi, ch, team.project_id, "0.5:0.5")
    assert early.status_code == 409 and "only during a phase" in early.json()["detail"]


def test_evaluations_run_on_the_fleet_and_the_board_hides_private_scores(
    live_api: Api, tmp_path: Path
) -> None:
    api = live_api
    prog = program(api)
    ops = api.as_(api.operator)
    teams = [funded_project(api.svc, who=f"t{i}-", org_name=f"Org {i}") for i in range(3)]
    made = create(api, tmp_path, prog)
    ch = made["id"]
    refs = {0: ["0.70:0.95", "0.80:0.60", "bad-json"], 1: ["0.75:0.70", "crash"],
            2: ["0.60:0.90", "nan", "silent"]}  # fmt: skip
    for i, team in enumerate(teams):
        for ref in refs[i]:
            assert submit(api, team.pi, ch, team.project_id, ref).status_code == 201
    seen = {e["model_ref"]: e for e in settled(api, ch, 8)}
    for ref in ("0.70:0.95", "0.80:0.60", "0.75:0.70", "0.60:0.90"):
        assert seen[ref]["state"] == "scored", (seen[ref], _log(api, seen[ref]["job_id"]))
    assert seen["0.80:0.60"]["public"] == {"acc": 0.8, "loss": 0.19999999999999996}
    assert seen["bad-json"]["state"] == "invalid"
    assert seen["bad-json"]["reason_code"] == "metrics_not_json"
    assert seen["nan"]["reason_code"] == "metrics_not_finite"
    assert seen["nan"]["reason_params"] == {"split": "public", "metric": "acc", "value": "'NaN'"}
    assert seen["silent"]["reason_code"] == "metrics_file_missing"
    assert seen["crash"]["state"] == "failed" and seen["crash"]["reason_params"] == {"exit_code": 3}
    # the team sees its own entries, public scores only, and never the job
    mine = api.client.get(f"/challenges/{ch}/entries?project_id={teams[0].project_id}",
                          headers=api.as_(teams[0].member)).json()  # fmt: skip
    assert len(mine) == 3 and all(e["private"] is None and e["job_id"] is None for e in mine)
    job = api.client.get(f"/jobs/{seen['0.80:0.60']['job_id']}", headers=api.as_(teams[0].pi))
    assert job.status_code == 404
    assert (
        api.client.get(f"/challenges/{ch}/entries", headers=api.as_(teams[0].pi)).status_code == 403
    )
    _public_views(api, ch, teams)
    # officers rerun (no quota used) and disqualify with a reason
    rerun = api.client.post(f"/challenges/{ch}/entries/{seen['bad-json']['id']}/rerun",
                            headers=ops)  # fmt: skip
    assert rerun.status_code == 200 and rerun.json()["state"] == "pending"
    again = {e["model_ref"]: e for e in settled(api, ch, 8)}
    assert again["bad-json"]["state"] == "invalid" and again["bad-json"]["attempt"] == 1
    assert again["bad-json"]["job_id"] != seen["bad-json"]["job_id"]
    out = api.client.post(f"/challenges/{ch}/entries/{seen['0.75:0.70']['id']}/disqualify",
                          json={"reason": "trained on the test set"}, headers=ops)  # fmt: skip
    assert out.status_code == 200 and out.json()["disqualified_reason"] == "trained on the test set"
    assert (
        api.client.post(
            f"/challenges/{ch}/entries/{seen['0.75:0.70']['id']}/disqualify",
            json={"reason": "x"},
            headers=api.as_(teams[1].pi),
        ).status_code
        == 403
    )
    _closed(api, tmp_path, prog, ch, teams)


def _log(api: Api, job_id: str) -> str:
    got = api.client.get(f"/jobs/{job_id}/logs", headers=api.as_(api.operator))
    return got.text


def _public_views(api: Api, ch: int, teams: list[Funded]) -> None:
    # the public board: no token, public scores, best public entry per team
    board = api.client.get(f"/challenges/{ch}/leaderboard").json()
    assert board["split"] == "public" and not board["closed"]
    assert [(r["rank"], r["team"], r["score"]) for r in board["rows"]] == [
        (1, teams[0].project_id, 0.8), (2, teams[1].project_id, 0.75),
        (3, teams[2].project_id, 0.6)]  # fmt: skip
    assert all(r["private"] is None and "0.95" not in str(r) for r in board["rows"])
    # the portal's page of the same board, to anyone, in English and Korean
    en = api.client.get(f"/portal/challenges/{ch}?lang=en")
    assert en.status_code == 200 and "Public scores only" in en.text
    assert "t0-demo" in en.text and "0.8" in en.text and "0.95" not in en.text
    ko = api.client.get(f"/portal/challenges/{ch}?lang=ko")
    assert "공개 점수만" in ko.text and "0.95" not in ko.text
    assert api.client.get("/portal/challenges/999?lang=en").status_code == 404
    # the evaluations were charged to the challenge, not to the teams
    for team in teams:
        bal = api.client.get(f"/projects/{team.project_id}/balance", headers=api.as_(team.pi))
        assert bal.json()["balance"] == "100"
    setup = api.client.get(f"/challenges/{ch}/setup", headers=api.as_(api.operator)).json()
    assert float(setup["budget_balance"]) < 50


def _closed(api: Api, tmp_path: Path, prog: int, ch: int, teams: list[Funded]) -> None:
    # the officer closes the phase (an edit): the board ranks the chosen entries by private
    settings = {k: v for k, v in body(api, tmp_path, prog).items()
                if k not in ("program_id", "name", "budget_credits")}  # fmt: skip
    now = api.svc.clock()
    settings["phases"] = [{"name": "final", "starts_at": iso(now - timedelta(hours=1)),
                           "ends_at": iso(now - timedelta(seconds=1))}]  # fmt: skip
    edited = api.client.put(f"/challenges/{ch}", json=settings, headers=api.as_(api.operator))
    assert edited.status_code == 200, edited.text
    closed = api.client.get(f"/challenges/{ch}/leaderboard").json()
    assert closed["split"] == "private" and closed["closed"]
    # team 0's chosen entry is its best public (0.80), whose private is 0.60; team 2: 0.90
    assert [(r["rank"], r["team"], r["score"]) for r in closed["rows"]] == [
        (1, teams[2].project_id, 0.9), (2, teams[0].project_id, 0.6)]  # fmt: skip
    assert closed["rows"][0]["public"] == {"acc": 0.6, "loss": 0.4}
    final = api.client.get(f"/portal/challenges/{ch}?lang=ko")
    assert "최종 순위" in final.text and "0.9" in final.text
    mine = api.client.get(f"/challenges/{ch}/entries?project_id={teams[0].project_id}",
                          headers=api.as_(teams[0].member)).json()  # fmt: skip
    assert {e["model_ref"]: e["private"] for e in mine}["0.70:0.95"] == {
        "acc": 0.95, "loss": 0.050000000000000044}  # fmt: skip


def test_stuck_evaluations_time_out_are_retried_once_and_use_no_quota(
    live_api: Api, tmp_path: Path
) -> None:
    api = live_api
    prog = program(api)
    team = funded_project(api.svc)
    ch = create(api, tmp_path, prog, per_day=1, total=5, time_limit_s=1)["id"]
    assert submit(api, team.pi, ch, team.project_id, "hang").status_code == 201
    [stuck] = settled(api, ch, 1)
    assert stuck["state"] == "platform_failed" and stuck["attempt"] == 2
    assert stuck["reason_code"] == "evaluation_platform"
    assert stuck["reason_params"] == {"cause": "timeout", "attempts": 2}
    # it used none of the day's one entry
    assert submit(api, team.pi, ch, team.project_id, "0.5:0.5").status_code == 201
    assert submit(api, team.pi, ch, team.project_id, "0.5:0.5").status_code == 429


def test_a_cancelled_evaluation_uses_no_quota(live_api: Api, tmp_path: Path) -> None:
    api = live_api
    prog = program(api)
    team = funded_project(api.svc)
    ch = create(api, tmp_path, prog, per_day=1, total=5)["id"]
    assert submit(api, team.pi, ch, team.project_id, "hang").status_code == 201

    def running() -> dict[str, Any] | None:
        got = api.client.get(f"/challenges/{ch}/entries", headers=api.as_(api.operator))
        entry = got.json()[0]
        return entry if entry["state"] == "running" else None

    entry = wait_until(running, 60, "the evaluation to run", every=0.2)
    stop = api.client.post(f"/jobs/{entry['job_id']}/cancel", headers=api.as_(api.operator))
    assert stop.status_code == 202, stop.text
    [done] = settled(api, ch, 1)
    assert done["state"] == "cancelled" and done["reason_code"] == "evaluation_cancelled"
    assert submit(api, team.pi, ch, team.project_id, "0.5:0.5").status_code == 201
