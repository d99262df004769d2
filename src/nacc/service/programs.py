"""Program use cases: programs, calls, proposals and reviews (decisions: ``awards``).

One unit of work per use case (``Services.unit``): a refused request changes nothing.
Who may do what:

* operators and program officers (global, or scoped ``program:<id>``) create programs,
  open calls, assign reviewers;
* any authenticated user with an organisation applies to an open call and becomes the
  proposal's PI; the ids in the request's ``team`` are *invited* (they join only by
  accepting: ``nacc.service.teams``);
* a proposal, to anyone who may not read it, is not found (404, not 403: a refusal would
  tell that it exists);
* creating programs and opening calls are written to the audit log.
* reviews: ``nacc.service.reviews``; decisions and tranches: ``nacc.service.awards``;
  reading projects and balances: ``nacc.service.project_views``.

A call's budget lives in the ledger account ``program:call-<id>``, funded from
``funding`` when the call opens (cause ``fund:call:<id>``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from nacc.catalog import load_catalog
from nacc.domain.errors import Conflict, Forbidden, InputError, NotFound
from nacc.domain.programs import OrgKind, eligible
from nacc.ledger.accounts import FUNDING, EntryKind, program
from nacc.ports.pages import MAX_PAGE, Page
from nacc.ports.pages import Conflict as DuplicateRow
from nacc.ports.store import UnitOfWork
from nacc.ports.store_people import (
    CallSpec,
    CallView,
    ProgramView,
    ProposalSpec,
    ProposalView,
)
from nacc.service import audit, award_ledger
from nacc.service.auth import Principal, require
from nacc.service.context import Services, found
from nacc.service.proposal_views import (
    ProposalDetails,
    find_call,
    proposal_details,
    proposals_details,
)

OFFICERS = ("operator", "program_officer")


def call_account(call_id: int) -> str:
    """The ledger account holding a call's budget (an account of kind ``program``)."""
    return program(f"call-{call_id}").key


def officer_scope(program_id: int) -> str:
    return f"program:{program_id}"


@contextmanager
def duplicate_is_conflict() -> Iterator[None]:
    """A unique-constraint violation (same name, second review) becomes a 409."""
    try:
        yield
    except DuplicateRow as error:
        raise Conflict(f"{error.where} already exists") from error


def outside_window(what: str, start: datetime, end: datetime, now: datetime) -> Conflict:
    return Conflict(f"{what} from {start.isoformat()} until {end.isoformat()}; "
                    f"it is now {now.isoformat()}")  # fmt: skip


# --- views (plain data, safe outside the unit of work) ----------------------------------


@dataclass(frozen=True, slots=True)
class CallDetails:
    """A call as the API shows it: with what is left of its budget and whether decided."""

    id: int
    program_id: int
    title: str
    opens_at: datetime
    closes_at: datetime
    review_opens_at: datetime
    review_closes_at: datetime
    budget_credits: Decimal
    budget_balance: Decimal
    eligible_org_kinds: list[str]
    sector_tags: list[str]
    criteria: list[dict[str, object]]
    min_score: float
    blind: bool
    decided: bool


@dataclass(frozen=True, slots=True)
class ProposalRequest:
    title: str
    abstract: str
    requested_credits: Decimal
    job_classes: Sequence[str]
    accelerator_types: Sequence[str] | None = None
    team: Sequence[int] = field(default_factory=tuple)


# --- programs and calls -------------------------------------------------------------------


def create_program(svc: Services, who: Principal, name: str, description: str) -> ProgramView:
    require(who, *OFFICERS)
    with svc.unit() as uow, duplicate_is_conflict():
        row = uow.programs.create_program(name, description)
        audit.record(uow, who, svc.clock(), "program.create", f"program:{row.id}", name=name)
        return row


def list_programs(svc: Services, limit: int, offset: int) -> Page[ProgramView]:
    with svc.unit() as uow:
        return uow.programs.list_programs(limit, offset)


