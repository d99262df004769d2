"""Closing and editing a call over HTTP (SQLite and PostgreSQL): ``PATCH /calls/{id}`` and
``POST /calls/{id}/close``, their refusals as problem+json with a code and parameters in
the caller's language, the budget moved in the ledger, both in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import Api

PROBLEM = "application/problem+json"


def _call(api: Api, now: datetime) -> int:
    h = api.as_(api.operator)
    program = api.client.post("/programs", json={"name": "P"}, headers=h).json()["id"]
    body = {"title": "C", "opens_at": (now - timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=7)).isoformat(),
            "review_opens_at": now.isoformat(),
            "review_closes_at": (now + timedelta(days=14)).isoformat(), "budget_credits": 1000,
            "criteria": [{"name": "merit", "weight": 1}], "min_score": 0}  # fmt: skip
    r = api.client.post(f"/programs/{program}/calls", json=body, headers=h)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_edit_then_close_and_the_refusals(api: Api) -> None:
    now = datetime.now(UTC)
    cid = _call(api, now)
    h = api.as_(api.operator)

    def patch(body: Any, lang: str = "en") -> Any:
        return api.client.patch(f"/calls/{cid}", json=body,
                                headers=h | {"Accept-Language": lang})  # fmt: skip

    r = patch({"title": "C2", "budget_credits": "1500.5", "criteria": [
        {"name": "merit", "weight": 2}, {"name": "impact", "weight": 1}]})  # fmt: skip
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["title"] == "C2" and got["budget_credits"] == "1500.5"
    assert got["budget_balance"] == "1500.5" and len(got["criteria"]) == 2
    bad = patch({"review_closes_at": (now - timedelta(days=3)).isoformat()})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)
    assert patch({"nonsense": 1}).status_code == 422
    assert patch({"min_score": 99}).status_code == 422
    past = patch({"closes_at": (now - timedelta(hours=1)).isoformat()}, "ko")
    assert past.status_code == 409 and past.json()["code"] == "call_closes_in_past"
    assert "마감하세요" in past.json()["detail"]

    closed = api.client.post(f"/calls/{cid}/close", headers=h)
    assert closed.status_code == 200, closed.text
    assert datetime.fromisoformat(closed.json()["closes_at"]) <= datetime.now(UTC)
    again = api.client.post(f"/calls/{cid}/close", headers=h | {"Accept-Language": "en"})
    assert again.status_code == 409
    problem = again.json()
    assert problem["code"] == "call_already_closed" and problem["params"]["call"] == cid
    assert "already closed" in problem["detail"]
    reopen = patch({"closes_at": (now + timedelta(days=9)).isoformat()})
    assert reopen.status_code == 409 and reopen.json()["code"] == "call_closed_dates"
    assert api.client.get(f"/calls/{cid}", headers=h).json()["title"] == "C2"

    log = api.client.get("/audit", params={"limit": 2}, headers=h).json()["items"]
    assert [e["action"] for e in log] == ["call.close", "call.edit"]
    assert log[1]["details"]["fields"] == "title,budget_credits,criteria"
    assert api.client.post("/calls/999/close", headers=h).status_code == 404
