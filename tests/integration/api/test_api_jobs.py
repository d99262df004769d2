"""Jobs over HTTP with the live scheduler running real processes (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from jobsetup import funded_project
from jobsetup import submit_job as _submit
from jobsetup import wait_job as _wait

from conftest import Api
from nacc.adapters.store import repos_jobs, repos_ledger, repos_people
from nacc.service import live
from nacc.service.reports import verify_ledger
from support.waiting import wait_until

NACC = str(Path(sys.executable).parent / "nacc")


def test_job_runs_as_a_real_process_and_is_charged_exactly(live_api: Api) -> None:
    f = funded_project(live_api.svc)
    cmd = 'echo "hello from $NACC_JOB_ID on $CUDA_VISIBLE_DEVICES"; sleep 1.2'
    r = _submit(live_api, f.pi, f.project_id, command=cmd, accelerators=2,
                accelerator_types=["H100-SXM"])  # fmt: skip
    assert r.status_code == 201, r.text
    job = _wait(live_api, f.pi, r.json()["id"], {"completed", "failed"})
    assert job["state"] == "completed" and job["exit_code"] == 0
    assert sorted(job["device_ids"]) == ["0", "1"]
    log = live_api.client.get(f"/jobs/{job['id']}/logs", headers=live_api.as_(f.member)).text
    assert f"hello from {job['id']} on 0,1" in log
    with live_api.svc.tx() as s:
        metered = repos_ledger.metered_by_job(s)[job["id"]]
        charged = -repos_ledger.sum_legs(s, f"project:{f.project_id}", f"job:{job['id']}:")
        balance = repos_ledger.balance(s, f"project:{f.project_id}")
    assert metered > 0 and charged == metered  # every metered interval charged once
    assert balance == Decimal(100) - metered
    # 2 H100 for about 1.2 s at 1 credit per H100-hour
    assert Decimal("0.0005") < metered < Decimal("0.01")
    report = verify_ledger(live_api.svc)
    assert report.ok, report.lines()


def test_ledger_verify_cli_proves_and_catches_tampering(live_api: Api, db_url: str) -> None:
    f = funded_project(live_api.svc)
    job = _submit(live_api, f.pi, f.project_id, command="sleep 0.6").json()
    assert _wait(live_api, f.pi, job["id"], {"completed"})["state"] == "completed"
    env = dict(os.environ, NACC_DATABASE_URL=db_url)
    ok = subprocess.run([NACC, "ledger", "verify"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    with live_api.svc.tx() as s:  # forge: charge the job a second time under a new cause
        legs = [(f"project:{f.project_id}", Decimal("-0.5")), ("usage", Decimal("0.5"))]
        forged = f"job:{job['id']}:usage:0-1"
        repos_ledger.add_journal_entry(s, forged, live_api.svc.clock(), "forged", legs)
    bad = subprocess.run([NACC, "ledger", "verify"], env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert job["id"] in bad.stdout


def test_failure_exit_code_and_cancel(live_api: Api) -> None:
    f = funded_project(live_api.svc)
    bad = _submit(live_api, f.pi, f.project_id, command="exit 3").json()
    long = _submit(live_api, f.member, f.project_id, command="sleep 60").json()
    assert _wait(live_api, f.pi, bad["id"], {"failed"})["exit_code"] == 3
    assert _wait(live_api, f.pi, long["id"], {"running"})["state"] == "running"
    r = live_api.client.post(f"/jobs/{long['id']}/cancel", headers=live_api.as_(f.member))
    assert r.status_code == 202
    assert _wait(live_api, f.pi, long["id"], {"cancelled"})["state"] == "cancelled"


def test_time_limit_kills_the_job_and_bounds_its_charge(live_api: Api) -> None:
    f = funded_project(live_api.svc)
    cmd = "echo started; sleep 30; echo never"
    r = _submit(live_api, f.pi, f.project_id, command=cmd, accelerator_types=["H100-SXM"],
                time_limit_s=1)  # fmt: skip
    job = _wait(live_api, f.pi, r.json()["id"], {"completed", "failed", "cancelled"})
    assert job["state"] == "failed" and job["reason"].startswith("timeout: time limit of 1 s")
    ran = datetime.fromisoformat(job["finished_at"]) - datetime.fromisoformat(job["started_at"])
    assert 1.0 <= ran.total_seconds() < 3.0  # stopped within a tick (0.1 s) of its limit
    log = live_api.client.get(f"/jobs/{job['id']}/logs", headers=live_api.as_(f.pi)).text
    assert "started" in log and "never" not in log
    with live_api.svc.tx() as s:
        metered = repos_ledger.metered_by_job(s)[job["id"]]
        charged = -repos_ledger.sum_legs(s, f"project:{f.project_id}", f"job:{job['id']}:")
    # 1 H100 for exactly its 1 s limit (each metered interval rounds to a nano-credit)
    assert charged == metered and abs(metered - Decimal(1) / 3600) < Decimal("1e-8")
    state = Path(live_api.svc.workdir) / job["id"] / "state.json"
    pid = int(json.loads(state.read_text())["pid"])

    def gone() -> bool:  # the process group was killed (a zombie is reaped on the next poll)
        stat = Path(f"/proc/{pid}/stat")
        return not stat.exists() or stat.read_text().split(")")[-1].split()[0] == "Z"

    wait_until(gone, 10, f"process {pid} of the timed-out job to be gone")


def test_over_balance_is_refused_with_the_shortfall_and_stores_nothing(live_api: Api) -> None:
    f = funded_project(live_api.svc, Decimal(10))
    r = _submit(live_api, f.pi, f.project_id, command="true", accelerators=4,
                accelerator_types=["H100-SXM"], time_limit_s=3 * 3600)  # fmt: skip
    assert r.status_code == 402
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["shortfall"] == "2.000000000"  # 12 credits asked, 10 available
    jobs = live_api.client.get(f"/projects/{f.project_id}/jobs", headers=live_api.as_(f.pi))
    assert jobs.json()["total"] == 0


def test_live_jobs_hold_credits_so_together_they_fit_the_balance(live_api: Api) -> None:
    """10 credits: a 6-credit job runs; a second is refused (402) because the first holds
    6; when the first is cancelled its unspent reservation is released and the second
    gets in. The books (committed == what live jobs hold) are proved by ledger verify."""
    f = funded_project(live_api.svc, Decimal(10))
    six = {"accelerator_types": ["H100-SXM"], "time_limit_s": 6 * 3600}  # 6 credits
    first = _submit(live_api, f.pi, f.project_id, command="sleep 60", **six)
    assert first.status_code == 201, first.text
    assert _wait(live_api, f.pi, first.json()["id"], {"running"})["state"] == "running"
    second = _submit(live_api, f.pi, f.project_id, command="true", **six)
    assert second.status_code == 402
    problem = second.json()
    assert "held by the project's pending and running jobs" in problem["detail"]
    assert Decimal(problem["shortfall"]) == 2  # 6 asked, 4 free: usage moves both alike
    got = live_api.client.get(f"/projects/{f.project_id}/balance", headers=live_api.as_(f.pi))
    books = {k: Decimal(v) for k, v in got.json().items() if k.endswith("credits")}
    assert books["available_credits"] == 4  # the PI sees what a new job may cost
    assert Decimal(6) - books["committed_credits"] == Decimal(10) - Decimal(got.json()["balance"])
    live_api.client.post(f"/jobs/{first.json()['id']}/cancel", headers=live_api.as_(f.pi))
    assert _wait(live_api, f.pi, first.json()["id"], {"cancelled"})["state"] == "cancelled"
    again = _submit(live_api, f.pi, f.project_id, command="true", **six)
    assert again.status_code == 201, again.text
    assert _wait(live_api, f.pi, again.json()["id"], {"completed"})["state"] == "completed"
    report = verify_ledger(live_api.svc)
    assert report.ok, report.lines()
    assert any("committed credits" in line and "[ok]" in line for line in report.lines())


def test_idempotency_key_returns_the_first_job(live_api: Api) -> None:
    f = funded_project(live_api.svc)
    first = _submit(live_api, f.pi, f.project_id, command="true", idempotency_key="k1")
    again = _submit(live_api, f.pi, f.project_id, command="true", idempotency_key="k1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]


def test_an_idempotent_retry_is_not_refused_for_the_first_jobs_reservation(
    live_api: Api,
) -> None:
    poor = funded_project(live_api.svc, Decimal(10))  # the first job holds 6 of 10
    six = {"accelerator_types": ["H100-SXM"], "time_limit_s": 6 * 3600, "idempotency_key": "k"}
    one = _submit(live_api, poor.pi, poor.project_id, command="sleep 30", **six)
    two = _submit(live_api, poor.pi, poor.project_id, command="sleep 30", **six)
    assert (one.status_code, two.status_code) == (201, 200), two.text
    assert one.json()["id"] == two.json()["id"]


def test_bad_requests_are_problems_and_change_nothing(live_api: Api) -> None:
    f = funded_project(live_api.svc)
    cases = [
        (_submit(live_api, f.pi, f.project_id, command=""), 422),
        (_submit(live_api, f.pi, f.project_id, command="true", job_class="mining"), 422),
        (_submit(live_api, f.pi, f.project_id, command="true", accelerators=0), 422),
        (_submit(live_api, f.pi, f.project_id, command="true", surprise=1), 422),
        (_submit(live_api, f.pi, f.project_id, command="true", image="pytorch:2.5"), 422),
        (_submit(live_api, f.outsider, f.project_id, command="true"), 403),
        (_submit(live_api, f.pi, 424242, command="true"), 403),
        (live_api.client.get("/jobs/j-nope", headers=live_api.as_(f.pi)), 404),
        (_submit(live_api, "nacc_wrong", f.project_id, command="true"), 401),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status
    assert "container image" in cases[4][0].json()["detail"]  # not run on the host silently
    jobs = live_api.client.get(f"/projects/{f.project_id}/jobs", headers=live_api.as_(f.pi))
    assert jobs.json()["total"] == 0


def test_health_and_metrics(live_api: Api) -> None:
    health = wait_until(lambda: (h := live_api.client.get("/healthz").json())["scheduler"] == "ok"
                        and h, 10, "the scheduler's first heartbeat")  # fmt: skip
    assert set(health) == {"status", "scheduler", "scheduler_beat_age_s", "backends_down"}
    assert health["status"] == "ok" and 0 <= health["scheduler_beat_age_s"] < 10  # no pid
    assert health["backends_down"] == 0
    details = live_api.client.get("/healthz/details", headers=live_api.as_(live_api.operator))
    assert details.json()["scheduler_pid"] == os.getpid() and details.json()["scheduler_host"]
    assert [b["up"] for b in details.json()["backends"]] == [True], details.json()  # local://
    text = live_api.client.get("/metrics").text
    for name in ("nacc_queue_length", "nacc_running_jobs", "nacc_credits_spent_total"):
        assert name in text
    assert 'nacc_utilization{accelerator="H100-SXM"}' in text
    assert "nacc_scheduler_up 1" in text and "nacc_scheduler_step_seconds" in text
    assert "nacc_backends_down 0.0" in text


def test_health_tells_a_missing_or_stalled_scheduler(api: Api) -> None:
    """Without a scheduler the API is still healthy, and says the scheduler is absent;
    a heartbeat that stopped a minute ago reads as stale (and down in /metrics)."""
    assert api.client.get("/healthz").json()["scheduler"] == "absent"
    assert "nacc_scheduler_up 0" in api.client.get("/metrics").text
    then = api.svc.clock() - timedelta(seconds=60)
    beat = repos_jobs.Beat(repos_jobs.LIVE_SCHEDULER, "elsewhere", 4242, then, then,
                           0.5, 0.01, 3, 1)  # fmt: skip
    with api.svc.tx() as s:
        repos_jobs.record_beat(s, beat)
    health = api.client.get("/healthz")
    assert health.status_code == 200
    got = health.json()
    assert got["scheduler"] == "stale" and "scheduler_pid" not in got
    details = api.client.get("/healthz/details", headers=api.as_(api.operator)).json()
    assert details["scheduler_pid"] == 4242 and details["scheduler_host"] == "elsewhere"
    assert 59 < got["scheduler_beat_age_s"] < 70
    text = api.client.get("/metrics").text
    assert "nacc_scheduler_up 0" in text and "nacc_scheduler_heartbeat_age_seconds 6" in text


def test_a_job_that_committed_late_is_still_run(
    live_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job whose transaction committed long after its submit time (it waited for its
    project's lock) is behind the scheduler's high-water mark; the periodic sweep of
    pending jobs takes it in."""
    monkeypatch.setattr(live, "_SWEEP_S", 1.0)
    f = funded_project(live_api.svc)
    first = _submit(live_api, f.pi, f.project_id, command="true").json()
    assert _wait(live_api, f.pi, first["id"], {"completed"})["state"] == "completed"
    with live_api.svc.tx() as s:
        pi_id = repos_jobs.get_job(s, first["id"]).submitted_by  # type: ignore[union-attr]
        late = repos_jobs.NewJob("j-late", f.project_id, pi_id, "true", 1, "inference",
                                 time_limit_s=60)  # fmt: skip
        repos_jobs.create_job(s, late, live_api.svc.clock() - timedelta(seconds=60))
    assert _wait(live_api, f.pi, "j-late", {"completed"})["state"] == "completed"


