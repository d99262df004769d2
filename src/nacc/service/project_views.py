"""Reading awarded projects: members, validity, tranches and the ledger balance, for
the project's PI and members, operators and the officers of its program (anyone else:
NotFound, not Forbidden, so as not to tell that it exists)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from nacc.domain.errors import NotFound
from nacc.ledger.accounts import project as project_account
from nacc.ports.store import UnitOfWork
from nacc.ports.store_people import CallView, ProjectTermsView, TrancheView
from nacc.service import award_ledger
from nacc.service.auth import Principal
from nacc.service.context import Services, found
from nacc.service.programs import OFFICERS, find_proposal, officer_scope
from nacc.service.proposal_views import Person, find_call, person


@dataclass(frozen=True, slots=True)
class Member:
    user: Person
    role: str


@dataclass(frozen=True, slots=True)
class ProjectDetails:
    id: int
    name: str
    proposal_id: int | None
    valid_from: datetime
    valid_until: datetime
    members: list[Member]
    tranches: list[TrancheView]
    awarded_credits: Decimal
    released_credits: Decimal
    balance: Decimal


@dataclass(frozen=True, slots=True)
class BalanceView:
    project_id: int
    balance: Decimal
    overdraft: Decimal
    released_credits: Decimal
    awarded_credits: Decimal
    committed_credits: Decimal  # held by the project's pending and running jobs
    available_credits: Decimal  # what a new job may cost: balance + overdraft - committed


def get_project(svc: Services, who: Principal, project_id: int) -> ProjectDetails:
    with svc.unit() as uow:
        proj, call = project_and_call(uow, project_id)
        _may_read(who, proj, call)
        return project_details(uow, proj)


def get_balance(svc: Services, who: Principal, project_id: int) -> BalanceView:
    with svc.unit() as uow:
        # the project row share-locked: a charge (which moves balance and committed
        # together) is seen whole or not at all
        proj, call = project_and_call(uow, project_id, share=True)
        _may_read(who, proj, call)
        view = project_details(uow, proj)
        free = view.balance + proj.overdraft_credits - proj.committed_credits
        return BalanceView(proj.id, view.balance, proj.overdraft_credits, view.released_credits,
                           view.awarded_credits, proj.committed_credits, free)  # fmt: skip


def project_and_call(
    uow: UnitOfWork, project_id: int, share: bool = False
) -> tuple[ProjectTermsView, CallView | None]:
    proj = found(uow.awards.get_project(project_id, share=share), "project", project_id)
    if proj.proposal_id is None:
        return proj, None
    return proj, find_call(uow, find_proposal(uow, proj.proposal_id).call_id)


def _may_read(who: Principal, proj: ProjectTermsView, call: CallView | None) -> None:
    """The project's PI and members, operators, and the officers of its program."""
    if any(who.has(role, f"project:{proj.id}") for role in ("pi", "member")):
        return
    scope = officer_scope(call.program_id) if call is not None else ""
    if not any(who.has(role, scope) for role in OFFICERS):
        raise NotFound("project", proj.id)  # not Forbidden: that would tell it exists


def project_details(uow: UnitOfWork, proj: ProjectTermsView) -> ProjectDetails:
    tranches = uow.awards.tranches_of(proj.id)
    members = [Member(person(uow, m.user_id), m.role) for m in uow.awards.project_members(proj.id)]
    return ProjectDetails(
        id=proj.id, name=proj.name, proposal_id=proj.proposal_id, valid_from=proj.valid_from,
        valid_until=proj.valid_until, members=members, tranches=tranches,
        awarded_credits=sum((t.amount for t in tranches), Decimal(0)),
        released_credits=sum((t.amount for t in tranches if t.released_at), Decimal(0)),
        balance=award_ledger.balance(uow, account_of(proj)),
    )  # fmt: skip


def account_of(proj: ProjectTermsView) -> str:
    """The project's ledger account key (``project:<id>``)."""
    return project_account(str(proj.id)).key
