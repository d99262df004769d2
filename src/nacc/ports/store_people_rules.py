"""What the people and programs repositories accept: allowed values and checks of inputs.

Both store implementations run these checks before they write, so a bad value is the same
``InputError`` (naming the field and what was expected) on SQLite, PostgreSQL and in
memory. The SQL tables enforce the same values with CHECK constraints.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from nacc.domain.errors import InputError
from nacc.domain.programs import CompanySize, OrgKind, Role, Sector

if TYPE_CHECKING:
    from nacc.ports.store_people import AwardProjectSpec, CallSpec, DecisionSpec, ProposalSpec

ORG_KINDS = tuple(k.value for k in OrgKind)
COMPANY_SIZES = tuple(s.value for s in CompanySize)
ROLES = tuple(r.value for r in Role)
SECTOR_TAGS = tuple(s.value for s in Sector)
PROPOSAL_STATUSES = ("submitted", "under_review", "awarded", "rejected")
DECISION_OUTCOMES = ("awarded", "rejected")
PROJECT_ROLES = ("pi", "member")
TRANCHE_CONDITIONS = ("at_award", "progress_report_accepted")


def one_of(where: str, value: str | None, allowed: Sequence[str]) -> None:
    if value is not None and value not in allowed:
        raise InputError(where, f"{value!r} is not one of {', '.join(allowed)}")


def all_in(where: str, values: Iterable[str], allowed: Sequence[str]) -> None:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise InputError(where, f"{', '.join(map(repr, bad))} not among {', '.join(allowed)}")


def check_organisation(kind: str, company_size: str | None) -> None:
    one_of("organisation.kind", kind, ORG_KINDS)
    one_of("organisation.company_size", company_size, COMPANY_SIZES)
    if company_size is not None and kind != "company":
        raise InputError("organisation.company_size", "only a company has a size")


def check_role(role: str) -> None:
    one_of("role", role, ROLES)


def check_call(spec: CallSpec) -> None:
    all_in("call.eligible_org_kinds", spec.eligible_org_kinds, ORG_KINDS)
    all_in("call.sector_tags", spec.sector_tags, SECTOR_TAGS)
    if not spec.criteria or any(w <= 0 for w in spec.criteria.values()):
        raise InputError("call.criteria", "needs at least one criterion, each weight > 0")
    if spec.closes_at <= spec.opens_at:
        raise InputError("call.closes_at", "must be after opens_at")
    if spec.review_closes_at <= spec.review_opens_at:
        raise InputError("call.review_closes_at", "must be after review_opens_at")
    if spec.budget_credits < 0:
        raise InputError("call.budget_credits", f"must be 0 or more, got {spec.budget_credits}")


def check_proposal(spec: ProposalSpec) -> None:
    if spec.requested_credits <= 0:
        raise InputError(
            "proposal.requested_credits", f"must be more than 0, got {spec.requested_credits}"
        )


def check_status(status: str) -> None:
    if status not in PROPOSAL_STATUSES:
        raise InputError("proposal.status", f"{status!r} not among {', '.join(PROPOSAL_STATUSES)}")


def check_decision(spec: DecisionSpec) -> None:
    if spec.outcome not in DECISION_OUTCOMES:
        raise InputError("decision.outcome", f"must be one of {', '.join(DECISION_OUTCOMES)}")
    if spec.override and not spec.reason.strip():
        raise InputError("decision.reason", "an override must give its reason")


def check_member_role(role: str) -> None:
    if role not in PROJECT_ROLES:
        raise InputError("project member role", f"{role!r} not among {', '.join(PROJECT_ROLES)}")


def check_project(spec: AwardProjectSpec) -> None:
    if spec.valid_until <= spec.valid_from:
        raise InputError("project.valid_until", "must be after valid_from")
    for role in spec.members.values():
        check_member_role(role)
    for amount, condition in spec.tranches:
        if condition not in TRANCHE_CONDITIONS:
            raise InputError("tranche condition", f"{condition!r} not among {TRANCHE_CONDITIONS}")
        if amount <= 0:
            raise InputError("tranche amount", f"must be more than 0, got {amount}")
