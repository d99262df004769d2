"""Review and award use cases: reviewers and reviews, deciding a call, releasing
tranches, reading projects and balances.

A reviewer of the call (role ``reviewer`` scoped ``call:<id>``, or global) scores a
proposal once, inside the review window, unless in conflict of interest (Forbidden,
with the reason).

Deciding a call ranks its proposals by mean weighted review score and awards within the
budget above the minimum score (``nacc.domain.programs.decide``), with the officer's
overrides recorded with their reasons. Each award becomes a project: the team as members
(the applicant as ``pi``), roles ``pi``/``member`` scoped ``project:<id>``, tranches
(``at_award`` then ``progress_report_accepted``), and the first tranche posted to the
ledger from the call's budget (cause ``award:<proposal>:tranche:1``). A call is decided
once: deciding it again is a Conflict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from nacc.adapters.store import repos_extra, repos_ledger, repos_people, repos_programs
from nacc.adapters.store import repos_projects as repos_proj
from nacc.adapters.store.repos import MAX_PAGE
from nacc.adapters.store.tables import Call, Project, Proposal, Tranche
from nacc.domain import programs as rules
from nacc.domain.errors import Conflict, Forbidden, InputError, NotFound
from nacc.domain.programs import conflict_of_interest, weighted_score
from nacc.ledger.accounts import project as project_account
from nacc.service.auth import Principal, require
from nacc.service.context import Services, found
from nacc.service.programs import (
    OFFICERS,
    Person,
    call_account,
    criteria_of,
    duplicate_is_conflict,
    find_call,
    find_proposal,
    mean_scores,
    officer_scope,
    outside_window,
)

DEFAULT_VALIDITY = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class DecideRequest:
    """``overrides`` maps a proposal id to (award?, reason); the validity window defaults
    to [now, now + 365 days); ``first_tranche`` is the fraction released at award."""

    overrides: Mapping[int, tuple[bool, str]]
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    first_tranche: Decimal = Decimal("0.5")


@dataclass(frozen=True, slots=True)
class DecisionView:
    proposal_id: int
    rank: int
    score: float | None
    awarded: bool
    amount: Decimal
    override: bool
    reason: str
    project_id: int | None


@dataclass(frozen=True, slots=True)
class TrancheView:
    seq: int
    amount: Decimal
    release_condition: str
    released_at: datetime | None


@dataclass(frozen=True, slots=True)
class Member:
    user: Person
    role: str


@dataclass(frozen=True, slots=True)
class ProjectView:
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


@dataclass(frozen=True, slots=True)
class ReviewView:
    id: int
    proposal_id: int
    reviewer_id: int
    scores: dict[str, float]
    weighted_score: float
    comment: str
    created_at: datetime


# --- reviewers and reviews ----------------------------------------------------------------


def assign_reviewer(svc: Services, who: Principal, call_id: int, user_id: int) -> bool:
    """Grant ``reviewer`` scoped ``call:<id>``; True when new, False when already held."""
    with svc.tx() as s:
        call = find_call(s, call_id)
        require(who, *OFFICERS, scope=officer_scope(call.program_id))
        if repos_people.get_user(s, user_id) is None:
            raise NotFound("user", user_id)
        return repos_people.grant_role(s, user_id, "reviewer", f"call:{call_id}")


def submit_review(
    svc: Services, who: Principal, proposal_id: int, scores: Mapping[str, float], comment: str
) -> ReviewView:
    """One review per reviewer and proposal: refused (Forbidden) on a conflict of
    interest, (Conflict) outside the review window, after the decision, or a second time."""
    now = svc.clock()
    with svc.tx() as s:
        p = find_proposal(s, proposal_id)
        require(who, "reviewer", scope=f"call:{p.call_id}")
        call = _locked_call(s, p.call_id)  # serialised with the call's decision
        _check_conflict_of_interest(s, who, p)
        _check_review_window(s, call, now)
        score = weighted_score(criteria_of(call), scores)
        if repos_extra.review_by(s, p.id, who.user_id) is not None:
            raise Conflict(f"{who.name} has already reviewed proposal {p.id}")
        with duplicate_is_conflict():
            row = repos_programs.add_review(s, p.id, who.user_id, scores, comment, now)
        if p.status == "submitted":
            repos_programs.set_proposal_status(s, p.id, "under_review")
        return ReviewView(row.id, p.id, who.user_id, dict(row.scores), score, comment, now)


def _locked_call(s: Session, call_id: int) -> Call:
    return found(repos_extra.lock_call(s, call_id), "call", call_id)


def _check_conflict_of_interest(s: Session, who: Principal, p: Proposal) -> None:
    team = [str(u) for u in repos_programs.proposal_member_ids(s, p.id)]
    reviewer_org = "" if who.organisation_id is None else str(who.organisation_id)
    why = conflict_of_interest(str(who.user_id), reviewer_org, str(p.organisation_id), team)
    if why is not None:
        raise Forbidden(f"conflict of interest: {why}; {who.name} may not review proposal {p.id}")


def _check_review_window(s: Session, call: Call, now: datetime) -> None:
    if repos_extra.decisions_of_call(s, call.id):
        raise Conflict(f"call {call.id} is already decided; reviews are closed")
    if not call.review_opens_at <= now < call.review_closes_at:
        raise outside_window(f"call {call.id} takes reviews", call.review_opens_at,
                             call.review_closes_at, now)  # fmt: skip


# --- decide -------------------------------------------------------------------------------


def decide(svc: Services, who: Principal, call_id: int, req: DecideRequest) -> list[DecisionView]:
    """Decide every proposal of the call at once (all or nothing)."""
    now = svc.clock()
    terms = _terms(req, now)
    with svc.tx() as s, duplicate_is_conflict():
        call = _locked_call(s, call_id)
        require(who, *OFFICERS, scope=officer_scope(call.program_id))
        _check_decidable(s, call, now)
        proposals = _all_proposals(s, call_id)
        unknown = sorted(set(req.overrides) - set(proposals))
        if unknown:
            raise InputError(f"overrides.{unknown[0]}", f"not a proposal of call {call_id}")
        scores = {pid: mean_scores(s, p, call)[1] for pid, p in proposals.items()}
        candidates = [rules.Candidate(_key(pid), scores[pid], _plain(p.requested_credits))
                      for pid, p in proposals.items()]  # fmt: skip
        overrides = {_key(pid): o for pid, o in req.overrides.items()}
        budget = _plain(call.budget_credits)
        decisions = rules.decide(candidates, budget, call.min_score, overrides)
        out = []
        for d in decisions:
            p = proposals[int(d.proposal_id)]
            view = DecisionView(p.id, d.rank, scores[p.id], d.awarded, d.amount,
                                p.id in req.overrides, d.reason, None)  # fmt: skip
            out.append(_record(s, who, call, p, view, terms, now))
        return out


def _key(proposal_id: int) -> str:
    """A proposal id as ``decide`` sorts ties: zero-padded, so 9 comes before 10."""
    return f"{proposal_id:012d}"


def _plain(amount: Decimal) -> Decimal:
    """The same amount without trailing zeros, so reasons read ``600``, not ``600.000000000``."""
    return amount.quantize(Decimal(1)) if amount == amount.to_integral() else amount.normalize()


@dataclass(frozen=True, slots=True)
class _Terms:
    valid_from: datetime
    valid_until: datetime
    first_tranche: Decimal


def _terms(req: DecideRequest, now: datetime) -> _Terms:
    valid_from = req.valid_from or now
    valid_until = req.valid_until or valid_from + DEFAULT_VALIDITY
    if valid_until <= valid_from:
        raise InputError("valid_until", "must be after valid_from")
    if not Decimal(0) < req.first_tranche <= Decimal(1):
        raise InputError("first_tranche", f"expected a fraction in (0, 1], got {req.first_tranche}")
    return _Terms(valid_from, valid_until, req.first_tranche)


def _check_decidable(s: Session, call: Call, now: datetime) -> None:
    if repos_extra.decisions_of_call(s, call.id):
        raise Conflict(f"call {call.id} is already decided")
    if now < call.closes_at:
        raise Conflict(f"call {call.id} accepts proposals until {call.closes_at.isoformat()}; "
                       "decide after it closes")  # fmt: skip


def _all_proposals(s: Session, call_id: int) -> dict[int, Proposal]:
    found: dict[int, Proposal] = {}
    while True:
        page = repos_programs.list_proposals(s, call_id, limit=MAX_PAGE, offset=len(found))
        found.update((p.id, p) for p in page.items)
        if len(found) >= page.total or not page.items:
            return found


def _record(
    s: Session, who: Principal, call: Call, p: Proposal, d: DecisionView, terms: _Terms,
    now: datetime,
) -> DecisionView:  # fmt: skip
    """Store one decision; an award also becomes a project (returned with its id)."""
    spec = repos_programs.DecisionSpec(
        outcome="awarded" if d.awarded else "rejected", decided_by=who.user_id,
        weighted_score=d.score, awarded_credits=d.amount if d.awarded else None,
        override=d.override, reason=d.reason,
    )  # fmt: skip
    repos_programs.record_decision(s, p.id, spec, now)
    if not d.awarded:
        return d
    return replace(d, project_id=_award(s, call, p, d.amount, terms, now).id)


def _award(
    s: Session, call: Call, p: Proposal, amount: Decimal, terms: _Terms, now: datetime
) -> Project:
    team = repos_programs.proposal_member_ids(s, p.id)
    members = {u: ("pi" if u == p.pi_user_id else "member") for u in team}
    parts = rules.tranches(amount, terms.first_tranche)
    conditions = ["at_award", "progress_report_accepted"]
    spec = repos_proj.ProjectSpec(
        name=f"{p.title[:180]} (proposal {p.id})", valid_from=terms.valid_from,
        valid_until=terms.valid_until, proposal_id=p.id, members=members,
        tranches=list(zip(parts, conditions, strict=False)),
    )  # fmt: skip
    proj = repos_proj.create_project(s, spec)
    for user_id, role in members.items():
        repos_people.grant_role(s, user_id, role, f"project:{proj.id}")
    repos_ledger.ensure_account(s, _account(proj), "project", proj.overdraft_credits)
    _release(s, proj, repos_proj.tranches_of(s, proj.id)[0], call.id, now)
    return proj


def _account(proj: Project) -> str:
    return project_account(str(proj.id)).key


def _release(s: Session, proj: Project, t: Tranche, call_id: int, now: datetime) -> bool:
    """Post the tranche from the call's budget to the project (idempotent on its cause)
    and mark it released; True when it was released now."""
    cause = f"award:{proj.proposal_id}:tranche:{t.seq}"
    legs = [(call_account(call_id), -t.amount), (_account(proj), t.amount)]
    memo = f"tranche {t.seq} of project {proj.id}"
    _, posted = repos_ledger.add_journal_entry(s, cause, now, memo, legs)
    return repos_proj.release_tranche(s, t.id, now) or posted


# --- progress reports ---------------------------------------------------------------------


def accept_progress_report(
    svc: Services, who: Principal, project_id: int, tranche_seq: int | None
) -> tuple[ProjectView, bool]:
    """Release the tranche a progress report unlocks: ``tranche_seq``, or the next one
    waiting for a report. Idempotent: a tranche already released (or none left waiting)
    changes nothing. Returns the project and whether a tranche was released now."""
    now = svc.clock()
    with svc.tx() as s:
        proj, call = _project_and_call(s, project_id)
        if call is None:
            raise Conflict(f"project {project_id} was not awarded by a call; it has no tranches")
        require(who, *OFFICERS, scope=officer_scope(call.program_id))
        tranche = _waiting_tranche(s, proj, tranche_seq)
        released = tranche is not None and _release(s, proj, tranche, call.id, now)
        return project_view(s, proj), released


def _waiting_tranche(s: Session, proj: Project, seq: int | None) -> Tranche | None:
    tranches = repos_proj.tranches_of(s, proj.id)
    if seq is not None:
        chosen = [t for t in tranches if t.seq == seq]
        if not chosen:
            raise InputError("tranche", f"project {proj.id} has tranches 1..{len(tranches)}")
        if chosen[0].release_condition != "progress_report_accepted":
            raise InputError("tranche", f"tranche {seq} is not released by a progress report")
        return None if chosen[0].released_at is not None else chosen[0]
    waiting = [
        t
        for t in tranches
        if t.released_at is None and t.release_condition == "progress_report_accepted"
    ]
    return waiting[0] if waiting else None


# --- reading ------------------------------------------------------------------------------


def get_project(svc: Services, who: Principal, project_id: int) -> ProjectView:
    with svc.tx() as s:
        proj, call = _project_and_call(s, project_id)
        _may_read(who, proj, call)
        return project_view(s, proj)


def get_balance(svc: Services, who: Principal, project_id: int) -> BalanceView:
    with svc.tx() as s:
        # the project row share-locked: a charge (which moves balance and committed
        # together) is seen whole or not at all
        proj, call = _project_and_call(s, project_id, share=True)
        _may_read(who, proj, call)
        view = project_view(s, proj)
        free = repos_proj.available_credits(proj, view.balance)
        return BalanceView(proj.id, view.balance, proj.overdraft_credits, view.released_credits,
                           view.awarded_credits, proj.committed_credits, free)  # fmt: skip


def _project_and_call(
    s: Session, project_id: int, share: bool = False
) -> tuple[Project, Call | None]:
    proj = found(repos_proj.get_project(s, project_id, share=share), "project", project_id)
    if proj.proposal_id is None:
        return proj, None
    return proj, find_call(s, find_proposal(s, proj.proposal_id).call_id)


def _may_read(who: Principal, proj: Project, call: Call | None) -> None:
    """The project's PI and members, operators, and the officers of its program."""
    if any(who.has(role, f"project:{proj.id}") for role in ("pi", "member")):
        return
    scope = officer_scope(call.program_id) if call is not None else ""
    if not any(who.has(role, scope) for role in OFFICERS):
        raise Forbidden(f"only project {proj.id}'s PI and members, operators and its "
                        f"program officers may read it; {who.name} is none of them")  # fmt: skip


def project_view(s: Session, proj: Project) -> ProjectView:
    tranches = [TrancheView(t.seq, t.amount, t.release_condition, t.released_at)
                for t in repos_proj.tranches_of(s, proj.id)]  # fmt: skip
    members = [
        Member(Person(m.user_id, _name(s, m.user_id)), m.role)
        for m in repos_proj.project_members(s, proj.id)
    ]
    return ProjectView(
        id=proj.id, name=proj.name, proposal_id=proj.proposal_id, valid_from=proj.valid_from,
        valid_until=proj.valid_until, members=members, tranches=tranches,
        awarded_credits=sum((t.amount for t in tranches), Decimal(0)),
        released_credits=sum((t.amount for t in tranches if t.released_at), Decimal(0)),
        balance=repos_ledger.balance(s, _account(proj)),
    )  # fmt: skip


def _name(s: Session, user_id: int) -> str:
    user = repos_people.get_user(s, user_id)
    return user.name if user else ""