def test_pending_job_says_why_and_when(live_api: Api) -> None:
    f = funded_project(live_api.svc)
    # the 4 H100s are taken by a long job; a second 4-H100 job must wait
    first = _submit(live_api, f.pi, f.project_id, command="sleep 30", accelerators=4,
                    accelerator_types=["H100-SXM"], time_limit_s=120).json()  # fmt: skip
    assert _wait(live_api, f.pi, first["id"], {"running"})["state"] == "running"
    second = _submit(live_api, f.pi, f.project_id, command="true", accelerators=4,
                     accelerator_types=["H100-SXM"], time_limit_s=60).json()  # fmt: skip
    got = wait_until(lambda: (g := live_api.client.get(f"/jobs/{second['id']}",
                     headers=live_api.as_(f.pi)).json())["expected_start"] and g, 10,
                     "the second job's expected start")  # fmt: skip
    assert got["state"] == "pending" and got["reason"].startswith("nacc:")
    started = datetime.fromisoformat(_wait(live_api, f.pi, first["id"], {"running"})["started_at"])
    expected = datetime.fromisoformat(got["expected_start"])
    # the first job's 120 s time limit frees the pool: that is the earliest start
    assert abs((expected - started).total_seconds() - 120) < 2
    live_api.client.post(f"/jobs/{first['id']}/cancel", headers=live_api.as_(f.pi))


