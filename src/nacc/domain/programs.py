"""Allocation programs: who may apply, how reviews are scored, who gets awarded.

Pure rules used by the service layer (issue 3): eligibility, conflict of interest,
weighted review scores, ranking and awarding within a call's budget, and tranches.
Amounts are ``Decimal`` credits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from nacc.domain.errors import InputError
from nacc.domain.reasons import Code, Reason


class OrgKind(StrEnum):
    UNIVERSITY = "university"
    COMPANY = "company"
    RESEARCH_INSTITUTE = "research_institute"
    PUBLIC_AGENCY = "public_agency"


class CompanySize(StrEnum):
    STARTUP = "startup"
    SME = "sme"
    LARGE = "large"


class Role(StrEnum):
    OPERATOR = "operator"
    PROGRAM_OFFICER = "program_officer"
    REVIEWER = "reviewer"
    PI = "pi"
    MEMBER = "member"


class Sector(StrEnum):
    EDUCATION = "education"
    HEALTH = "health"
    CONTENT_CULTURE = "content-culture"
    LAW = "law"
    ACADEMIC = "academic"
    DISASTER_SAFETY = "disaster-safety"
    PUBLIC_SERVICES = "public-services"
    GENERAL_RESEARCH = "general-research"


@dataclass(frozen=True, slots=True)
class Criterion:
    name: str
    weight: float


SCORE_MIN, SCORE_MAX = 0.0, 10.0


def weighted_score(criteria: Sequence[Criterion], scores: Mapping[str, float]) -> float:
    """Weighted mean of one review's scores; every criterion must be scored in range."""
    names = {c.name for c in criteria}
    missing = sorted(names - scores.keys())
    extra = sorted(scores.keys() - names)
    if missing or extra:
        raise InputError(
            "scores", f"expected one score per criterion {sorted(names)}; "
            f"missing {missing}, unknown {extra}"
        )  # fmt: skip
    for name, value in scores.items():
        if not SCORE_MIN <= value <= SCORE_MAX:
            raise InputError(
                f"scores.{name}", f"expected {SCORE_MIN:g}..{SCORE_MAX:g}, got {value}"
            )
    total = sum(c.weight for c in criteria)
    if total <= 0:
        raise InputError("criteria", "weights must sum to a positive number")
    return sum(c.weight * scores[c.name] for c in criteria) / total


def conflict_of_interest(
    reviewer_id: str, reviewer_org: str, applicant_org: str, team: Sequence[str]
) -> str | None:
    """Why a reviewer may not review a proposal, or None when there is no conflict."""
    if reviewer_id in team:
        return "the reviewer is a member of the applying team"
    if reviewer_org == applicant_org:
        return "the reviewer belongs to the applicant's organisation"
    return None


def eligible(allowed: Sequence[OrgKind], kind: OrgKind) -> str | None:
    """Why an organisation kind may not apply to a call, or None when it may."""
    if allowed and kind not in allowed:
        kinds = ", ".join(k.value for k in allowed)
        return f"this call is open to {kinds}; the applicant is a {kind.value}"
    return None


@dataclass(frozen=True, slots=True)
class Candidate:
    proposal_id: str
    score: float | None  # mean weighted score over reviews; None when unreviewed
    requested: Decimal


@dataclass(frozen=True, slots=True)
class Decision:
    proposal_id: str
    awarded: bool
    amount: Decimal
    rank: int
    reason: Reason  # a code and parameters; text only at the edge (nacc.i18n)


def decide(
    candidates: Sequence[Candidate],
    budget: Decimal,
    min_score: float,
    overrides: Mapping[str, tuple[bool, str]] | None = None,
) -> list[Decision]:
    """Rank by score (ties: smaller request, then id) and award in order while the budget
    lasts and the score reaches ``min_score``; an officer's override (award or reject,
    with a recorded reason) is applied first and draws on the budget too."""
    overrides = overrides or {}
    order = sorted(candidates, key=lambda c: (-(c.score or 0.0), c.requested, c.proposal_id))
    rank = {c.proposal_id: i for i, c in enumerate(order, start=1)}
    left = budget
    decided: dict[str, Decision] = {}
    for c in order:  # 1. overrides first: they draw on the budget before the ranking
        if c.proposal_id in overrides:
            award, why = overrides[c.proposal_id]
            if award and c.requested > left:
                raise InputError(f"overrides.{c.proposal_id}", f"needs {c.requested}, {left} left")
            amount = c.requested if award else Decimal(0)
            left -= amount
            reason = Reason.of(Code.DECISION_OVERRIDE, message=why)
            decided[c.proposal_id] = Decision(
                c.proposal_id, award, amount, rank[c.proposal_id], reason
            )
    for c in order:  # 2. the ranking, within what is left
        if c.proposal_id in decided:
            continue
        r = rank[c.proposal_id]
        if c.score is None or c.score < min_score:
            decided[c.proposal_id] = Decision(
                c.proposal_id, False, Decimal(0), r, _below(c, min_score)
            )
        elif c.requested > left:
            reason = Reason.of(Code.DECISION_BUDGET_EXHAUSTED, requested=str(c.requested),
                               left=str(left))  # fmt: skip
            decided[c.proposal_id] = Decision(c.proposal_id, False, Decimal(0), r, reason)
        else:
            left -= c.requested
            reason = Reason.of(Code.DECISION_RANKED, rank=r, score=f"{c.score:.2f}")
            decided[c.proposal_id] = Decision(c.proposal_id, True, c.requested, r, reason)
    return [decided[c.proposal_id] for c in order]


def _below(c: Candidate, min_score: float) -> Reason:
    if c.score is None:
        return Reason.of(Code.DECISION_NOT_REVIEWED)
    return Reason.of(Code.DECISION_BELOW_MINIMUM, score=f"{c.score:.2f}", minimum=f"{min_score:g}")


def tranches(amount: Decimal, at_award: Decimal = Decimal("0.5")) -> list[Decimal]:
    """Split an award: ``at_award`` of it at once, the rest after the progress report."""
    if not Decimal(0) < at_award <= Decimal(1):
        raise InputError("tranches.at_award", f"expected a fraction in (0, 1], got {at_award}")
    first = (amount * at_award).quantize(Decimal("0.000000001"))
    return [first] if first == amount else [first, amount - first]
