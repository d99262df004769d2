"""Award use cases: deciding a call and releasing tranches. Reviewers and reviews are
``nacc.service.reviews``; reading projects and balances ``nacc.service.project_views``.

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

from nacc.domain import programs as rules
from nacc.domain.errors import Conflict, InputError
from nacc.domain.notices import Kind
from nacc.domain.reasons import Reason
from nacc.i18n import render
from nacc.ledger.accounts import EntryKind
from nacc.ports.pages import MAX_PAGE
from nacc.ports.store import UnitOfWork
from nacc.ports.store_people import (
    AwardProjectSpec,
    CallView,
    DecisionSpec,
    ProjectTermsView,
    ProposalView,
    TrancheView,
)
from nacc.service import audit, award_ledger, award_life
from nacc.service.auth import Principal, require
from nacc.service.context import Services
from nacc.service.notify_outbox import notify
from nacc.service.programs import (
    OFFICERS,
    call_account,
    duplicate_is_conflict,
    officer_scope,
)
from nacc.service.project_views import ProjectDetails, account_of, project_and_call, project_details
from nacc.service.proposal_views import find_call, mean_scores

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
class DecisionResult:
    proposal_id: int
    rank: int
    score: float | None
    awarded: bool
    amount: Decimal
    override: bool
    reason: str  # ``why`` in English, for readers that predate codes
    project_id: int | None
    why: Reason | None = None  # the reason as a code (None: decided before codes)

    @classmethod
    def of(cls, d: rules.Decision, score: float | None, override: bool) -> DecisionResult:
        """A rule's decision on a proposal, not yet stored (no project)."""
        return cls(int(d.proposal_id), d.rank, score, d.awarded, d.amount, override,
                   render(d.reason, "en"), None, d.reason)  # fmt: skip


# --- decide -------------------------------------------------------------------------------


def decide(svc: Services, who: Principal, call_id: int, req: DecideRequest) -> list[DecisionResult]:
    """Decide every proposal of the call at once (all or nothing)."""
    now = svc.clock()
    terms = _terms(req, now)
    with svc.unit() as uow, duplicate_is_conflict():
        call = find_call(uow, call_id, lock=True)
        require(who, *OFFICERS, scope=officer_scope(call.program_id))
        _check_decidable(uow, call, now)
        proposals = _all_proposals(uow, call_id)
        unknown = sorted(set(req.overrides) - set(proposals))
        if unknown:
            raise InputError(f"overrides.{unknown[0]}", f"not a proposal of call {call_id}")
        scores = {pid: mean_scores(uow, p, call)[1] for pid, p in proposals.items()}
        candidates = [rules.Candidate(_key(pid), scores[pid], _plain(p.requested_credits))
                      for pid, p in proposals.items()]  # fmt: skip
        overrides = {_key(pid): o for pid, o in req.overrides.items()}
        budget = _plain(call.budget_credits)
        decisions = rules.decide(candidates, budget, call.min_score, overrides)
        out = []
        for d in decisions:
            p = proposals[int(d.proposal_id)]
            view = DecisionResult.of(d, scores[p.id], p.id in req.overrides)
            out.append(_record(uow, who, call, p, view, terms, now))
            _tell_team(uow, p, out[-1], now)
        awarded = [d.proposal_id for d in out if d.awarded]
        audit.record(uow, who, now, "call.decide", f"call:{call_id}", proposals=len(out),
                     awarded=",".join(map(str, awarded)), overrides=len(req.overrides))  # fmt: skip
        return out


def _tell_team(uow: UnitOfWork, p: ProposalView, d: DecisionResult, now: datetime) -> None:
    """Queue ``proposal_decided`` for the applicant and the team who accepted."""
    project = uow.awards.get_project(d.project_id) if d.project_id is not None else None
    params = {"proposal": p.id, "title": p.title, "awarded": d.awarded,
              "amount": str(d.amount), "reason": d.reason,
              "project": project.name if project else ""}  # fmt: skip
    if d.why is not None:  # the notice says it in each person's language
        params |= {"reason_code": d.why.code, "reason_params": d.why.args}
    team = [p.pi_user_id, *uow.programs.proposal_member_ids(p.id)]
    notify(uow, team, Kind.PROPOSAL_DECIDED, f"decision:{p.id}", params, now)


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