def test_a_command_with_a_nul_byte_is_refused_at_submission(live_api: Api) -> None:
    """No process can run it and PostgreSQL cannot store it: 422 naming the field, on
    either store, and nothing stored."""
    f = funded_project(live_api.svc)
    r = _submit(live_api, f.pi, f.project_id, command="echo before\u0000after")
    assert r.status_code == 422, r.text
    assert r.json()["params"]["field"] == "body.command" and "NUL byte" in r.json()["detail"]
    jobs = live_api.client.get(f"/projects/{f.project_id}/jobs", headers=live_api.as_(f.pi))
    assert jobs.json()["total"] == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL cannot store it
def test_a_launch_the_backend_refuses_fails_that_job_only(live_api: Api) -> None:
    """A stored job the local backend cannot launch (a NUL byte in its command, which the
    API refuses but SQLite can hold) fails with the backend's reason, is never charged,
    holds no device, and the jobs queued behind it on the same devices run."""
    f = funded_project(live_api.svc)
    with live_api.svc.tx() as s:
        pi_id = repos_people.active_token(s, f.pi, live_api.svc.clock()).user_id  # type: ignore[union-attr]
        bad = repos_jobs.NewJob("j-nul", f.project_id, pi_id, "echo a\x00b", 4, "inference",
                                accelerator_types=["H100-SXM"], time_limit_s=60)  # fmt: skip
        repos_jobs.create_job(s, bad, live_api.svc.clock())
    all_h100 = {"accelerators": 4, "accelerator_types": ["H100-SXM"], "job_class": "inference"}
    after = [_submit(live_api, f.pi, f.project_id, command=f"echo {n}", **all_h100).json()
             for n in range(2)]  # fmt: skip
    failed = _wait(live_api, f.pi, "j-nul", {"failed", "completed"})
    assert failed["state"] == "failed" and failed["started_at"] is None
    assert failed["reason"] == "launch failed: empty command or a NUL byte in it"
    for job in after:
        done = _wait(live_api, f.pi, job["id"], {"completed", "failed"})
        assert done["state"] == "completed" and len(done["device_ids"]) == 4
    with live_api.svc.tx() as s:
        assert "j-nul" not in repos_ledger.metered_by_job(s)
    assert verify_ledger(live_api.svc).ok


