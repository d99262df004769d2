"""The authorisation matrix: every route × every role, allowed (2xx) or refused (401,
403, or 404 where a refusal would tell that the thing exists: another's proposal,
project, token or invitation).

One world per database (SQLite and PostgreSQL), built once per module: an operator, a
global program officer, a reviewer of the open call, the PI and a member of an awarded
project, a caller without a token and one with an expired token. A route whose allowed
request would change state builds a fresh target for each case (a new proposal to
review, a new closed call to decide), so every allowed case can succeed.

To add routes (e.g. jobs), append ``Route`` rows to ``ROUTES`` and the tag to
``COVERED_TAGS``; ``test_every_route_is_in_the_matrix`` fails until every operation of
the covered tags has a row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import Api, _api, _pg_database
from nacc.ports.store import UnitOfWork
from nacc.ports.store_people import CallSpec
from nacc.service import awards, jobs, programs, reviews, teams
from nacc.service.auth import Principal

ROLES = ("operator", "program_officer", "reviewer", "pi", "member", "no_token", "expired")
AUTHENTICATED = frozenset(ROLES[:5])
OFFICERS = frozenset({"operator", "program_officer"})
PROJECT_READERS = OFFICERS | {"pi", "member"}
COVERED_TAGS = {"people", "programs", "jobs", "teams", "notify"}
JOB_READERS = OFFICERS | {"pi", "member"}


@dataclass
class World:
    api: Api
    now: datetime
    tokens: dict[str, str] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def principal(self, name: str) -> Principal:
        with self.api.svc.unit() as uow:
            roles = frozenset(uow.people.roles_of(self.users[name]))
            user = uow.people.get_user(self.users[name])
            assert user is not None
            return Principal(user.id, user.name, user.organisation_id, roles)


def _spec(now: datetime, opens: timedelta, closes: timedelta) -> CallSpec:
    return CallSpec(title="call", opens_at=now + opens, closes_at=now + closes,
                    budget_credits=Decimal(10**6), review_opens_at=now - timedelta(hours=1),
                    review_closes_at=now + timedelta(hours=1), criteria={"merit": 1.0},
                    min_score=0)  # fmt: skip


OPEN = (timedelta(hours=-1), timedelta(hours=1))
CLOSED = (timedelta(hours=-2), timedelta(hours=-1))


def _user(
    w: World, uow: UnitOfWork, name: str, org: int | None, roles: list[tuple[str, str]]
) -> None:
    user = uow.people.create_user(name, f"{name}@authz.example", w.now, org)
    for role, scope in roles:
        uow.people.grant_role(user.id, role, scope)
    expires = w.now - timedelta(seconds=1) if name == "expired" else None
    _, w.tokens[name] = uow.people.create_token(user.id, w.now, expires_at=expires)
    w.users[name] = user.id


def _people(w: World) -> None:
    with w.api.svc.unit() as uow:
        uni = uow.people.create_organisation("Uni", "university", "Seoul", capital_area=True)
        lab = uow.people.create_organisation("Lab", "research_institute", "Daejeon",
                                             capital_area=False)  # fmt: skip
        _user(w, uow, "program_officer", None, [("program_officer", "")])
        _user(w, uow, "reviewer", lab.id, [])
        _user(w, uow, "pi", uni.id, [])
        _user(w, uow, "member", uni.id, [])
        _user(w, uow, "expired", None, [("operator", "")])
        _user(w, uow, "operator", None, [("operator", "")])


def _calls_and_project(w: World) -> None:
    """An open call (the reviewer assigned, a proposal by the PI alone) and a project
    awarded from a decided call, with the PI and the member on it."""
    svc, officer = w.api.svc, w.principal("program_officer")
    w.ids["program"] = programs.create_program(svc, officer, "Global AI Challenge", "").id
    w.ids["call"] = programs.open_call(svc, officer, w.ids["program"], _spec(w.now, *OPEN)).id
    reviews.assign_reviewer(svc, officer, w.ids["call"], w.users["reviewer"])
    w.ids["proposal"] = _propose(w, w.ids["call"], team=[]).id
    early = (timedelta(hours=-1), timedelta(minutes=1))
    decided = programs.open_call(svc, officer, w.ids["program"], _spec(w.now, *early)).id
    awarded = _propose(w, decided, team=[w.users["member"]]).id
    [invitation] = teams.my_invitations(svc, w.principal("member"))
    teams.answer(svc, w.principal("member"), invitation.id, accept=True)
    svc.clock = lambda: w.now + timedelta(minutes=2)
    request = awards.DecideRequest(
        overrides={awarded: (True, "authz world")}, valid_from=w.now - timedelta(hours=1)
    )
    w.ids["project"] = awards.decide(svc, officer, decided, request)[0].project_id or 0
    svc.clock = lambda: w.now
    assert w.ids["project"]


def _propose(w: World, call_id: int, team: list[int]) -> programs.ProposalDetails:
    req = programs.ProposalRequest(title="P", abstract="a", requested_credits=Decimal(10),
                                   job_classes=["inference"], team=team)  # fmt: skip
    return programs.apply(w.api.svc, w.principal("pi"), call_id, req)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("authz")
    with _database(request.param, tmp) as url:
        api_gen = _api(url, tmp, live=False)
        api = next(api_gen)
        now = datetime.now(UTC).replace(microsecond=0)
        api.svc.clock = lambda: now
        w = World(api, now)
        _people(w)
        _calls_and_project(w)
        yield w
        api_gen.close()


@contextmanager
def _database(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'authz.db'}"
        return
    gen = _pg_database()
    try:
        yield next(gen)
    finally:
        gen.close()


# --- the matrix ---------------------------------------------------------------------------

Request = tuple[str, str, Any]  # method, path, JSON body


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the route's template, as FastAPI has it
    allowed: frozenset[str]
    build: Callable[[World], Request]
    refused: int = 403  # 404 where the route hides what the caller may not see
    hidden_from: frozenset[str] = frozenset()  # roles refused with 404 (may not even see it)


def _unique() -> str:
    return uuid.uuid4().hex[:10]


def _call_body(w: World) -> dict[str, Any]:
    s = _spec(w.now, *OPEN)
    return {"title": "c", "opens_at": s.opens_at.isoformat(), "closes_at": s.closes_at.isoformat(),
            "review_opens_at": s.review_opens_at.isoformat(),
            "review_closes_at": s.review_closes_at.isoformat(), "budget_credits": 100,
            "criteria": [{"name": "merit", "weight": 1}], "min_score": 0}  # fmt: skip


def _fresh_proposal(w: World) -> Request:
    pid = _propose(w, w.ids["call"], team=[]).id
    return "POST", f"/proposals/{pid}/reviews", {"scores": {"merit": 5}}


def _fresh_closed_call(w: World) -> Request:
    officer = w.principal("program_officer")
    cid = programs.open_call(w.api.svc, officer, w.ids["program"], _spec(w.now, *CLOSED)).id
    return "POST", f"/calls/{cid}/decisions", {}


def _fresh_open_call(method: str, suffix: str, body: Any) -> Callable[[World], Request]:
    def build(w: World) -> Request:
        officer = w.principal("program_officer")
        cid = programs.open_call(w.api.svc, officer, w.ids["program"], _spec(w.now, *OPEN)).id
        return method, f"/calls/{cid}{suffix}", body

    return build


def _closed_call_preview(w: World) -> Request:
    _, path, body = _fresh_closed_call(w)
    return "POST", f"{path}/preview", body


def _job_body(w: World) -> dict[str, Any]:
    return {"command": "true", "accelerators": 1, "job_class": "inference", "time_limit_s": 60}


def _fresh_job(method: str, suffix: str) -> Callable[[World], Request]:
    """A new job submitted by the PI (the scheduler is not running: it stays pending)."""

    def build(w: World) -> Request:
        req = jobs.JobRequest(command="true", accelerators=1, job_class="inference",
                              time_limit_s=60)  # fmt: skip
        pricing = w.api.client.app.state.pricing  # type: ignore[attr-defined]
        job, _ = jobs.submit(w.api.svc, w.principal("pi"), w.ids["project"], req, pricing)
        return method, f"/jobs/{job.id}{suffix}", None

    return build


def _ids(template: str) -> Callable[[World], str]:
    return lambda w: template.format(**w.ids, pi_user=w.users["pi"])


def _fixed(method: str, path: str, allowed: frozenset[str], body: Callable[[World], Any] | None
           = None, route: str | None = None, refused: int = 403) -> Route:  # fmt: skip
    def build(w: World) -> Request:
        return method, _ids(path)(w), body(w) if body else None

    template = route or path.replace("{pi_user}", "{user_id}")
    for name in ("program", "call", "proposal", "project"):
        template = template.replace("{" + name + "}", "{" + name + "_id}")
    return Route(method, template, allowed, build, refused)


def _fresh_role(w: World) -> Request:
    with w.api.svc.unit() as uow:
        uow.people.grant_role(w.users["pi"], "member", "project:999")
    return "DELETE", f"/users/{w.users['pi']}/roles/member?scope=project:999", None


def _fresh_token(w: World) -> Request:
    with w.api.svc.unit() as uow:
        token, _ = uow.people.create_token(w.users["pi"], w.now, label="to revoke")
    return "DELETE", f"/tokens/{token.id}", None


def _fresh_invitation(action: str) -> Callable[[World], Request]:
    """A new proposal by the PI that invites the member; ``action`` on the invitation."""

    def build(w: World) -> Request:
        pid = _propose(w, w.ids["call"], team=[w.users["member"]]).id
        [inv] = teams.invitations_of(w.api.svc, w.principal("pi"), pid)
        return "POST", f"/invitations/{inv.id}/{action}", None

    return build


def _email(w: World) -> dict[str, Any]:
    return {"email": f"{_unique()}@invited.example"}


ROUTES: list[Route] = [
    # admin.py
    _fixed("POST", "/organisations", frozenset({"operator"}),
           lambda w: {"name": _unique(), "kind": "company", "region": "Busan",
                      "capital_area": False, "company_size": "startup"}),
    _fixed("GET", "/organisations", AUTHENTICATED),
    _fixed("POST", "/users", frozenset({"operator"}),
           lambda w: {"name": "n", "email": f"{_unique()}@x.kr"}),
    _fixed("GET", "/users", frozenset({"operator"})),
    _fixed("POST", "/users/{pi_user}/roles", frozenset({"operator"}),
           lambda w: {"role": "member", "scope": "project:999"}),
    _fixed("POST", "/users/{pi_user}/tokens", frozenset({"operator", "pi"}), lambda w: {}),
    Route("DELETE", "/users/{user_id}/roles/{role}", frozenset({"operator"}), _fresh_role),
    _fixed("GET", "/users/{pi_user}/tokens", frozenset({"operator", "pi"}), refused=404),
    Route("DELETE", "/tokens/{token_id}", frozenset({"operator", "pi"}), _fresh_token, 404),
    _fixed("GET", "/audit", frozenset({"operator"})),
    _fixed("GET", "/me", AUTHENTICATED),
    # teams.py
    _fixed("POST", "/proposals/{proposal}/invitations", frozenset({"pi"}), _email, refused=404),
    _fixed("GET", "/proposals/{proposal}/invitations", OFFICERS | {"pi"}, refused=404),
    _fixed("GET", "/me/invitations", AUTHENTICATED),
    Route("POST", "/invitations/{invitation_id}/accept", frozenset({"member"}),
          _fresh_invitation("accept"), 404),
    Route("POST", "/invitations/{invitation_id}/decline", frozenset({"member"}),
          _fresh_invitation("decline"), 404),
    Route("POST", "/invitations/{invitation_id}/withdraw", frozenset({"pi"}),
          _fresh_invitation("withdraw"), 404),
    # programs.py
    _fixed("POST", "/programs", OFFICERS, lambda w: {"name": _unique()}),
    _fixed("GET", "/programs", AUTHENTICATED),
    _fixed("POST", "/programs/{program}/calls", OFFICERS, _call_body),
    _fixed("GET", "/calls", AUTHENTICATED),
    _fixed("GET", "/calls/{call}", AUTHENTICATED),
    Route("PATCH", "/calls/{call_id}", OFFICERS, _fresh_open_call("PATCH", "", {"title": "t2"})),
    Route("POST", "/calls/{call_id}/close", OFFICERS, _fresh_open_call("POST", "/close", None)),
    _fixed("POST", "/calls/{call}/proposals", frozenset({"reviewer", "pi", "member"}),
           lambda w: {"title": "t", "abstract": "a", "requested_credits": 1,
                      "job_classes": ["evaluation"]}),
    _fixed("GET", "/calls/{call}/proposals", AUTHENTICATED),
    _fixed("GET", "/proposals/{proposal}", OFFICERS | {"reviewer", "pi"}, refused=404),
    _fixed("POST", "/calls/{call}/reviewers", OFFICERS,
           lambda w: {"user_id": w.users["reviewer"]}),
    Route("POST", "/proposals/{proposal_id}/reviews", frozenset({"reviewer"}), _fresh_proposal),
    Route("POST", "/calls/{call_id}/decisions", OFFICERS, _fresh_closed_call),
    Route("POST", "/calls/{call_id}/decisions/preview", OFFICERS, _closed_call_preview),
    _fixed("GET", "/projects/{project}", PROJECT_READERS, refused=404),
    _fixed("GET", "/projects/{project}/balance", PROJECT_READERS, refused=404),
    _fixed("POST", "/projects/{project}/progress-reports/accept", OFFICERS),
    # notify.py
    _fixed("GET", "/me/notify", AUTHENTICATED),
    _fixed("PUT", "/me/notify", AUTHENTICATED, lambda w: {"lang": "ko"}),
    _fixed("GET", "/me/notices", AUTHENTICATED),
    _fixed("POST", "/me/notify/test", AUTHENTICATED),
    _fixed("POST", "/notify/sweep", frozenset({"operator"})),
    _fixed("GET", "/projects/{project}/progress-reports", PROJECT_READERS, refused=404),
    _fixed("POST", "/projects/{project}/progress-reports/1/accept", OFFICERS,
           route="/projects/{project_id}/progress-reports/{report}/accept"),
    _fixed("GET", "/progress-reports/overdue", OFFICERS),
    # jobs.py
    _fixed("POST", "/projects/{project}/jobs", frozenset({"operator", "pi", "member"}), _job_body),
    _fixed("GET", "/projects/{project}/jobs", JOB_READERS, refused=404),
    Route("GET", "/jobs/{job_id}", JOB_READERS, _fresh_job("GET", ""), 404),
    Route("GET", "/jobs/{job_id}/logs", JOB_READERS, _fresh_job("GET", "/logs"), 404),
    # the submitter (the PI here) or an operator
    Route("POST", "/jobs/{job_id}/cancel", frozenset({"operator", "pi"}),
          _fresh_job("POST", "/cancel"), hidden_from=frozenset(ROLES[:5]) - JOB_READERS),
]  # fmt: skip


def _expected(route: Route, role: str) -> set[int]:
    if role in ("no_token", "expired"):
        return {401}
    if role in route.allowed:
        return {200, 201, 202, 204}
    return {404} if role in route.hidden_from else {route.refused}


CASES = [(route, role) for route in ROUTES for role in ROLES]


@pytest.mark.parametrize(
    ("route", "role"), CASES, ids=[f"{r.method} {r.path} as {role}" for r, role in CASES]
)
def test_route_as_role(world: World, route: Route, role: str) -> None:
    method, path, body = route.build(world)
    headers = world.api.as_(world.tokens[role]) if role in world.tokens else {}
    r = world.api.client.request(method, path, json=body, headers=headers)
    assert r.status_code in _expected(route, role), f"{method} {path} as {role}: {r.text}"
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")


def test_every_route_is_in_the_matrix(world: World) -> None:
    """Every operation the OpenAPI document lists under a covered tag has a row."""
    paths = world.api.client.get("/openapi.json").json()["paths"]
    documented = {
        (method.upper(), path)
        for path, operations in paths.items()
        for method, op in operations.items()
        if COVERED_TAGS & set(op.get("tags", []))
    }
    assert documented == {(r.method, r.path) for r in ROUTES}
