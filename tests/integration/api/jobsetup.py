"""Test set-up straight through the store: an organisation, a PI and a member with
tokens, and a funded project (the programs flow that normally makes one is tested in
test_api_programs.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from nacc.adapters.store import repos_ledger, repos_people, repos_projects
from nacc.service.context import Services


@dataclass(frozen=True)
class Funded:
    project_id: int
    pi: str
    member: str
    outsider: str


def _user(svc: Services, s: Session, name: str, org: int, roles: list[tuple[str, str]]) -> str:
    user = repos_people.create_user(s, name, f"{name}@uni.example", svc.clock(), org)
    s.flush()
    for role, scope in roles:
        repos_people.grant_role(s, user.id, role, scope)
    _, secret = repos_people.create_api_token(s, user.id, svc.clock())
    return secret


def funded_project(svc: Services, credits: Decimal = Decimal(100)) -> Funded:
    now = svc.clock()
    with svc.tx() as s:
        org = repos_people.create_organisation(s, "KAIST", "university", "Daejeon",
                                               capital_area=False)  # fmt: skip
        s.flush()
        spec = repos_projects.ProjectSpec("demo", now - timedelta(days=1), now + timedelta(days=30))
        proj = repos_projects.create_project(s, spec)
        s.flush()
        scope = f"project:{proj.id}"
        pi = _user(svc, s, "pi", org.id, [("pi", scope)])
        member = _user(svc, s, "member", org.id, [("member", scope)])
        outsider = _user(svc, s, "outsider", org.id, [("pi", "project:999")])
        repos_ledger.ensure_account(s, "funding", "funding", None)
        repos_ledger.ensure_account(s, scope, "project")
        legs = [("funding", -credits), (scope, credits)]
        repos_ledger.add_journal_entry(s, f"test-fund:{proj.id}", now, "test funding", legs)
        return Funded(proj.id, pi, member, outsider)