def test_another_tenants_job_and_log_stay_hidden(live_api: Api) -> None:
    """The PI and member of one organisation's project cannot read, list or cancel a job
    of another organisation's project, nor see its log or command; its own people can.
    (404, as for a job that does not exist: a refusal would tell that it does.)"""
    mine = funded_project(live_api.svc)
    theirs = funded_project(live_api.svc, org_name="SNU", who="snu-")
    secret = "secret-of-kaist-7f3a"
    job = _submit(live_api, mine.pi, mine.project_id, command=f"echo {secret}").json()
    assert _wait(live_api, mine.pi, job["id"], {"completed"})["state"] == "completed"
    own = live_api.client.get(f"/jobs/{job['id']}/logs", headers=live_api.as_(mine.member))
    assert own.status_code == 200 and secret in own.text  # the log is there to be read
    for token in (theirs.pi, theirs.member):
        h = live_api.as_(token)
        tries = [
            live_api.client.get(f"/jobs/{job['id']}/logs", headers=h),
            live_api.client.get(f"/jobs/{job['id']}/logs?tail=10000000", headers=h),
            live_api.client.get(f"/jobs/{job['id']}", headers=h),
            live_api.client.get(f"/projects/{mine.project_id}/jobs", headers=h),
            live_api.client.post(f"/jobs/{job['id']}/cancel", headers=h),
        ]
        for r in tries:
            assert r.status_code == 404, (r.request.url, r.status_code, r.text)
            assert secret not in r.text and job["command"] not in r.text
    listed = live_api.client.get(f"/projects/{theirs.project_id}/jobs",
                                 headers=live_api.as_(theirs.pi))  # fmt: skip
    assert listed.status_code == 200 and listed.json()["total"] == 0


