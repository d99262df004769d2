"""End to end over HTTP, SQLite and PostgreSQL, with the live scheduler running real
processes: an operator sets up people, an officer opens a call, two organisations apply,
reviewers score (a conflicted one is refused), awards are made, and a PI's jobs really
run and finish; the ledger charges equal the metered usage exactly, and balances and the
ledger proof are right.

The programme phases run on a test clock set three weeks back; jobs run on real time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from conftest import Api
from nacc.adapters.store import repos_ledger
from nacc.service.context import utcnow
from nacc.service.reports import verify_ledger
from support.waiting import wait_until


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _ok(api: Api, method: str, path: str, token: str, body: Any = None, code: int = 200) -> Any:
    r = api.client.request(method, path, json=body, headers=api.as_(token))
    assert r.status_code == code, f"{method} {path}: {r.status_code} {r.text}"
    return r.json()


def _people(api: Api) -> dict[str, Any]:
    op = api.operator
    org = {n: _ok(api, "POST", "/organisations", op, {"name": n, "kind": k, "region": "Daejeon",
                  "capital_area": False, "company_size": s}, 201)["id"]
           for n, k, s in (("Uni A", "university", None), ("Company B", "company", "sme"),
                           ("Institute C", "research_institute", None))}  # fmt: skip
    tokens: dict[str, Any] = {}
    for login, where, roles in (("officer", None, ["program_officer"]), ("r1", "Institute C", []),
                                ("r2", "Uni A", []), ("a1", "Uni A", []),
                                ("b1", "Company B", [])):  # fmt: skip
        user = _ok(api, "POST", "/users", op, {"name": login, "email": f"{login}@e.kr",
                   "organisation_id": org[where] if where else None,
                   "roles": [{"role": r} for r in roles]}, 201)  # fmt: skip
        secret = _ok(api, "POST", f"/users/{user['id']}/tokens", op, {}, 201)["token"]
        tokens[login], tokens[f"{login}_id"] = secret, user["id"]
    return tokens


def test_call_to_awards_to_jobs_to_ledger(live_api: Api) -> None:
    api, t0 = live_api, utcnow() - timedelta(days=21)
    api.svc.clock = clock = Clock(t0)
    tok = _people(api)
    prog = _ok(api, "POST", "/programs", tok["officer"], {"name": "AI research computing"}, 201)
    day = timedelta(days=1)
    call = _ok(api, "POST", f"/programs/{prog['id']}/calls", tok["officer"], {
        "title": "2026 call", "opens_at": t0.isoformat(), "closes_at": (t0 + 5 * day).isoformat(),
        "review_opens_at": (t0 + 5 * day).isoformat(),
        "review_closes_at": (t0 + 10 * day).isoformat(), "budget_credits": "100",
        "criteria": [{"name": "merit", "weight": 2}, {"name": "impact", "weight": 1}],
        "min_score": 5}, 201)  # fmt: skip
    prop = {who: _ok(api, "POST", f"/calls/{call['id']}/proposals", tok[who], {
        "title": f"{who}'s model", "abstract": "LLM fine-tuning", "requested_credits": "60",
        "job_classes": ["fine-tuning"]}, 201)["id"] for who in ("a1", "b1")}  # fmt: skip
    clock.now = t0 + 6 * day
    for r in ("r1", "r2"):
        _ok(api, "POST", f"/calls/{call['id']}/reviewers", tok["officer"],
            {"user_id": tok[f"{r}_id"]}, 201)  # fmt: skip
    refused = api.client.post(f"/proposals/{prop['a1']}/reviews", headers=api.as_(tok["r2"]),
                              json={"scores": {"merit": 9, "impact": 9}})  # fmt: skip
    assert refused.status_code == 403 and "organisation" in refused.json()["detail"]
    for who, merit in (("a1", 9), ("b1", 6)):
        _ok(api, "POST", f"/proposals/{prop[who]}/reviews", tok["r1"],
            {"scores": {"merit": merit, "impact": 6}}, 201)  # fmt: skip
    clock.now = t0 + 11 * day
    decided = _ok(api, "POST", f"/calls/{call['id']}/decisions", tok["officer"], {}, 201)
    by = {d["proposal_id"]: d for d in (decided if isinstance(decided, list) else decided["items"])}
    assert by[prop["a1"]]["awarded"] and not by[prop["b1"]]["awarded"]  # 60 + 60 > 100
    project = by[prop["a1"]]["project_id"]
    api.svc.clock = utcnow  # the project is live: jobs run on real time
    _jobs_and_ledger(api, tok["a1"], project)


def _jobs_and_ledger(api: Api, pi: str, project: int) -> None:
    before = Decimal(_ok(api, "GET", f"/projects/{project}/balance", pi)["balance"])
    assert before == Decimal(30)  # half of the 60 awarded, released at award
    ids = [_ok(api, "POST", f"/projects/{project}/jobs", pi, {
        "command": f"echo run {i} on $CUDA_VISIBLE_DEVICES; sleep 0.8",
        "accelerators": 1 + i, "job_class": "fine-tuning", "time_limit_s": 600}, 201)["id"]
        for i in range(2)]  # fmt: skip

    def ended() -> list[str] | None:
        states = [_ok(api, "GET", f"/jobs/{j}", pi)["state"] for j in ids]
        return states if all(s in ("completed", "failed", "cancelled") for s in states) else None

    assert wait_until(ended, 30, "both jobs to end", every=0.2) == ["completed", "completed"]
    assert "run 1 on" in api.client.get(f"/jobs/{ids[1]}/logs", headers=api.as_(pi)).text
    with api.svc.tx() as s:
        metered = repos_ledger.metered_by_job(s)
        for j in ids:
            charged = -repos_ledger.sum_legs(s, f"project:{project}", f"job:{j}:")
            assert charged == metered[j] > 0
    after = Decimal(_ok(api, "GET", f"/projects/{project}/balance", pi)["balance"])
    assert after == before - sum(metered[j] for j in ids)
    report = verify_ledger(api.svc)
    assert report.ok, report.lines()
