"""Each server error the fuzzer found (issue 11), as a plain request on SQLite and
PostgreSQL: refused with a problem naming the field (422) or not found (404), never 500.
Every case here was a 500 (on PostgreSQL, and some on SQLite) before the bounds."""

from __future__ import annotations

from typing import Any

import pytest
from jobsetup import funded_project, submit_job

from conftest import Api

PROBLEM = "application/problem+json"
BIG = 2**31  # one past PostgreSQL's integer


def _refused(r: Any, field: str, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["field"] == field, body
    if code is not None:
        assert code in [e["code"] for e in body["errors"]], body
    return body


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/programs", {"name": "a\x00b"}, "body.name"),
        ("/users/1/tokens", {"label": "\x00"}, "body.label"),
        (
            "/organisations",
            {"name": "x", "kind": "university", "region": "r\x00", "capital_area": False},
            "body.region",
        ),
        ("/users", {"name": "n", "email": "a\x00@b"}, "body.email"),
    ],
)
def test_a_nul_byte_in_any_text_is_refused_naming_the_field(
    api: Api, path: str, body: dict[str, Any], field: str
) -> None:
    r = api.client.post(path, json=body, headers=api.as_(api.operator))
    problem = _refused(r, field)
    if field != "body.email":  # the e-mail's own pattern excludes NUL
        assert problem["errors"][0]["code"] == "value_has_nul"


def test_a_nul_in_a_job_command_is_refused(api: Api) -> None:
    f = funded_project(api.svc)
    _refused(submit_job(api, f.pi, f.project_id, command="echo \x00"), "body.command")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/projects/{BIG}"),
        ("GET", f"/projects/{BIG}/balance"),
        ("GET", f"/calls/{BIG}"),
        ("POST", f"/calls/{BIG * 2**30}/reviewers"),
        ("GET", f"/proposals/{BIG}"),
        ("GET", f"/calls?program_id={BIG}"),
        ("GET", f"/calls?offset={2**90}"),
        ("GET", "/jobs/j%00x"),
    ],
)
def test_ids_and_offsets_past_the_database_are_refused(api: Api, method: str, path: str) -> None:
    body = {"user_id": 1} if method == "POST" else None
    r = api.client.request(method, path, json=body, headers=api.as_(api.operator))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)


def test_body_ids_past_int32_and_token_lifetimes_past_the_calendar_are_refused(api: Api) -> None:
    ops = api.as_(api.operator)
    r = api.client.post("/calls/1/reviewers", json={"user_id": -BIG}, headers=ops)
    _refused(r, "body.user_id", "value_ge")
    r = api.client.post("/users", json={"name": "n", "email": "a@b", "organisation_id": BIG},
                        headers=ops)  # fmt: skip
    _refused(r, "body.organisation_id", "value_le")
    r = api.client.post("/users/1/tokens", json={"expires_in_s": 10**12}, headers=ops)
    _refused(r, "body.expires_in_s", "value_le")


def test_numbers_are_strict_and_lists_and_names_bounded(api: Api) -> None:
    f = funded_project(api.svc)

    def submit(**body: Any) -> Any:
        return submit_job(api, f.pi, f.project_id, **{"command": "true", **body})

    _refused(submit(accelerators="2"), "body.accelerators")
    _refused(submit(accelerators=True), "body.accelerators")
    many = submit(accelerator_types=["H100-SXM"] * 65)
    _refused(many, "body.accelerator_types", "value_too_long")
    _refused(submit(job_class="nope"), "body.job_class")
    long_label = {"label": "x" * 101}
    r = api.client.post("/users/1/tokens", json=long_label, headers=api.as_(api.operator))
    _refused(r, "body.label", "value_too_long")
    scope = {"role": "member", "scope": "p" * 150}
    r = api.client.post("/users/1/roles", json=scope, headers=api.as_(api.operator))
    _refused(r, "body.scope", "value_too_long")


def test_a_time_outside_1970_to_2200_is_refused(api: Api) -> None:
    r = api.client.post("/calls/1/decisions", json={"valid_from": "9999-12-31T00:00:00Z"},
                        headers=api.as_(api.operator))  # fmt: skip
    _refused(r, "body.valid_from", "value_not_datetime")


def test_a_wrong_method_is_a_problem_with_allow_listing_every_method(api: Api) -> None:
    r = api.client.request("TRACE", "/organisations")
    assert r.status_code == 405
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.headers["allow"] == "GET, POST"


def test_credits_past_what_the_store_holds_are_refused(api: Api) -> None:
    """A budget of 10^14 credits overflowed SQLite's 64-bit nanocredits (a 500)."""
    call = {
        "title": "t",
        "opens_at": "2026-01-01T00:00:00Z",
        "closes_at": "2026-02-01T00:00:00Z",
        "review_opens_at": "2026-02-01T00:00:00Z",
        "review_closes_at": "2026-03-01T00:00:00Z",
        "budget_credits": 10**14,
        "criteria": [{"name": "m", "weight": 1}],
        "min_score": 1,
    }
    r = api.client.post("/programs", json={"name": "p"}, headers=api.as_(api.operator))
    assert r.status_code == 201, r.text
    path = f"/programs/{r.json()['id']}/calls"
    _refused(api.client.post(path, json=call, headers=api.as_(api.operator)), "body.budget_credits")
    call["budget_credits"] = "99999999999"
    _refused(api.client.post(path, json=call, headers=api.as_(api.operator)), "body.budget_credits")