def _check_decidable(uow: UnitOfWork, call: CallView, now: datetime) -> None:
    if uow.programs.decisions_of_call(call.id):
        raise Conflict(f"call {call.id} is already decided")
    if now < call.closes_at:
        raise Conflict(f"call {call.id} accepts proposals until {call.closes_at.isoformat()}; "
                       "decide after it closes")  # fmt: skip


def _all_proposals(uow: UnitOfWork, call_id: int) -> dict[int, ProposalView]:
    found: dict[int, ProposalView] = {}
    while True:
        page = uow.programs.list_proposals(call_id, limit=MAX_PAGE, offset=len(found))
        found.update((p.id, p) for p in page.items)
        if len(found) >= page.total or not page.items:
            return found


def _record(
    uow: UnitOfWork, who: Principal, call: CallView, p: ProposalView, d: DecisionResult,
    terms: _Terms, now: datetime,
) -> DecisionResult:  # fmt: skip
    """Store one decision; an award also becomes a project (returned with its id)."""
    spec = DecisionSpec(
        outcome="awarded" if d.awarded else "rejected", decided_by=who.user_id,
        weighted_score=d.score, awarded_credits=d.amount if d.awarded else None,
        override=d.override, reason=d.reason, why=d.why,
    )  # fmt: skip
    uow.programs.record_decision(p.id, spec, now)
    if not d.awarded:
        return d
    return replace(d, project_id=_award(uow, call, p, d.amount, terms, now).id)


def _award(
    uow: UnitOfWork, call: CallView, p: ProposalView, amount: Decimal, terms: _Terms,
    now: datetime,
) -> ProjectTermsView:  # fmt: skip
    team = uow.programs.proposal_member_ids(p.id)
    members = {u: ("pi" if u == p.pi_user_id else "member") for u in team}
    parts = rules.tranches(amount, terms.first_tranche)
    conditions = ["at_award", "progress_report_accepted"]
    spec = AwardProjectSpec(
        name=f"{p.title[:180]} (proposal {p.id})", valid_from=terms.valid_from,
        valid_until=terms.valid_until, proposal_id=p.id, members=members,
        tranches=list(zip(parts, conditions, strict=False)),
    )  # fmt: skip
    proj = uow.awards.create_project(spec)
    for user_id, role in members.items():
        uow.people.grant_role(user_id, role, f"project:{proj.id}")
    award_ledger.open_account(uow, account_of(proj), "project", proj.overdraft_credits)
    award_life.schedule_reports(uow, proj)
    _release(uow, proj, uow.awards.tranches_of(proj.id)[0], call.id, now)
    return proj


def _release(
    uow: UnitOfWork, proj: ProjectTermsView, t: TrancheView, call_id: int, now: datetime
) -> bool:
    """Post the tranche from the call's budget to the project (idempotent on its cause)
    and mark it released; True when it was released now."""
    cause = f"award:{proj.proposal_id}:tranche:{t.seq}"
    legs = [(call_account(call_id), -t.amount), (account_of(proj), t.amount)]
    memo = f"tranche {t.seq} of project {proj.id}"
    posted = award_ledger.post(uow, EntryKind.AWARD, cause, now, memo, legs)
    return uow.awards.release_tranche(t.id, now) or posted


# --- progress reports ---------------------------------------------------------------------


def accept_progress_report(
    svc: Services, who: Principal, project_id: int, tranche_seq: int | None
) -> tuple[ProjectDetails, bool]:
    """Release the tranche a progress report unlocks: ``tranche_seq``, or the next one
    waiting for a report. Idempotent: a tranche already released (or none left waiting)
    changes nothing. Returns the project and whether a tranche was released now."""
    now = svc.clock()
    with svc.unit() as uow:
        proj, call = project_and_call(uow, project_id)
        if call is None:
            raise Conflict(f"project {project_id} was not awarded by a call; it has no tranches")
        require(who, *OFFICERS, scope=officer_scope(call.program_id))
        tranche = _waiting_tranche(uow, proj, tranche_seq)
        if tranche is not None:  # held while an earlier report is overdue, or after the end
            award_life.check_release(uow, proj, tranche, now)
        released = tranche is not None and _release(uow, proj, tranche, call.id, now)
        audit.record(
            uow,
            who,
            now,
            "tranche.release",
            f"project:{project_id}",
            tranche=None if tranche is None else tranche.seq,
            released=released,
        )
        return project_details(uow, proj), released


def _waiting_tranche(
    uow: UnitOfWork, proj: ProjectTermsView, seq: int | None
) -> TrancheView | None:
    tranches = uow.awards.tranches_of(proj.id)
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