def test_a_log_replaced_by_a_link_is_refused_not_followed(live_api: Api) -> None:
    """A job that swapped its log (or, uncontained, its directory) for a link to another
    project's log gets 403 from GET /jobs/{id}/logs, never that log's content."""
    mine = funded_project(live_api.svc)
    theirs = funded_project(live_api.svc, org_name="SNU", who="snu-")
    secret = "secret-of-snu-42b1"
    victim = _submit(live_api, theirs.pi, theirs.project_id, command=f"echo {secret}").json()
    spy = _submit(live_api, mine.pi, mine.project_id, command="echo mine").json()
    for f, job in ((theirs, victim), (mine, spy)):
        assert _wait(live_api, f.pi, job["id"], {"completed"})["state"] == "completed"
    root = Path(live_api.svc.workdir)
    (root / spy["id"] / "output.log").unlink()
    (root / spy["id"] / "output.log").symlink_to(root / victim["id"] / "output.log")
    r = live_api.client.get(f"/jobs/{spy['id']}/logs", headers=live_api.as_(mine.pi))
    assert r.status_code == 403 and secret not in r.text
    moved = root / f"{spy['id']}.moved"
    (root / spy["id"]).rename(moved)
    (root / spy["id"]).symlink_to(root / victim["id"])  # the whole directory is a link
    r = live_api.client.get(f"/jobs/{spy['id']}/logs", headers=live_api.as_(mine.pi))
    assert r.status_code == 403 and secret not in r.text
