"""Identity and access over HTTP, on SQLite and PostgreSQL: revoking tokens and roles
takes effect at the next request, the Bearer scheme is checked on every request, the
public health answer hides where the scheduler runs, submissions are rate limited per
token, and privileged actions land in the audit log (with the action, never without)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jobsetup import funded_project, submit_job

from conftest import Api
from nacc.api.ratelimit import RateLimiter
from nacc.bootstrap import Settings, build_app

PROBLEM = "application/problem+json"


def _user(api: Api, name: str, roles: list[dict[str, str]] | None = None) -> tuple[int, str]:
    """A new user with a token: (user id, token secret)."""
    op = api.as_(api.operator)
    body = {"name": name, "email": f"{name}@identity.example", "roles": roles or []}
    user = api.client.post("/users", json=body, headers=op)
    assert user.status_code == 201, user.text
    uid = user.json()["id"]
    token = api.client.post(f"/users/{uid}/tokens", json={"label": "t"}, headers=op)
    return uid, token.json()["token"]


def test_a_revoked_token_fails_at_the_next_request(api: Api) -> None:
    uid, secret = _user(api, "kim")
    assert api.client.get("/me", headers=api.as_(secret)).status_code == 200  # now cached
    tokens = api.client.get(f"/users/{uid}/tokens", headers=api.as_(secret)).json()
    assert [t["label"] for t in tokens] == ["t"] and "token" not in tokens[0]
    gone = api.client.delete(f"/tokens/{tokens[0]['id']}", headers=api.as_(api.operator))
    assert gone.status_code == 204
    after = api.client.get("/me", headers=api.as_(secret))
    assert after.status_code == 401 and after.json()["code"] == "token_invalid"
    listed = api.client.get(f"/users/{uid}/tokens", headers=api.as_(api.operator)).json()
    assert listed[0]["revoked_at"] is not None


def test_a_user_revokes_their_own_token_but_not_anothers(api: Api) -> None:
    _, mine = _user(api, "lee")
    other_id, other = _user(api, "park")
    other_token = api.client.get(f"/users/{other_id}/tokens", headers=api.as_(other)).json()[0]
    # someone else's token (or their token list) is not found, as if it did not exist
    refused = api.client.delete(f"/tokens/{other_token['id']}", headers=api.as_(mine))
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert api.client.get(f"/users/{other_id}/tokens", headers=api.as_(mine)).status_code == 404
    assert api.client.get("/me", headers=api.as_(other)).status_code == 200
    me = api.client.get("/me", headers=api.as_(mine)).json()
    own = api.client.get(f"/users/{me['id']}/tokens", headers=api.as_(mine)).json()[0]
    assert api.client.delete(f"/tokens/{own['id']}", headers=api.as_(mine)).status_code == 204
    assert api.client.get("/me", headers=api.as_(mine)).status_code == 401


def test_a_revoked_role_fails_at_the_next_request(api: Api) -> None:
    uid, secret = _user(api, "choi", [{"role": "operator", "scope": ""}])
    assert api.client.get("/users", headers=api.as_(secret)).status_code == 200  # cached
    url = f"/users/{uid}/roles/operator"
    assert api.client.delete(url, headers=api.as_(api.operator)).status_code == 204
    refused = api.client.get("/users", headers=api.as_(secret))
    assert refused.status_code == 403 and refused.json()["code"] == "role_required"
    again = api.client.delete(url, headers=api.as_(api.operator))
    assert again.status_code == 404 and again.json()["params"] == {"kind": "role",
                                                                  "id": "operator"}  # fmt: skip
    scoped = api.client.delete(f"/users/{uid}/roles/member?scope=project:1",
                               headers=api.as_(api.operator))  # fmt: skip
    assert scoped.status_code == 404
    for bad in (f"/users/{uid}/roles/emperor", f"/users/{uid}/roles/member?scope=a%00b"):
        refused = api.client.delete(bad, headers=api.as_(api.operator))
        assert refused.status_code == 422, (bad, refused.text)  # not a 500 on PostgreSQL
    nul = api.client.get("/audit?action=a%00b", headers=api.as_(api.operator))
    assert nul.status_code == 422


def test_the_bearer_scheme_is_checked_on_every_request(api: Api) -> None:
    _, secret = _user(api, "jung")
    assert api.client.get("/me", headers=api.as_(secret)).status_code == 200  # cached now
    for header in (f"Basic {secret}", f"Token {secret}", secret, f"Bearer{secret}", "Bearer "):
        r = api.client.get("/me", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert r.json()["code"] == "token_missing" and r.headers["WWW-Authenticate"] == "Bearer"
    assert api.client.get("/me", headers={"Authorization": f"bearer {secret}"}).status_code == 200


def test_public_health_hides_the_scheduler_details_are_for_operators(api: Api) -> None:
    public = api.client.get("/healthz")
    assert public.status_code == 200
    # how many backends are down is public (a count, issue 9 failover); which, and why, not
    assert set(public.json()) == {"status", "scheduler", "scheduler_beat_age_s", "backends_down"}
    assert public.json()["backends_down"] == 0
    assert api.client.get("/healthz/details").status_code == 401
    _, member = _user(api, "han")
    assert api.client.get("/healthz/details", headers=api.as_(member)).status_code == 403
    details = api.client.get("/healthz/details", headers=api.as_(api.operator))
    assert details.status_code == 200 and details.json()["scheduler"] == "absent"


def test_submissions_are_rate_limited_per_token(api: Api) -> None:
    f = funded_project(api.svc, Decimal(1000))
    now = [0.0]
    app: Any = api.client.app
    app.state.submit_limiter = RateLimiter(2.0, 2, clock=lambda: now[0])
    for _ in range(2):
        assert submit_job(api, f.pi, f.project_id, command="true").status_code == 201
    refused = submit_job(api, f.pi, f.project_id, command="true")
    assert refused.status_code == 429 and refused.headers["content-type"] == PROBLEM
    assert refused.headers["Retry-After"] == "1"
    body = refused.json()
    assert body["code"] == "rate_limited" and body["params"] == {"retry_after_s": 1, "rate": "2"}
    korean = api.client.post(f"/projects/{f.project_id}/jobs", headers=api.as_(f.pi) | {
        "Accept-Language": "ko"}, json={"command": "true", "accelerators": 1,
        "job_class": "fine-tuning", "time_limit_s": 60})  # fmt: skip
    assert korean.status_code == 429 and "초당 최대 2건" in korean.json()["detail"]
    assert korean.json()["title"] == "요청이 너무 많음"
    # another token has its own bucket; and the first refills with time
    assert submit_job(api, f.member, f.project_id, command="true").status_code == 201
    now[0] += 0.5
    assert submit_job(api, f.pi, f.project_id, command="true").status_code == 201
    assert submit_job(api, f.pi, f.project_id, command="true").status_code == 429
    jobs = api.client.get(f"/projects/{f.project_id}/jobs", headers=api.as_(f.pi)).json()
    assert jobs["total"] == 4  # the refused ones stored nothing


def test_the_rate_limit_is_off_by_default_and_configured_by_settings(
    db_url: str, tmp_path: Any
) -> None:
    assert not RateLimiter().enabled
    settings = Settings(database_url=db_url, workdir=tmp_path / "jobs", submit_rate_per_s=50,
                        submit_burst=100)  # fmt: skip
    app, svc = build_app(settings, live=False)
    try:
        limiter = app.state.submit_limiter
        assert (limiter.rate, limiter.burst) == (50, 100)
    finally:
        svc.sessions.kw["bind"].dispose()


def _audit(api: Api, **query: Any) -> dict[str, Any]:
    r = api.client.get("/audit", params=query, headers=api.as_(api.operator))
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_privileged_actions_are_audited_with_who_what_when_where(api: Api) -> None:
    before = _audit(api)["total"]
    uid, secret = _user(api, "oh", [{"role": "reviewer", "scope": "call:9"}])
    op = api.as_(api.operator)
    api.client.post(f"/users/{uid}/roles", json={"role": "member", "scope": "project:4"},
                    headers=op)  # fmt: skip
    api.client.delete(f"/users/{uid}/roles/member?scope=project:4", headers=op)
    page = _audit(api, limit=2)
    assert page["total"] == before + 4 and len(page["items"]) == 2
    newest = page["items"][0]
    assert (newest["action"], newest["target"]) == ("role.revoke", f"user:{uid}")
    assert newest["details"] == {"role": "member", "scope": "project:4"}
    assert newest["address"] == "testclient" and newest["at"]
    me = api.client.get("/me", headers=op).json()
    assert newest["actor_id"] == me["id"]
    actions = [e["action"] for e in _audit(api, limit=4)["items"]]
    assert actions == ["role.revoke", "role.grant", "token.issue", "user.create"]
    assert _audit(api, action="token.issue")["total"] >= 1
    refused = api.client.get("/audit", headers=api.as_(secret))
    assert refused.status_code == 403


def test_a_refused_action_leaves_no_audit_entry(api: Api) -> None:
    uid, _ = _user(api, "yoon")
    before = _audit(api)["total"]
    bad = api.client.post(f"/users/{uid}/roles", json={"role": "emperor"},
                          headers=api.as_(api.operator))  # fmt: skip
    assert bad.status_code == 422
    assert _audit(api)["total"] == before
