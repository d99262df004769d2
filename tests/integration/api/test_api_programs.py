"""Programs over HTTP (SQLite and PostgreSQL): calls, proposals, reviews with conflicts of
interest and windows, decisions with an override, projects, tranches and the ledger.

Time is a test clock (``svc.clock``) started at the real now and moved by hand, so the
windows hold whatever the date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import Api
from nacc.adapters.store import repos_ledger

PROBLEM = "application/problem+json"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    api: Api
    clock: Clock
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def call(self, method: str, path: str, who: str | None, body: Any = None) -> Any:
        headers = self.api.as_(self.tokens[who]) if who else {}
        return self.api.client.request(method, path, json=body, headers=headers)

    def ok(self, method: str, path: str, who: str, body: Any = None, code: int = 200) -> Any:
        r = self.call(method, path, who, body)
        assert r.status_code == code, r.text
        return r.json()


ORGS = {  # name: (kind, company_size)
    "Uni A": ("university", None),
    "Company B": ("company", "sme"),
    "Institute C": ("research_institute", None),
    "Agency G": ("public_agency", None),
}
USERS = {  # login: (organisation or None, global roles)
    "officer": (None, ["program_officer"]),
    "r1": ("Institute C", []),
    "r2": ("Uni A", []),
    "r3": ("Institute C", []),
    "a1": ("Uni A", []),
    "a2": ("Uni A", []),
    "b1": ("Company B", []),
    "g1": ("Agency G", []),
}


@pytest.fixture
def world(api: Api) -> World:
    clock = Clock()
    api.svc.clock = clock
    w = World(api, clock, tokens={"operator": api.operator})
    for name, (kind, size) in ORGS.items():
        body = {"name": name, "kind": kind, "region": "Daejeon", "capital_area": False,
                "company_size": size}  # fmt: skip
        w.ids[name] = w.ok("POST", "/organisations", "operator", body, 201)["id"]
    for login, (org, roles) in USERS.items():
        body = {"name": login.upper(), "email": f"{login}@example.kr",
                "organisation_id": w.ids[org] if org else None,
                "roles": [{"role": r} for r in roles]}  # fmt: skip
        w.ids[login] = w.ok("POST", "/users", "operator", body, 201)["id"]
        token = w.ok("POST", f"/users/{w.ids[login]}/tokens", "operator", {}, 201)
        w.tokens[login] = token["token"]
    return w


def call_body(clock: Clock, **over: Any) -> dict[str, Any]:
    """Submissions open for an hour from a minute ago; reviews in the hour after."""
    t = clock.now
    body = {
        "title": "AI research computing support 2026",
        "opens_at": (t - timedelta(minutes=1)).isoformat(),
        "closes_at": (t + timedelta(hours=1)).isoformat(),
        "review_opens_at": (t + timedelta(hours=1)).isoformat(),
        "review_closes_at": (t + timedelta(hours=2)).isoformat(),
        "budget_credits": 1000,
        "eligible_org_kinds": ["university", "company", "research_institute"],
        "sector_tags": ["academic", "health"],
        "criteria": [{"name": "novelty", "weight": 2}, {"name": "feasibility", "weight": 1}],
        "min_score": 5,
    }
    return body | over


def open_call(w: World, **over: Any) -> dict[str, Any]:
    program = w.ok("POST", "/programs", "officer", {"name": f"Program {len(w.ids)}"}, 201)
    return w.ok("POST", f"/programs/{program['id']}/calls", "officer", call_body(w.clock, **over),
                201)  # fmt: skip


def proposal(title: str, credits: int, team: list[int] | None = None) -> dict[str, Any]:
    return {"title": title, "abstract": f"{title}: we train things.",
            "requested_credits": credits, "job_classes": ["fine-tuning", "inference"],
            "accelerator_types": ["H100-SXM", "RNGD"], "team": team or []}  # fmt: skip


def accept(w: World, login: str, proposal_id: int) -> dict[str, Any]:
    """``login`` accepts their invitation to ``proposal_id``'s team."""
    mine = [i for i in w.ok("GET", "/me/invitations", login) if i["proposal_id"] == proposal_id]
    assert len(mine) == 1 and mine[0]["status"] == "pending", mine
    done: dict[str, Any] = w.ok("POST", f"/invitations/{mine[0]['id']}/accept", login)
    return done


def review(w: World, who: str, pid: int, novelty: float, feasibility: float) -> Any:
    body = {"scores": {"novelty": novelty, "feasibility": feasibility}, "comment": "ok"}
    return w.call("POST", f"/proposals/{pid}/reviews", who, body)


