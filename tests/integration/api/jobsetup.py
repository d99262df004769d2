"""Test set-up through the store port: an organisation, a PI and a member with tokens,
and a funded project (the programs flow that normally makes one is tested in
test_api_programs / test_e2e), plus submitting and awaiting jobs over the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from conftest import Api
from nacc.ledger.accounts import EntryKind
from nacc.ports.store import UnitOfWork
from nacc.ports.store_people import AwardProjectSpec
from nacc.service import posting
from nacc.service.context import Services
from support.waiting import wait_until


@dataclass(frozen=True)
class Funded:
    project_id: int
    pi: str
    member: str
    outsider: str


def _user(svc: Services, uow: UnitOfWork, name: str, org: int,
          roles: list[tuple[str, str]]) -> str:  # fmt: skip
    email = f"{name}@uni.example".replace(" ", "-")
    user = uow.people.create_user(name, email, svc.clock(), org)
    for role, scope in roles:
        uow.people.grant_role(user.id, role, scope)
    _, secret = uow.people.create_token(user.id, svc.clock())
    return secret


def funded_project(
    svc: Services, credits: Decimal = Decimal(100), org_name: str = "KAIST", who: str = ""
) -> Funded:
    """A project of a new organisation ``org_name``, its people named ``who`` + pi,
    member, outsider (give another ``who`` and ``org_name`` for a second tenant)."""
    now = svc.clock()
    with svc.unit() as uow:
        org = uow.people.create_organisation(org_name, "university", "Daejeon",
                                             capital_area=False)  # fmt: skip
        spec = AwardProjectSpec(f"{who}demo", now - timedelta(days=1), now + timedelta(days=30))
        proj = uow.awards.create_project(spec)
        scope = f"project:{proj.id}"
        pi = _user(svc, uow, f"{who}pi", org.id, [("pi", scope)])
        member = _user(svc, uow, f"{who}member", org.id, [("member", scope)])
        outsider = _user(svc, uow, f"{who}outsider", org.id, [("pi", "project:999")])
        uow.ledger.open_account("funding", "funding", None)
        uow.ledger.open_account(scope, "project", Decimal(0))
        legs = [("funding", -credits), (scope, credits)]
        fund = posting.entry(EntryKind.TRANSFER, legs, f"test-fund:{proj.id}", now, "test funding")
        posting.post(uow, fund)
        return Funded(proj.id, pi, member, outsider)


def submit_job(api: Api, token: str, project: int, **body: Any) -> Any:
    """POST a job (1 accelerator, fine-tuning, 60 s unless ``body`` says otherwise)."""
    body.setdefault("accelerators", 1)
    body.setdefault("job_class", "fine-tuning")
    body.setdefault("time_limit_s", 60)
    return api.client.post(f"/projects/{project}/jobs", json=body, headers=api.as_(token))


def wait_job(api: Api, token: str, job_id: str, states: set[str], timeout: float = 120) -> Any:
    """The job as the API shows it, once in one of ``states``; at the deadline an
    ``AssertionError`` with the job as last seen."""
    last: dict[str, Any] = {}

    def reached() -> dict[str, Any] | None:
        last.clear()
        last.update(api.client.get(f"/jobs/{job_id}", headers=api.as_(token)).json())
        return last if last.get("state") in states else None

    try:
        return wait_until(reached, timeout, every=0.1)
    except AssertionError:
        raise AssertionError(f"job {job_id} not {sorted(states)} in {timeout} s: {last}") from None
