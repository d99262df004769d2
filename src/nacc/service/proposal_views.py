"""Proposals as their readers may see them (``ProposalDetails``), read in batches: one
query per kind of fact for a page of proposals, and their mean review scores. Use cases
that need them live in ``nacc.service.programs`` (which re-exports these names)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from nacc.domain.programs import Criterion, weighted_score
from nacc.ports.store import UnitOfWork
from nacc.ports.store_people import CallView, ProposalView, ReviewView
from nacc.service.context import found


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class ProposalDetails:
    """A proposal as its reader may see it: on a blind call a reviewer gets ``None`` for
    the organisation, the PI and the team."""

    id: int
    call_id: int
    title: str
    abstract: str
    requested_credits: Decimal
    job_classes: list[str]
    accelerator_types: list[str] | None
    status: str
    submitted_at: datetime
    organisation_id: int | None
    organisation_name: str | None
    pi: Person | None
    team: list[Person] | None
    reviews: int | None = None  # officers only
    mean_score: float | None = None  # officers only
    decision: dict[str, object] | None = None


def find_call(uow: UnitOfWork, call_id: int, *, lock: bool = False) -> CallView:
    return found(uow.programs.get_call(call_id, lock=lock), "call", call_id)


def criteria_of(call: CallView) -> list[Criterion]:
    return list(call.criteria)


# --- proposals ----------------------------------------------------------------------------


def proposal_details(
    uow: UnitOfWork, p: ProposalView, *, full: bool, officer: bool = False,
    call: CallView | None = None,
) -> ProposalDetails:  # fmt: skip
    """``call``: the proposal's call when the caller has read it (one query less)."""
    return proposals_details(uow, [p], full=full, officer=officer, call=call)[0]


def proposals_details(
    uow: UnitOfWork, found: Sequence[ProposalView], *, full: bool, officer: bool = False,
    call: CallView | None = None,
) -> list[ProposalDetails]:  # fmt: skip
    """``proposal_details`` of several proposals, one query per kind of fact (teams,
    people, organisations, reviews, decisions) instead of several per proposal;
    ``call``: the proposals' call when the caller has read it."""
    ids = [p.id for p in found]
    teams = uow.programs.members_of_proposals(ids) if full else {}
    people = {u for team in teams.values() for u in team} | {p.pi_user_id for p in found}
    users = uow.people.users_by_id(people) if full else {}
    orgs = uow.people.organisations_by_id({p.organisation_id for p in found}) if full else {}
    reviews = uow.programs.reviews_of_proposals(ids) if officer else {}
    decisions = uow.programs.decisions_of_proposals(ids)
    calls = {call.id: call} if call is not None else {}
    for p in found:
        if officer and p.call_id not in calls:
            calls[p.call_id] = find_call(uow, p.call_id)

    def named(user_id: int) -> Person:
        user = users.get(user_id)
        return Person(user_id, user.name if user else "")

    out = []
    for p in found:
        org = orgs.get(p.organisation_id) if full else None
        scores = mean_of(calls[p.call_id], reviews[p.id]) if officer else None
        decision = decisions.get(p.id)
        out.append(ProposalDetails(
            id=p.id, call_id=p.call_id, title=p.title, abstract=p.abstract,
            requested_credits=p.requested_credits, job_classes=list(p.job_classes),
            accelerator_types=None if p.accelerator_types is None else list(p.accelerator_types),
            status=p.status, submitted_at=p.submitted_at,
            organisation_id=org.id if org else None, organisation_name=org.name if org else None,
            pi=named(p.pi_user_id) if full else None,
            team=[named(u) for u in teams[p.id]] if full else None,
            reviews=None if scores is None else scores[0],
            mean_score=None if scores is None else scores[1],
            decision=None if decision is None else {
                "outcome": decision.outcome, "awarded_credits": decision.awarded_credits,
                "weighted_score": decision.weighted_score, "override": decision.override,
                "reason": decision.reason, "decided_at": decision.decided_at,
                "why": decision.why,
            },
        ))  # fmt: skip
    return out


def person(uow: UnitOfWork, user_id: int) -> Person:
    user = uow.people.get_user(user_id)
    return Person(user_id, user.name if user else "")


def mean_scores(uow: UnitOfWork, p: ProposalView, call: CallView) -> tuple[int, float | None]:
    """(number of reviews, mean weighted score or None when unreviewed)."""
    return mean_of(call, uow.programs.reviews_for(p.id))


def mean_of(call: CallView, reviews: Sequence[ReviewView]) -> tuple[int, float | None]:
    """``mean_scores`` from the proposal's reviews, already read."""
    criteria = criteria_of(call)
    values = [weighted_score(criteria, r.scores) for r in reviews]
    return len(values), (sum(values) / len(values) if values else None)
