"""Capacity blocks over HTTP on SQLite and PostgreSQL: book, list, cancel, and the
refusals (overlap beyond capacity naming the other block, a non-officer, bad input)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from jobsetup import funded_project, submit_job, wait_job

from conftest import Api
from support.waiting import wait_until

DAY = "2027-01-{:02d}T00:00:00Z"
RICH = Decimal(10**8)  # a capacity block is paid when booked (service.block_ledger)


def _body(name: str, count: int, start: int, end: int, project: int, **kw: object) -> Any:
    return {"name": name, "pool_id": "local-h100-sxm", "count": count,
            "start": DAY.format(start), "end": DAY.format(end),
            "projects": [project], **kw}  # fmt: skip


def test_book_list_cancel_and_overlap_refusal(api: Api) -> None:
    proj = funded_project(api.svc, RICH).project_id
    ops = api.as_(api.operator)
    first = api.client.post("/reservations", json=_body("llm-a", 3, 1, 10, proj), headers=ops)
    assert first.status_code == 201, first.text
    block = first.json()
    assert block["pool_id"] == "local-h100-sxm" and block["projects"] == [proj]
    # 3 of the pool's 4 are booked over days 1..10: asking 2 over days 5..12 is refused.
    clash = api.client.post("/reservations", json=_body("llm-b", 2, 5, 12, proj), headers=ops)
    assert clash.status_code == 409
    assert clash.headers["content-type"].startswith("application/problem+json")
    problem = clash.json()
    assert problem["code"] == "block_conflict"
    assert problem["params"]["conflicting"] == "llm-a" and problem["params"]["available"] == 1
    ko = api.client.post("/reservations", json=_body("llm-b", 2, 5, 12, proj),
                         headers={**ops, "Accept-Language": "ko"})  # fmt: skip
    assert "llm-a" in ko.json()["detail"] and "블록" in ko.json()["detail"]
    # back to back, or within what is left, fits
    ok = api.client.post("/reservations", json=_body("llm-c", 1, 5, 12, proj), headers=ops)
    assert ok.status_code == 201, ok.text
    by_type = _body("llm-d", 4, 10, 20, proj, accelerator="H100-SXM")
    del by_type["pool_id"]
    assert api.client.post("/reservations", json=by_type, headers=ops).status_code == 409
    listed = api.client.get("/reservations", headers=ops).json()
    assert [b["name"] for b in listed] == ["llm-a", "llm-c"]
    gone = api.client.post(f"/reservations/{block['id']}/cancel", headers=ops)
    assert gone.status_code == 200 and gone.json()["cancelled_at"] is not None
    assert [b["name"] for b in api.client.get("/reservations", headers=ops).json()] == ["llm-c"]
    everything = api.client.get("/reservations?include_cancelled=true", headers=ops).json()
    assert len(everything) == 2
    # the cancelled block's capacity is free again
    again = api.client.post("/reservations", json=_body("llm-b", 2, 5, 12, proj), headers=ops)
    assert again.status_code == 201, again.text


def test_refusals_name_the_field_and_the_role(api: Api) -> None:
    funded = funded_project(api.svc, RICH)
    ops = api.as_(api.operator)
    pi = api.as_(funded.pi)
    body = _body("x", 1, 1, 2, funded.project_id)
    denied = api.client.post("/reservations", json=body, headers=pi)
    assert denied.status_code == 403 and denied.json()["code"] == "role_required"
    assert api.client.post("/reservations", json=body).status_code == 401
    too_many = api.client.post("/reservations", json={**body, "count": 5}, headers=ops)
    assert too_many.status_code == 422 and too_many.json()["field"] == "count"
    unknown = api.client.post("/reservations", json={**body, "pool_id": "nope"}, headers=ops)
    assert unknown.status_code == 422 and "unknown pool 'nope'" in unknown.json()["detail"]
    backwards = api.client.post("/reservations", json=_body("x", 1, 3, 2, 1), headers=ops)
    assert backwards.status_code == 422 and backwards.json()["field"] == "body.end"
    no_project = api.client.post("/reservations", json=_body("x", 1, 1, 2, 9999), headers=ops)
    assert no_project.status_code == 422 and no_project.json()["field"] == "body.projects"
    missing = api.client.post("/reservations", json={"name": "x"}, headers=ops)
    assert missing.status_code == 422
    assert api.client.post("/reservations/999/cancel", headers=ops).status_code == 404


def test_live_scheduler_honours_a_block(live_api: Api) -> None:
    """The whole H100 pool is booked for one project from now for an hour: another
    project's job (1 min limit) waits with ``waiting_for_block``; the block's job runs
    as a real process on it; cancelling the block lets the other job run."""
    owner = funded_project(live_api.svc, RICH, who="a-", org_name="KAIST")
    other = funded_project(live_api.svc, who="b-", org_name="SNU")
    ops = live_api.as_(live_api.operator)
    now = live_api.svc.clock()
    body = {"name": "live-block", "pool_id": "local-h100-sxm", "count": 4,
            "start": (now - timedelta(seconds=5)).isoformat(),
            "end": (now + timedelta(hours=1)).isoformat(),
            "projects": [owner.project_id]}  # fmt: skip
    booked = live_api.client.post("/reservations", json=body, headers=ops)
    assert booked.status_code == 201, booked.text
    types = {"accelerator_types": ["H100-SXM"]}
    theirs = submit_job(live_api, other.pi, other.project_id, command="true", **types)
    assert theirs.status_code == 201, theirs.text

    def told_to_wait() -> Any:
        job = live_api.client.get(f"/jobs/{theirs.json()['id']}", headers=live_api.as_(other.pi))
        seen = job.json()
        last[0] = seen
        return seen if seen.get("reason_code") == "waiting_for_block" else None

    last: list[Any] = [None]
    try:
        waiting = wait_until(told_to_wait, 30, every=0.1)
    except AssertionError:
        raise AssertionError(last[0]) from None
    assert waiting["state"] == "pending"
    assert waiting["reason_params"] == {"block": "live-block", "pool": "local-h100-sxm"}
    mine = submit_job(live_api, owner.pi, owner.project_id, command="true", accelerators=4,
                      **types)  # fmt: skip
    done = wait_job(live_api, owner.pi, mine.json()["id"], {"completed", "failed"})
    assert done["state"] == "completed", done
    seen = live_api.client.get(f"/jobs/{theirs.json()['id']}", headers=live_api.as_(other.pi))
    assert seen.json()["state"] == "pending"
    cancel = live_api.client.post(f"/reservations/{booked.json()['id']}/cancel", headers=ops)
    assert cancel.status_code == 200
    ran = wait_job(live_api, other.pi, theirs.json()["id"], {"completed", "failed"})
    assert ran["state"] == "completed", ran