def assert_problem(r: Any, status: int, *words: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    for word in words:
        assert word in body["detail"], body
    return body


def test_call_to_award_to_tranches(world: World) -> None:
    cid, a, b, c = _apply(world)
    _review(world, cid, a, b, c)
    project_b = _decide(world, cid, a, b, c)
    _check_project_and_tranches(world, cid, project_b, c_award=100)


def _apply(w: World) -> tuple[int, int, int, int]:
    """Three proposals: A by Uni A (team A2 and R3), B by Company B, C by Uni A."""
    call = open_call(w)
    cid = call["id"]
    assert call["budget_credits"] == "1000" and call["budget_balance"] == "1000"
    a = w.ok("POST", f"/calls/{cid}/proposals", "a1",
             proposal("A", 600, [w.ids["a2"], w.ids["r3"]]), 201)["id"]  # fmt: skip
    for invitee in ("a2", "r3"):  # invited: on the team once they accept
        assert accept(w, invitee, a)["status"] == "accepted"
    b = w.ok("POST", f"/calls/{cid}/proposals", "b1", proposal("B", 300), 201)["id"]
    c = w.ok("POST", f"/calls/{cid}/proposals", "a2", proposal("C", 200), 201)["id"]
    for reviewer in ("r1", "r2", "r3"):
        w.ok("POST", f"/calls/{cid}/reviewers", "officer", {"user_id": w.ids[reviewer]}, 201)
    return cid, a, b, c


def _review(w: World, cid: int, a: int, b: int, c: int) -> None:
    """Scores (novelty ×2, feasibility ×1): A 7.0; B 8.0 and 7.0, mean 7.5; C 3.0."""
    assert_problem(review(w, "r1", a, 8, 5), 409, "takes reviews from")  # not yet open
    w.clock.advance(minutes=90)  # submissions closed, reviews open
    assert_problem(w.call("POST", f"/calls/{cid}/proposals", "b1", proposal("late", 10)), 409,
                   "accepts proposals")  # fmt: skip
    # conflicts of interest: refused with the reason, nothing stored
    assert_problem(review(w, "r2", a, 10, 10), 403, "belongs to the applicant's organisation")
    assert_problem(review(w, "r3", a, 10, 10), 403, "member of the applying team")
    assert w.ok("GET", f"/proposals/{a}", "officer")["reviews"] == 0
    assert_problem(review(w, "b1", a, 10, 10), 403, "needs role reviewer")

    assert review(w, "r1", a, 8, 5).json()["weighted_score"] == 7.0  # (2*8 + 5) / 3
    assert_problem(review(w, "r1", a, 9, 9), 409, "already reviewed")
    assert review(w, "r2", b, 9, 6).json()["weighted_score"] == 8.0
    assert review(w, "r1", b, 7, 7).status_code == 201  # B's mean: 7.5
    assert review(w, "r1", c, 3, 3).status_code == 201  # C: 3.0, below the minimum 5
    bad = review(w, "r3", c, 11, 3)
    assert_problem(bad, 422, "body.scores.novelty: Input should be less than or equal to 10")
    assert bad.json()["field"] == "body.scores.novelty"
    w.clock.advance(hours=1)  # the review window has closed
    assert_problem(review(w, "r3", b, 5, 5), 409, "takes reviews from")
    proposals = w.ok("GET", f"/calls/{cid}/proposals", "officer")
    assert [(p["id"], p["reviews"], p["mean_score"]) for p in proposals["items"]] == [
        (a, 1, 7.0), (b, 2, 7.5), (c, 1, 3.0)]  # fmt: skip
    audited = w.ok("GET", "/audit?action=review.submit", "operator")["items"]  # refused: none
    got = [(e["actor_id"], e["target"], e["details"]["score"]) for e in reversed(audited)]
    r1, r2 = w.ids["r1"], w.ids["r2"]
    assert got == [(r1, f"proposal:{a}", 7.0), (r2, f"proposal:{b}", 8.0),
                   (r1, f"proposal:{b}", 7.0), (r1, f"proposal:{c}", 3.0)]  # fmt: skip


def _decide(w: World, cid: int, a: int, b: int, c: int) -> int:
    """B's project id."""
    # decide: C's override draws 200 first, B (rank 1) 300, A (rank 2) 600 > 500 left
    overrides = {str(c): {"award": True, "reason": "strategic: first national NPU port"}}
    decisions = w.ok("POST", f"/calls/{cid}/decisions", "officer", {"overrides": overrides}, 201)
    got = {d["proposal_id"]: (d["rank"], d["awarded"], d["amount"]) for d in decisions}
    assert got == {b: (1, True, "300"), a: (2, False, "0"), c: (3, True, "200")}
    assert next(d for d in decisions if d["proposal_id"] == a)["reason"] == (
        "budget exhausted: requested 600, 500 left"
    )
    assert_problem(w.call("POST", f"/calls/{cid}/decisions", "officer", {}), 409, "already decided")
    dc = w.ok("GET", f"/proposals/{c}", "a2")["decision"]
    assert dc["override"] and dc["reason"] == "override: strategic: first national NPU port"
    assert w.ok("GET", f"/proposals/{a}", "a1")["status"] == "rejected"
    _decision_reasons_in_korean(w, cid, a, b, c)

    return int(next(d["project_id"] for d in decisions if d["proposal_id"] == b))


def _decision_reasons_in_korean(w: World, cid: int, a: int, b: int, c: int) -> None:
    """Reasons are stored as codes: rendered in the request's language, code and params
    alongside (the same in every language)."""

    def decision(pid: int, lang: str) -> dict[str, Any]:
        headers = {**w.api.as_(w.tokens["officer"]), "Accept-Language": lang}
        r = w.api.client.get(f"/proposals/{pid}", headers=headers)
        assert r.status_code == 200, r.text
        return dict(r.json()["decision"])

    ko, en = decision(a, "ko"), decision(a, "en")
    assert ko["reason"] == "예산이 모자라요: 요청 600, 남은 예산 500"
    assert en["reason"] == "budget exhausted: requested 600, 500 left"
    assert ko["reason_code"] == en["reason_code"] == "decision_budget_exhausted"
    assert ko["reason_params"] == en["reason_params"] == {"requested": "600", "left": "500"}
    assert decision(b, "ko")["reason"] == "1위, 점수 7.50점"
    assert decision(b, "en")["reason"] == "ranked 1 with score 7.50"
    assert decision(c, "ko")["reason"] == "담당관 재량 결정: strategic: first national NPU port"
    assert decision(c, "ko")["reason_params"] == {"message": "strategic: first national NPU port"}
    listed = w.api.client.get(f"/calls/{cid}/proposals", headers={
        **w.api.as_(w.tokens["officer"]), "Accept-Language": "ko"}).json()["items"]  # fmt: skip
    assert {p["id"]: p["decision"]["reason"] for p in listed}[a].startswith("예산이 모자라요")


def _check_project_and_tranches(w: World, cid: int, pid: int, c_award: int) -> None:
    project = w.ok("GET", f"/projects/{pid}", "b1")
    assert [(m["user"]["id"], m["role"]) for m in project["members"]] == [(w.ids["b1"], "pi")]
    assert [(t["amount"], t["released_at"] is not None) for t in project["tranches"]] == [
        ("150", True), ("150", False)]  # fmt: skip
    assert w.ok("GET", f"/projects/{pid}/balance", "b1")["balance"] == "150"
    assert_problem(w.call("GET", f"/projects/{pid}/balance", "a1"), 404, "no project")
    # the call's account paid the first tranches: B 150 and C 100
    assert w.ok("GET", f"/calls/{cid}", "b1")["budget_balance"] == str(1000 - 150 - c_award)

    url = f"/projects/{pid}/progress-reports/accept"
    assert_problem(w.call("POST", url, "b1"), 403, "needs role")
    assert w.ok("POST", url, "officer")["released"] is True
    again = w.ok("POST", url, "officer", {"tranche": 2})
    assert again["released"] is False and again["project"]["balance"] == "300"
    assert w.ok("GET", f"/projects/{pid}/balance", "b1")["balance"] == "300"
    assert w.ok("GET", f"/calls/{cid}", "officer")["budget_balance"] == str(1000 - 300 - c_award)
    with w.api.svc.tx() as s:
        causes = [e.cause for e in repos_ledger.journal(s, f"project:{pid}").items]
        assert repos_ledger.unbalanced_entries(s) == []
    proposal_id = project["proposal_id"]
    assert causes == [f"award:{proposal_id}:tranche:1", f"award:{proposal_id}:tranche:2"]


def test_blind_call_hides_applicants_from_reviewers(world: World) -> None:
    w = world
    cid = open_call(w, blind=True, review_opens_at=w.clock.now.isoformat())["id"]
    pid = w.ok("POST", f"/calls/{cid}/proposals", "a1", proposal("A", 100, [w.ids["a2"]]),
               201)["id"]  # fmt: skip
    accept(w, "a2", pid)
    w.ok("POST", f"/calls/{cid}/reviewers", "officer", {"user_id": w.ids["r1"]}, 201)
    seen = w.ok("GET", f"/calls/{cid}/proposals", "r1")["items"][0]
    assert seen["title"] == "A" and seen["abstract"]
    hidden = ("organisation_id", "organisation_name", "pi", "team", "reviews", "mean_score")
    assert all(seen[k] is None for k in hidden)
    assert "A1" not in str(seen) and "Uni A" not in str(seen)
    assert w.ok("GET", f"/proposals/{pid}", "r1")["pi"] is None
    full = w.ok("GET", f"/calls/{cid}/proposals", "officer")["items"][0]
    assert full["pi"]["name"] == "A1" and full["organisation_name"] == "Uni A"
    assert [m["name"] for m in full["team"]] == ["A1", "A2"]
    assert w.ok("GET", f"/calls/{cid}/proposals", "b1")["items"] == []  # not theirs


def test_malformed_calls_are_refused(world: World) -> None:
    w = world
    program = w.ok("POST", "/programs", "officer", {"name": "World's Best LLM"}, 201)
    url = f"/programs/{program['id']}/calls"
    body = assert_problem(w.call("POST", url, "officer", call_body(w.clock, colour="red")), 422)
    assert body["errors"][0]["field"] == "body.colour"
    no_criteria = {k: v for k, v in call_body(w.clock).items() if k != "criteria"}
    assert_problem(w.call("POST", url, "officer", no_criteria), 422, "body.criteria")
    naive = call_body(w.clock, opens_at="2026-01-01T00:00:00")
    assert_problem(w.call("POST", url, "officer", naive), 422, "body.opens_at")
    backwards = call_body(w.clock, closes_at=(w.clock.now - timedelta(days=1)).isoformat())
    assert assert_problem(w.call("POST", url, "officer", backwards), 422)["field"] == "closes_at"
    assert_problem(w.call("POST", "/programs", "officer", {"name": "World's Best LLM"}), 409)
    assert w.ok("GET", "/calls", "a1")["total"] == 0


def test_bad_proposals_are_refused_and_nothing_is_stored(world: World) -> None:
    w = world
    cid = open_call(w)["id"]
    apply = f"/calls/{cid}/proposals"
    assert_problem(w.call("POST", apply, "a1", proposal("A", 0)), 422, "body.requested_credits")
    assert_problem(w.call("POST", apply, "a1", proposal("A", 5000)), 422, "exceeds the call's")
    assert_problem(w.call("POST", apply, "a1", proposal("A", 5) | {"job_classes": ["mining"]}),
                   422, "body.job_classes.0")  # fmt: skip
    assert_problem(w.call("POST", apply, "a1", proposal("A", 5, [424242])), 422, "no user")
    assert_problem(w.call("POST", apply, "g1", proposal("G", 5)), 403,
                   "open to university, company, research_institute; the applicant is a "
                   "public_agency")  # fmt: skip
    assert_problem(w.call("POST", apply, "officer", proposal("O", 5)), 403, "no organisation")
    assert w.ok("GET", apply, "officer")["total"] == 0


def test_unknown_ids_early_decisions_and_bad_pages(world: World) -> None:
    w = world
    cid = open_call(w)["id"]
    unknown = [("GET", "/calls/9999"), ("GET", "/projects/9999"), ("GET", "/proposals/9999"),
               ("GET", "/calls/9999/proposals"), ("POST", "/calls/9999/decisions"),
               ("POST", "/programs/9999/calls")]  # fmt: skip
    for method, path in unknown:
        body = call_body(w.clock) if path.endswith("/calls") else {}
        assert_problem(w.call(method, path, "officer", body), 404, "9999")
    assert_problem(review(w, "r1", 9999, 5, 5), 404, "no proposal")
    assert_problem(w.call("POST", f"/calls/{cid}/reviewers", "officer", {"user_id": 9999}), 404)
    early = w.call("POST", f"/calls/{cid}/decisions", "officer", {})
    assert_problem(early, 409, "decide after it closes")
    assert_problem(w.call("GET", "/calls?limit=0", "a1"), 422, "limit")
    assert_problem(w.call("GET", "/programs", None), 401)