def open_call(svc: Services, who: Principal, program_id: int, spec: CallSpec) -> CallDetails:
    """Open a call and fund its budget account from ``funding`` in the same unit of work."""
    require(who, *OFFICERS, scope=officer_scope(program_id))
    check_windows(spec)
    now = svc.clock()
    with svc.unit() as uow, duplicate_is_conflict():
        _program(uow, program_id)
        call = uow.programs.create_call(program_id, spec)
        award_ledger.open_account(uow, FUNDING.key, "funding", None)
        award_ledger.open_account(uow, call_account(call.id), "program", Decimal(0))
        legs = [(FUNDING.key, -call.budget_credits), (call_account(call.id), call.budget_credits)]
        memo = f"budget of call {call.id} {call.title!r}"
        award_ledger.post(uow, EntryKind.FUNDING, f"fund:call:{call.id}", now, memo, legs)
        audit.record(uow, who, now, "call.open", f"call:{call.id}", program_id=program_id,
                     budget=str(call.budget_credits))  # fmt: skip
        return call_details(uow, call)


def check_windows(spec: CallSpec) -> None:
    if spec.closes_at <= spec.opens_at:
        raise InputError("closes_at", "must be after opens_at")
    if spec.review_closes_at <= spec.review_opens_at:
        raise InputError("review_closes_at", "must be after review_opens_at")
    if spec.review_opens_at < spec.opens_at:
        raise InputError("review_opens_at", "must not be before the call opens (opens_at)")


def list_calls(svc: Services, program_id: int | None, limit: int, offset: int) -> Page[CallDetails]:
    with svc.unit() as uow:
        if program_id is not None:
            _program(uow, program_id)
        page = uow.programs.list_calls(program_id, limit, offset)
        return Page(calls_details(uow, page.items), page.total, limit, offset)


def get_call(svc: Services, call_id: int) -> CallDetails:
    with svc.unit() as uow:
        return call_details(uow, find_call(uow, call_id))


def call_details(uow: UnitOfWork, c: CallView) -> CallDetails:
    return calls_details(uow, [c])[0]


def calls_details(uow: UnitOfWork, calls: Sequence[CallView]) -> list[CallDetails]:
    """``call_details`` of several calls, with two queries in all (balances, decisions)."""
    balances = uow.ledger.balances([call_account(c.id) for c in calls])
    decided = uow.programs.decided_calls([c.id for c in calls])
    return [_call_details(c, balances[call_account(c.id)], c.id in decided) for c in calls]


def _call_details(c: CallView, balance: Decimal, decided: bool) -> CallDetails:
    return CallDetails(
        id=c.id, program_id=c.program_id, title=c.title, opens_at=c.opens_at,
        closes_at=c.closes_at, review_opens_at=c.review_opens_at,
        review_closes_at=c.review_closes_at, budget_credits=c.budget_credits,
        budget_balance=balance,
        eligible_org_kinds=list(c.eligible_org_kinds), sector_tags=list(c.sector_tags),
        criteria=[{"name": k.name, "weight": k.weight} for k in c.criteria],
        min_score=c.min_score, blind=c.blind,
        decided=decided,
    )  # fmt: skip


def _program(uow: UnitOfWork, program_id: int) -> ProgramView:
    return found(uow.programs.get_program(program_id), "program", program_id)


def find_proposal(uow: UnitOfWork, proposal_id: int) -> ProposalView:
    return found(uow.programs.get_proposal(proposal_id), "proposal", proposal_id)


def apply(svc: Services, who: Principal, call_id: int, req: ProposalRequest) -> ProposalDetails:
    """Submit a proposal for the caller's organisation; the caller is its PI."""
    if who.organisation_id is None:
        raise Forbidden(f"{who.name} belongs to no organisation; only organisations apply")
    now = svc.clock()
    with svc.unit() as uow:
        call = find_call(uow, call_id)
        if not call.opens_at <= now < call.closes_at:
            raise outside_window(f"call {call_id} accepts proposals", call.opens_at,
                                 call.closes_at, now)  # fmt: skip
        _check_applicant(uow, call, who.organisation_id)
        _check_request(uow, call, req)
        spec = ProposalSpec(
            organisation_id=who.organisation_id, pi_user_id=who.user_id, title=req.title,
            abstract=req.abstract, requested_credits=req.requested_credits,
            job_classes=list(req.job_classes), accelerator_types=req.accelerator_types,
        )  # fmt: skip
        row = uow.programs.create_proposal(call_id, spec, now)
        _invite_team(uow, who, row, req.team, now)
        return proposal_details(uow, row, full=True)


