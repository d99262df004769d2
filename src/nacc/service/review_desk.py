"""What the portal's reviewer and officer pages need beyond ``programs`` and ``awards``:
a reviewer's assigned calls and what is left to do, a reviewer's own declaration of a
conflict of interest, and a preview of a call's decision (what ``awards.decide`` would
award, and how much of the budget it would use) that writes nothing.

A declared conflict is an audit entry (``review.conflict_declared`` on ``proposal:<id>``
by the reviewer); ``score`` refuses a proposal its reviewer declared a conflict on. The
API's ``POST /proposals/{id}/reviews`` (``reviews.submit_review``) does not read the
declarations yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from nacc.domain import programs as rules
from nacc.domain.errors import Forbidden
from nacc.domain.reasons import Code
from nacc.ledger.accounts import project as project_account
from nacc.ports.pages import MAX_PAGE
from nacc.ports.store import UnitOfWork
from nacc.ports.store_people import MemberView, ProjectTermsView
from nacc.service import audit, awards, programs, project_views, proposal_views, reviews
from nacc.service.auth import Principal, require
from nacc.service.context import Services
from nacc.service.project_views import Member, ProjectDetails

DECLARED = "review.conflict_declared"


@dataclass(frozen=True, slots=True)
class Assignment:
    """One proposal of a call the reviewer was assigned to, and where they stand on it."""

    proposal: proposal_views.ProposalDetails
    reviewed: bool
    declared_conflict: bool


@dataclass(frozen=True, slots=True)
class AssignedCall:
    call: programs.CallDetails
    proposals: list[Assignment]


def calls_reviewed_by(who: Principal) -> list[int]:
    """The calls ``who`` reviews (``reviewer`` scoped ``call:N``), in id order."""
    ids = {int(s[5:]) for r, s in who.roles if r == "reviewer" and s[5:].isdigit()
           and s.startswith("call:")}  # fmt: skip
    return sorted(ids)


def assigned(svc: Services, who: Principal) -> list[AssignedCall]:
    """Every call ``who`` reviews, with its proposals (no names on a blind call)."""
    out = []
    for call_id in calls_reviewed_by(who):
        call = programs.get_call(svc, call_id)
        page = programs.list_proposals(svc, who, call_id, MAX_PAGE, 0)
        with svc.unit() as uow:
            declared = _declared(uow, who)
            reviewed = {r.proposal_id for r in uow.programs.reviews_by(who.user_id)}
            rows = [Assignment(p, p.id in reviewed, p.id in declared) for p in page.items]
        out.append(AssignedCall(call, rows))
    return out


def assignment(
    svc: Services, who: Principal, p: proposal_views.ProposalDetails
) -> Assignment | None:
    """Where ``who`` stands on one proposal (as ``assigned`` lists it), or None when they
    do not review its call."""
    if p.call_id not in calls_reviewed_by(who):
        return None
    with svc.unit() as uow:
        reviewed = uow.programs.review_by(p.id, who.user_id) is not None
        return Assignment(p, reviewed, p.id in _declared(uow, who))


def _declared(uow: UnitOfWork, who: Principal) -> set[int]:
    page = uow.people.audit_log(MAX_PAGE, 0, actor_id=who.user_id, action=DECLARED)
    return {int(e.target.split(":", 1)[1]) for e in page.items if e.target.startswith("proposal:")}


def declare_conflict(svc: Services, who: Principal, proposal_id: int, note: str) -> bool:
    """Record that ``who`` will not review ``proposal_id``; False when already declared."""
    with svc.unit() as uow:
        p = programs.find_proposal(uow, proposal_id)
        require(who, "reviewer", scope=f"call:{p.call_id}")
        if proposal_id in _declared(uow, who):
            return False
        audit.record(uow, who, svc.clock(), DECLARED, f"proposal:{proposal_id}",
                     call=p.call_id, note=note[:500])  # fmt: skip
        return True


def score(svc: Services, who: Principal, proposal_id: int, scores: Mapping[str, float],
          comment: str) -> reviews.ReviewResult:  # fmt: skip
    """``reviews.submit_review``, refused first when ``who`` declared a conflict on it."""
    with svc.unit() as uow:
        if proposal_id in _declared(uow, who):
            raise Forbidden(f"{who.name} declared a conflict of interest on proposal "
                            f"{proposal_id}", code=Code.CONFLICT_OF_INTEREST_BLIND,
                            params={"name": who.name, "proposal": proposal_id})  # fmt: skip
    return reviews.submit_review(svc, who, proposal_id, scores, comment)


@dataclass(frozen=True, slots=True)
class Preview:
    """What deciding the call now would do; nothing is stored."""

    budget: Decimal
    awarded: Decimal
    left: Decimal
    decisions: list[awards.DecisionResult]


def preview(svc: Services, who: Principal, call_id: int,
            overrides: Mapping[int, tuple[bool, str]]) -> Preview:  # fmt: skip
    """The decision ``awards.decide`` would make with ``overrides`` (same rules, same
    ranking), and the budget it would use. Refused like ``decide`` for a non-officer."""
    with svc.unit() as uow:
        call = proposal_views.find_call(uow, call_id)
        require(who, *programs.OFFICERS, scope=programs.officer_scope(call.program_id))
        found = uow.programs.list_proposals(call_id, limit=MAX_PAGE, offset=0).items
        reviews = uow.programs.reviews_of_proposals([p.id for p in found])
        scores = {p.id: proposal_views.mean_of(call, reviews[p.id])[1] for p in found}
    candidates = [rules.Candidate(f"{p.id:012d}", scores[p.id], _plain(p.requested_credits))
                  for p in found]  # fmt: skip
    keyed = {f"{pid:012d}": o for pid, o in overrides.items()}
    decided = rules.decide(candidates, _plain(call.budget_credits), call.min_score, keyed)
    rows = [awards.DecisionResult.of(d, scores[int(d.proposal_id)], int(d.proposal_id) in overrides)
            for d in decided]  # fmt: skip
    rows.sort(key=lambda r: r.rank)
    used = sum((r.amount for r in rows), Decimal(0))
    return Preview(call.budget_credits, used, call.budget_credits - used, rows)


def _plain(amount: Decimal) -> Decimal:
    """As ``awards.decide`` reads amounts (so reasons say ``600``, not ``600.000000000``)."""
    return amount.quantize(Decimal(1)) if amount == amount.to_integral() else amount.normalize()


def projects_of_call(svc: Services, who: Principal, call_id: int) -> list[ProjectDetails]:
    """The projects a call's decision created, with their tranches (officers)."""
    with svc.unit() as uow:
        call = proposal_views.find_call(uow, call_id)
        require(who, *programs.OFFICERS, scope=programs.officer_scope(call.program_id))
        found = uow.programs.list_proposals(call_id, limit=MAX_PAGE, offset=0).items
        made = uow.awards.projects_for_proposals([p.id for p in found])
        return projects_details(uow, [made[p.id] for p in found if p.id in made])


def projects_details(uow: UnitOfWork, projs: Sequence[ProjectTermsView]) -> list[ProjectDetails]:
    """``project_views.project_details`` of several projects, one query per kind of fact."""
    ids = [p.id for p in projs]
    tranches, teams = uow.awards.tranches_of_projects(ids), uow.awards.members_of_projects(ids)
    users = uow.people.users_by_id({m.user_id for team in teams.values() for m in team})
    keys = {p.id: project_account(str(p.id)).key for p in projs}
    balances = uow.ledger.balances(keys.values())

    def member(m: MemberView) -> Member:
        user = users.get(m.user_id)
        return project_views.Member(
            proposal_views.Person(m.user_id, user.name if user else ""), m.role
        )

    return [ProjectDetails(
        id=proj.id, name=proj.name, proposal_id=proj.proposal_id, valid_from=proj.valid_from,
        valid_until=proj.valid_until, members=[member(m) for m in teams[proj.id]],
        tranches=tranches[proj.id],
        awarded_credits=sum((t.amount for t in tranches[proj.id]), Decimal(0)),
        released_credits=sum((t.amount for t in tranches[proj.id] if t.released_at), Decimal(0)),
        balance=balances[keys[proj.id]],
    ) for proj in projs]  # fmt: skip
