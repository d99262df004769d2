"""Test set-up through the store port: an organisation, a PI and a member with tokens,
and a funded project (the programs flow that normally makes one is tested in
test_api_programs.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from nacc.ledger.accounts import EntryKind
from nacc.ports.store import UnitOfWork
from nacc.ports.store_people import AwardProjectSpec
from nacc.service import posting
from nacc.service.context import Services


@dataclass(frozen=True)
class Funded:
    project_id: int
    pi: str
    member: str
    outsider: str


def _user(svc: Services, uow: UnitOfWork, name: str, org: int,
          roles: list[tuple[str, str]]) -> str:  # fmt: skip
    user = uow.people.create_user(name, f"{name}@uni.example", svc.clock(), org)
    for role, scope in roles:
        uow.people.grant_role(user.id, role, scope)
    _, secret = uow.people.create_token(user.id, svc.clock())
    return secret


def funded_project(svc: Services, credits: Decimal = Decimal(100)) -> Funded:
    now = svc.clock()
    with svc.unit() as uow:
        org = uow.people.create_organisation("KAIST", "university", "Daejeon",
                                             capital_area=False)  # fmt: skip
        spec = AwardProjectSpec("demo", now - timedelta(days=1), now + timedelta(days=30))
        proj = uow.awards.create_project(spec)
        scope = f"project:{proj.id}"
        pi = _user(svc, uow, "pi", org.id, [("pi", scope)])
        member = _user(svc, uow, "member", org.id, [("member", scope)])
        outsider = _user(svc, uow, "outsider", org.id, [("pi", "project:999")])
        uow.ledger.open_account("funding", "funding", None)
        uow.ledger.open_account(scope, "project", Decimal(0))
        legs = [("funding", -credits), (scope, credits)]
        fund = posting.entry(EntryKind.TRANSFER, legs, f"test-fund:{proj.id}", now, "test funding")
        posting.post(uow, fund)
        return Funded(proj.id, pi, member, outsider)