def _invite_team(
    uow: UnitOfWork, who: Principal, p: ProposalView, user_ids: Sequence[int], now: datetime
) -> None:
    """Invite (not add) the request's team; each joins by accepting (``service.teams``)."""
    for user_id in dict.fromkeys(u for u in user_ids if u != who.user_id):
        row = uow.programs.invite(p.id, who.user_id, now, user_id=user_id)
        audit.record(uow, who, now, "team.invite", f"proposal:{p.id}", invitation=row.id,
                     user_id=user_id)  # fmt: skip


def _check_applicant(uow: UnitOfWork, call: CallView, organisation_id: int) -> None:
    org = uow.people.get_organisation(organisation_id)
    if org is None:
        raise NotFound("organisation", organisation_id)
    allowed = [OrgKind(k) for k in call.eligible_org_kinds]
    why = eligible(allowed, OrgKind(org.kind))
    if why is not None:
        raise Forbidden(f"organisation {org.name!r} may not apply: {why}")


def _check_request(uow: UnitOfWork, call: CallView, req: ProposalRequest) -> None:
    if req.requested_credits <= 0:
        raise InputError("requested_credits", "must be more than 0")
    if req.requested_credits > call.budget_credits:
        budget = call.budget_credits
        raise InputError("requested_credits", f"exceeds the call's budget of {budget} credits")
    unknown = sorted(set(req.accelerator_types or ()) - set(load_catalog()))
    if unknown:
        raise InputError("accelerator_types", f"unknown type(s) {', '.join(unknown)}; "
                         f"known: {', '.join(load_catalog())}")  # fmt: skip
    for user_id in req.team:
        if uow.people.get_user(user_id) is None:
            raise InputError("team", f"no user with id {user_id}")


def list_proposals(
    svc: Services, who: Principal, call_id: int, limit: int, offset: int
) -> Page[ProposalDetails]:
    """Officers see every proposal in full; the call's reviewers see every proposal
    (without names on a blind call); anyone else sees the proposals on whose team they are."""
    with svc.unit() as uow:
        return _proposals_of(uow, who, find_call(uow, call_id), limit, offset)


def proposals_by_call(svc: Services, who: Principal,
                      call_ids: Sequence[int]) -> dict[int, list[ProposalDetails]]:  # fmt: skip
    """``list_proposals(svc, who, c, MAX_PAGE, 0).items`` of each call, in one unit."""
    with svc.unit() as uow:
        return {c: list(_proposals_of(uow, who, find_call(uow, c), MAX_PAGE, 0).items)
                for c in call_ids}  # fmt: skip


def _proposals_of(uow: UnitOfWork, who: Principal, call: CallView, limit: int,
                  offset: int) -> Page[ProposalDetails]:  # fmt: skip
    call_id = call.id
    if _is_officer(who, call):
        page = uow.programs.list_proposals(call_id, limit=limit, offset=offset)
        items = proposals_details(uow, page.items, full=True, officer=True, call=call)
    elif who.has("reviewer", f"call:{call_id}"):
        page = uow.programs.list_proposals(call_id, limit=limit, offset=offset)
        items = proposals_details(uow, page.items, full=not call.blind)
    else:
        page = uow.programs.proposals_of_member(call_id, who.user_id, limit, offset)
        items = proposals_details(uow, page.items, full=True)
    return Page(items, page.total, limit, offset)


def get_proposal(svc: Services, who: Principal, proposal_id: int) -> ProposalDetails:
    with svc.unit() as uow:
        p = find_proposal(uow, proposal_id)
        call = find_call(uow, p.call_id)
        if _is_officer(who, call):
            return proposal_details(uow, p, full=True, officer=True)
        if who.user_id in uow.programs.proposal_member_ids(p.id):
            return proposal_details(uow, p, full=True)
        if who.has("reviewer", f"call:{call.id}"):
            return proposal_details(uow, p, full=not call.blind)
        raise NotFound("proposal", proposal_id)  # not Forbidden: that would tell it exists


def _is_officer(who: Principal, call: CallView) -> bool:
    return any(who.has(r, officer_scope(call.program_id)) for r in OFFICERS)
