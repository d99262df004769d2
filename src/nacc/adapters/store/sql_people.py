"""SQL repositories of the store port: nacc.ports.store_people.

Session-bound classes over the repository functions (``repos_people``,
``repos_programs``, ``repos_extra``, ``repos_projects``), which stay the SQL
implementation; every ORM row is turned into its view here and never leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store import repos_extra, repos_people, repos_programs, sql_identity
from nacc.adapters.store import repos_projects as repos_proj
from nacc.adapters.store.repos import InvalidReference, Page
from nacc.adapters.store.sql_batch import AwardsBatch, PeopleBatch, ProgramsBatch
from nacc.adapters.store.sql_people_views import (
    call_view,
    decision_view,
    org_view,
    project_view,
    proposal_view,
    review_view,
    token_view,
    tranche_view,
    user_view,
)
from nacc.adapters.store.tables import (
    ApiToken,
    User,
)
from nacc.ports.store_people import (
    AuditEntry,
    AuditView,
    AwardProjectSpec,
    CallSpec,
    CallView,
    DecisionSpec,
    DecisionView,
    InvitationView,
    MemberView,
    OrganisationView,
    ProgramView,
    ProjectTermsView,
    ProposalSpec,
    ProposalView,
    ReviewView,
    TokenHolder,
    TokenView,
    TrancheView,
    UserView,
)
from nacc.ports.store_people_rules import check_project, check_role

R = TypeVar("R")
V = TypeVar("V")


def _page(page: Page[R], view: Callable[[R], V]) -> Page[V]:
    return Page([view(r) for r in page.items], page.total, page.limit, page.offset)


def _opt(row: R | None, view: Callable[[R], V]) -> V | None:
    return None if row is None else view(row)


# --- repositories -------------------------------------------------------------------------


class SqlPeople(PeopleBatch):
    def __init__(self, session: Session) -> None:
        self.session = session

    def create_organisation(
        self, name: str, kind: str, region: str, *, capital_area: bool,
        company_size: str | None = None,
    ) -> OrganisationView:  # fmt: skip
        org = repos_people.create_organisation(
            self.session, name, kind, region, capital_area=capital_area, company_size=company_size
        )
        return org_view(org)

    def get_organisation(self, org_id: int) -> OrganisationView | None:
        return _opt(repos_people.get_organisation(self.session, org_id), org_view)

    def list_organisations(self, limit: int = 100, offset: int = 0) -> Page[OrganisationView]:
        return _page(repos_people.list_organisations(self.session, limit, offset), org_view)

    def create_user(
        self, name: str, email: str, now: datetime, organisation_id: int | None = None
    ) -> UserView:
        return user_view(repos_people.create_user(self.session, name, email, now, organisation_id))

    def get_user(self, user_id: int) -> UserView | None:
        return _opt(repos_people.get_user(self.session, user_id), user_view)

    def user_by_email(self, email: str) -> UserView | None:
        return _opt(repos_people.user_by_email(self.session, email), user_view)

    def list_users(self, limit: int = 100, offset: int = 0) -> Page[UserView]:
        return _page(repos_people.list_users(self.session, limit, offset), user_view)

    def grant_role(self, user_id: int, role: str, scope: str = "") -> bool:
        check_role(role)
        if repos_people.get_user(self.session, user_id) is None:
            raise InvalidReference(f"role {role!r} for user {user_id}", "no such user")
        return repos_people.grant_role(self.session, user_id, role, scope)

    def revoke_role(self, user_id: int, role: str, scope: str = "") -> bool:
        return repos_people.revoke_role(self.session, user_id, role, scope)

    def roles_of(self, user_id: int) -> list[tuple[str, str]]:
        return [(r.role, r.scope) for r in repos_people.roles_of(self.session, user_id)]

    def has_role(self, user_id: int, role: str, scope: str | None = None) -> bool:
        return repos_people.has_role(self.session, user_id, role, scope)

    def users_with_role(self, role: str, scope: str = "") -> list[UserView]:
        return [user_view(u) for u in repos_people.users_with_role(self.session, role, scope)]

    def create_token(
        self, user_id: int, now: datetime, *, expires_at: datetime | None = None, label: str = ""
    ) -> tuple[TokenView, str]:
        token, secret = repos_people.create_api_token(
            self.session, user_id, now, expires_at=expires_at, label=label
        )
        return token_view(token), secret

    def token_by_hash(self, token_hash: str) -> TokenView | None:
        return _opt(repos_people.token_by_hash(self.session, token_hash), token_view)

    def token_holder(self, token_hash: str, now: datetime) -> TokenHolder | None:
        """One query for the token and its user, one for the roles."""
        stmt = (
            sa.select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
        )
        row = self.session.execute(stmt).first()
        if row is None:
            return None
        token, user = row
        if token.expires_at is not None and token.expires_at <= now:
            return None
        roles = frozenset(self.roles_of(user.id))
        return TokenHolder(token.id, user.id, user.name, user.organisation_id, roles,
                           token.expires_at)  # fmt: skip

    def revoke_token(self, token_id: int, now: datetime) -> bool:
        return repos_people.revoke_token(self.session, token_id, now)

    def tokens_of(self, user_id: int) -> list[TokenView]:
        return [token_view(t) for t in repos_people.tokens_of(self.session, user_id)]

    def get_token(self, token_id: int) -> TokenView | None:
        return _opt(self.session.get(ApiToken, token_id), token_view)

    def record_audit(self, entry: AuditEntry) -> AuditView:
        return sql_identity.record_audit(self.session, entry)

    def audit_log(
        self, limit: int = 100, offset: int = 0, *, actor_id: int | None = None,
        action: str | None = None,
    ) -> Page[AuditView]:  # fmt: skip
        return sql_identity.audit_log(self.session, limit, offset, actor_id, action)


class SqlPrograms(ProgramsBatch):
    def __init__(self, session: Session) -> None:
        self.session = session

    def create_program(self, name: str, description: str = "") -> ProgramView:
        p = repos_programs.create_program(self.session, name, description)
        return ProgramView(p.id, p.name, p.description)

    def get_program(self, program_id: int) -> ProgramView | None:
        p = repos_programs.get_program(self.session, program_id)
        return None if p is None else ProgramView(p.id, p.name, p.description)

    def program_by_name(self, name: str) -> ProgramView | None:
        p = repos_programs.program_by_name(self.session, name)
        return None if p is None else ProgramView(p.id, p.name, p.description)

    def list_programs(self, limit: int = 100, offset: int = 0) -> Page[ProgramView]:
        page = repos_programs.list_programs(self.session, limit, offset)
        return _page(page, lambda p: ProgramView(p.id, p.name, p.description))

    def create_call(self, program_id: int, spec: CallSpec) -> CallView:
        return call_view(repos_programs.create_call(self.session, program_id, spec))

    def update_call(self, call_id: int, spec: CallSpec) -> CallView:
        return call_view(repos_programs.update_call(self.session, call_id, spec))

    def get_call(self, call_id: int, *, lock: bool = False) -> CallView | None:
        if lock:
            return _opt(repos_extra.lock_call(self.session, call_id), call_view)
        return _opt(repos_programs.get_call(self.session, call_id), call_view)

    def list_calls(
        self, program_id: int | None = None, limit: int = 100, offset: int = 0
    ) -> Page[CallView]:
        return _page(repos_programs.list_calls(self.session, program_id, limit, offset), call_view)

    def create_proposal(self, call_id: int, spec: ProposalSpec, now: datetime) -> ProposalView:
        with self.session.begin_nested():  # a refused team member leaves no proposal
            row = repos_programs.create_proposal(self.session, call_id, spec, now)
        return proposal_view(row)

    def get_proposal(self, proposal_id: int) -> ProposalView | None:
        return _opt(repos_programs.get_proposal(self.session, proposal_id), proposal_view)

    def list_proposals(
        self, call_id: int | None = None, status: str | None = None, limit: int = 100,
        offset: int = 0,
    ) -> Page[ProposalView]:  # fmt: skip
        page = repos_programs.list_proposals(self.session, call_id, status, limit, offset)
        return _page(page, proposal_view)

    def proposals_of_member(
        self, call_id: int, user_id: int, limit: int = 100, offset: int = 0
    ) -> Page[ProposalView]:
        page = repos_extra.proposals_of_member(self.session, call_id, user_id, limit, offset)
        return _page(page, proposal_view)

    def proposal_member_ids(self, proposal_id: int) -> list[int]:
        return repos_programs.proposal_member_ids(self.session, proposal_id)

    def set_proposal_status(self, proposal_id: int, status: str) -> None:
        repos_programs.set_proposal_status(self.session, proposal_id, status)

    def invite(
        self, proposal_id: int, invited_by: int, now: datetime, *, user_id: int | None = None,
        email: str | None = None,
    ) -> InvitationView:  # fmt: skip
        return sql_identity.invite(self.session, proposal_id, invited_by, now, user_id, email)

    def get_invitation(self, invitation_id: int) -> InvitationView | None:
        return sql_identity.get_invitation(self.session, invitation_id)

    def invitations_of_proposal(self, proposal_id: int) -> list[InvitationView]:
        return sql_identity.invitations_of_proposal(self.session, proposal_id)

    def invitations_for(self, user_id: int, email: str) -> list[InvitationView]:
        return sql_identity.invitations_for(self.session, user_id, email)

    def answer_invitation(
        self, invitation_id: int, status: str, now: datetime, user_id: int | None = None
    ) -> InvitationView:
        return sql_identity.answer_invitation(self.session, invitation_id, status, now, user_id)

    def add_review(
        self, proposal_id: int, reviewer_id: int, scores: Mapping[str, float], comment: str,
        now: datetime,
    ) -> ReviewView:  # fmt: skip
        row = repos_programs.add_review(self.session, proposal_id, reviewer_id, scores, comment,
                                        now)  # fmt: skip
        return review_view(row)

    def reviews_for(self, proposal_id: int) -> list[ReviewView]:
        return [review_view(r) for r in repos_programs.reviews_for(self.session, proposal_id)]

    def reviews_by(self, reviewer_id: int) -> list[ReviewView]:
        return [review_view(r) for r in repos_programs.reviews_by(self.session, reviewer_id)]

    def review_by(self, proposal_id: int, reviewer_id: int) -> ReviewView | None:
        row = repos_extra.review_by(self.session, proposal_id, reviewer_id)
        return _opt(row, review_view)

    def record_decision(self, proposal_id: int, spec: DecisionSpec, now: datetime) -> DecisionView:
        return decision_view(repos_programs.record_decision(self.session, proposal_id, spec, now))

    def decision_for(self, proposal_id: int) -> DecisionView | None:
        return _opt(repos_programs.decision_for(self.session, proposal_id), decision_view)

    def decisions_of_call(self, call_id: int) -> list[DecisionView]:
        return [decision_view(d) for d in repos_extra.decisions_of_call(self.session, call_id)]


class SqlAwards(AwardsBatch):
    def __init__(self, session: Session) -> None:
        self.session = session

    def create_project(self, spec: AwardProjectSpec) -> ProjectTermsView:
        check_project(spec)
        plain = repos_proj.ProjectSpec(
            name=spec.name, valid_from=spec.valid_from, valid_until=spec.valid_until,
            proposal_id=spec.proposal_id, overdraft_credits=spec.overdraft_credits,
            members=dict(spec.members), tranches=list(spec.tranches),
        )  # fmt: skip
        with self.session.begin_nested():  # a refused member leaves no project
            row = repos_proj.create_project(self.session, plain)
        return project_view(row)

    def get_project(self, project_id: int, *, share: bool = False) -> ProjectTermsView | None:
        return _opt(repos_proj.get_project(self.session, project_id, share=share), project_view)

    def job_terms(self, project_id: int) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
        return repos_proj.job_terms(self.session, project_id)

    def project_for_proposal(self, proposal_id: int) -> ProjectTermsView | None:
        return _opt(repos_proj.project_for_proposal(self.session, proposal_id), project_view)

    def project_members(self, project_id: int) -> list[MemberView]:
        members = repos_proj.project_members(self.session, project_id)
        return [MemberView(m.user_id, m.role) for m in members]

    def tranches_of(self, project_id: int) -> list[TrancheView]:
        return [tranche_view(t) for t in repos_proj.tranches_of(self.session, project_id)]

    def release_tranche(self, tranche_id: int, now: datetime) -> bool:
        return repos_proj.release_tranche(self.session, tranche_id, now)
