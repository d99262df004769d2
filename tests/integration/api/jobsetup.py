"""Test set-up straight through the store: an organisation, a PI and a member with
tokens, and a funded project (the programs flow that normally makes one is tested in
test_api_programs.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from conftest import Api
from nacc.adapters.store import repos_ledger, repos_people, repos_projects
from nacc.service.context import Services
from support.waiting import wait_until


@dataclass(frozen=True)
class Funded:
    project_id: int
    pi: str
    member: str
    outsider: str


def _user(svc: Services, s: Session, name: str, org: int, roles: list[tuple[str, str]]) -> str:
    user = repos_people.create_user(s, name, f"{name}@uni.example".replace(" ", "-"),
                                    svc.clock(), org)  # fmt: skip
    s.flush()
    for role, scope in roles:
        repos_people.grant_role(s, user.id, role, scope)
    _, secret = repos_people.create_api_token(s, user.id, svc.clock())
    return secret


def funded_project(
    svc: Services, credits: Decimal = Decimal(100), org_name: str = "KAIST", who: str = ""
) -> Funded:
    """A project of a new organisation ``org_name``, its people named ``who`` + pi,
    member, outsider (give another ``who`` and ``org_name`` for a second tenant)."""
    now = svc.clock()
    with svc.tx() as s:
        org = repos_people.create_organisation(s, org_name, "university", "Daejeon",
                                               capital_area=False)  # fmt: skip
        s.flush()
        spec = repos_projects.ProjectSpec(f"{who}demo", now - timedelta(days=1),
                                          now + timedelta(days=30))  # fmt: skip
        proj = repos_projects.create_project(s, spec)
        s.flush()
        scope = f"project:{proj.id}"
        pi = _user(svc, s, f"{who}pi", org.id, [("pi", scope)])
        member = _user(svc, s, f"{who}member", org.id, [("member", scope)])
        outsider = _user(svc, s, f"{who}outsider", org.id, [("pi", "project:999")])
        repos_ledger.ensure_account(s, "funding", "funding", None)
        repos_ledger.ensure_account(s, scope, "project")
        legs = [("funding", -credits), (scope, credits)]
        repos_ledger.add_journal_entry(s, f"test-fund:{proj.id}", now, "test funding", legs)
        return Funded(proj.id, pi, member, outsider)


def submit_job(api: Api, token: str, project: int, **body: Any) -> Any:
    """POST a job (1 accelerator, fine-tuning, 60 s unless ``body`` says otherwise)."""
    body.setdefault("accelerators", 1)
    body.setdefault("job_class", "fine-tuning")
    body.setdefault("time_limit_s", 60)
    return api.client.post(f"/projects/{project}/jobs", json=body, headers=api.as_(token))


def wait_job(api: Api, token: str, job_id: str, states: set[str], timeout: float = 30) -> Any:
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
