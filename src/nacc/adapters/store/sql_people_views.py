"""ORM rows of people, programs and awards to the store port's views (``sql_people``,
``sql_batch``)."""

from __future__ import annotations

from nacc.adapters.store.tables import (
    ApiToken,
    Call,
    Decision,
    Organisation,
    Project,
    Proposal,
    Review,
    Tranche,
    User,
)
from nacc.domain.programs import Criterion
from nacc.ports.store_jobs_data import reason_of
from nacc.ports.store_people import (
    CallView,
    DecisionView,
    OrganisationView,
    ProjectTermsView,
    ProposalView,
    ReviewView,
    TokenView,
    TrancheView,
    UserView,
)

# --- rows to views ------------------------------------------------------------------------


def org_view(o: Organisation) -> OrganisationView:
    return OrganisationView(o.id, o.name, o.kind, o.region, o.capital_area, o.company_size)


def user_view(u: User) -> UserView:
    return UserView(u.id, u.name, u.email, u.organisation_id, u.created_at)


def token_view(t: ApiToken) -> TokenView:
    return TokenView(t.id, t.user_id, t.label, t.prefix, t.created_at, t.expires_at, t.revoked_at)


def call_view(c: Call) -> CallView:
    criteria = tuple(Criterion(str(k["name"]), float(k["weight"])) for k in c.review_criteria)
    return CallView(
        id=c.id, program_id=c.program_id, title=c.title, opens_at=c.opens_at,
        closes_at=c.closes_at, review_opens_at=c.review_opens_at,
        review_closes_at=c.review_closes_at, budget_credits=c.budget_credits,
        eligible_org_kinds=tuple(c.eligible_org_kinds), sector_tags=tuple(c.sector_tags),
        criteria=criteria, min_score=c.min_score, blind=c.blind,
    )  # fmt: skip


def proposal_view(p: Proposal) -> ProposalView:
    types = None if p.accelerator_types is None else tuple(p.accelerator_types)
    return ProposalView(
        id=p.id, call_id=p.call_id, organisation_id=p.organisation_id,
        pi_user_id=p.pi_user_id, title=p.title, abstract=p.abstract,
        requested_credits=p.requested_credits, job_classes=tuple(p.job_classes),
        accelerator_types=types, status=p.status, submitted_at=p.submitted_at,
    )  # fmt: skip


def review_view(r: Review) -> ReviewView:
    scores = {k: float(v) for k, v in r.scores.items()}
    return ReviewView(r.id, r.proposal_id, r.reviewer_id, scores, r.comment, r.created_at)


def decision_view(d: Decision) -> DecisionView:
    return DecisionView(d.id, d.proposal_id, d.outcome, d.weighted_score, d.awarded_credits,
                        d.override, d.reason, d.decided_by, d.decided_at,
                        reason_of(d.reason_code, d.reason_params))  # fmt: skip


def project_view(p: Project) -> ProjectTermsView:
    return ProjectTermsView(p.id, p.name, p.proposal_id, p.valid_from, p.valid_until,
                            p.overdraft_credits, p.committed_credits)  # fmt: skip


def tranche_view(t: Tranche) -> TrancheView:
    return TrancheView(t.id, t.seq, t.amount, t.release_condition, t.released_at)
