"""Capacity blocks in the live ledger (issue 12 part 1, docs/programs.md "Charging"), on
SQLite and PostgreSQL with the live scheduler: a ``capacity`` block is paid when booked,
its project's job on it is not charged again, a cancel refunds the part not begun; an
ended ``use_plus_idle`` block's idle fee is posted once; ``ledger verify`` holds."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from jobsetup import funded_project, submit_job, wait_job

from conftest import Api
from nacc.domain.credits import to_credits
from nacc.service.reports import verify_ledger
from support.waiting import wait_until

POOL = "local-h100-sxm"


def _balance(api: Api, token: str, project: int) -> Decimal:
    got = api.client.get(f"/projects/{project}/balance", headers=api.as_(token))
    return Decimal(got.json()["balance"])


def _rate(api: Api) -> float:
    rates: dict[tuple[str, str], float] = api.client.app.state.pricing.rates  # type: ignore[attr-defined]
    return rates[("H100-SXM", "llm-pretraining")]


def _book(api: Api, project: int, start: Any, end: Any, **kw: Any) -> Any:
    body = {"name": kw.pop("name", "flagship"), "pool_id": POOL, "count": 2,
            "start": start.isoformat(), "end": end.isoformat(), "projects": [project],
            **kw}  # fmt: skip
    return api.client.post("/reservations", json=body, headers=api.as_(api.operator))


def test_capacity_block_paid_at_booking_its_jobs_free_cancel_refunds(live_api: Api) -> None:
    api = live_api
    team = funded_project(api.svc, Decimal(10**6))
    now = api.svc.clock()
    start, end = now - timedelta(seconds=5), now + timedelta(hours=1)
    booked = _book(api, team.project_id, start, end)
    assert booked.status_code == 201, booked.text
    whole = to_credits(repr(2 * (end - start).total_seconds() / 3600 * _rate(api)))
    assert _balance(api, team.pi, team.project_id) == Decimal(10**6) - whole
    job = submit_job(api, team.pi, team.project_id, command="true",
                     accelerator_types=["H100-SXM"], job_class="llm-pretraining")  # fmt: skip
    done = wait_job(api, team.pi, job.json()["id"], {"completed", "failed"})
    assert done["state"] == "completed" and done["pool_id"] == POOL, done
    with api.svc.unit() as uow:
        assert uow.ledger.job_usage(done["id"]) == (Decimal(0), Decimal(0))  # paid by the block
    gone = api.client.post(f"/reservations/{booked.json()['id']}/cancel",
                           headers=api.as_(api.operator))  # fmt: skip
    assert gone.status_code == 200
    back = _balance(api, team.pi, team.project_id) - (Decimal(10**6) - whole)
    assert Decimal(0) < back < whole  # the part not begun
    with api.svc.unit() as uow:
        refund = uow.ledger.by_cause(f"block:flagship:cancel:project:{team.project_id}")
    assert refund is not None
    again = api.client.post(f"/reservations/{booked.json()['id']}/cancel",
                            headers=api.as_(api.operator))  # fmt: skip
    assert again.status_code == 200  # idempotent: refunded once
    assert _balance(api, team.pi, team.project_id) - (Decimal(10**6) - whole) == back
    report = verify_ledger(api.svc)
    assert report.ok, report.lines()


def test_an_unfunded_capacity_block_is_refused_with_nothing_booked(live_api: Api) -> None:
    api = live_api
    poor = funded_project(api.svc, Decimal(1))
    now = api.svc.clock()
    refused = _book(api, poor.project_id, now, now + timedelta(days=30))
    assert refused.status_code == 402 and refused.json()["code"] == "insufficient_credits"
    assert api.client.get("/reservations", headers=api.as_(api.operator)).json() == []
    assert _balance(api, poor.pi, poor.project_id) == Decimal(1)


def test_ended_use_plus_idle_block_posts_its_idle_fee_once(live_api: Api) -> None:
    api = live_api
    team = funded_project(api.svc, Decimal(10**6))
    now = api.svc.clock()
    start, end = now - timedelta(hours=2), now - timedelta(hours=1)
    booked = _book(api, team.project_id, start, end, name="idle", charge="use_plus_idle",
                   idle_fee=0.25)  # fmt: skip
    assert booked.status_code == 201, booked.text
    cause = f"block:idle:idle:project:{team.project_id}"

    def posted() -> Any:
        with api.svc.unit() as uow:
            return uow.ledger.by_cause(cause)

    wait_until(posted, 30, "the idle fee posted")
    fee = to_credits(repr(2 * 3600 / 3600 * _rate(api) * 0.25))  # 2 idle accelerator-hours
    assert _balance(api, team.pi, team.project_id) == Decimal(10**6) - fee
    report = verify_ledger(api.svc)
    assert report.ok, report.lines()
