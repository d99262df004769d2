"""Store port: people, organisations, tokens, programs, calls, proposals, awards.

Three repositories of a unit of work (``nacc.ports.store.UnitOfWork``):

- ``people`` (``PeopleRepo``): organisations, users, roles (global or scoped, e.g.
  ``call:3``) and API tokens (only the sha256 of a secret is kept: ``hash_token``);
- ``programs`` (``ProgramsRepo``): programs, calls, proposals with their teams, reviews
  (one per reviewer and proposal) and decisions (one per proposal);
- ``awards`` (``AwardsRepo``): what an award becomes: a project with its team and credit
  tranches, and the tranches' release.

Repositories return frozen views, never ORM rows. Writes raise ``Conflict`` for a
duplicate (an e-mail, a name, a second review), ``InvalidReference`` for an id that names
nothing, and ``InputError`` naming the field for a value outside what is allowed
(``nacc.ports.store_people_rules``); a change of roles or tokens marks the unit so callers'
caches are dropped after commit. Lists are ``Page``s ordered by id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from nacc.ports.pages import Page
from nacc.ports.store_identity_data import AuditEntry, AuditView, InvitationView
from nacc.ports.store_people_data import (
    TOKEN_PREFIX_LEN,
    AwardProjectSpec,
    CallSpec,
    CallView,
    DecisionSpec,
    DecisionView,
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
    hash_token,
    new_token_secret,
)

__all__ = [
    "TOKEN_PREFIX_LEN",
    "AuditEntry",
    "AuditView",
    "AwardProjectSpec",
    "AwardsRepo",
    "CallSpec",
    "CallView",
    "DecisionSpec",
    "DecisionView",
    "InvitationView",
    "MemberView",
    "OrganisationView",
    "PeopleRepo",
    "ProgramView",
    "ProgramsRepo",
    "ProjectTermsView",
    "ProposalSpec",
    "ProposalView",
    "ReviewView",
    "TokenHolder",
    "TokenView",
    "TrancheView",
    "UserView",
    "hash_token",
    "new_token_secret",
]


# --- repositories -------------------------------------------------------------------------


class PeopleRepo(Protocol):
    """Organisations, users, roles and API tokens."""

    def create_organisation(
        self, name: str, kind: str, region: str, *, capital_area: bool,
        company_size: str | None = None,
    ) -> OrganisationView:  # fmt: skip
        """A new organisation (unique name); ``company_size`` only for companies."""
        ...

    def get_organisation(self, org_id: int) -> OrganisationView | None: ...

    def list_organisations(self, limit: int = 100, offset: int = 0) -> Page[OrganisationView]: ...

    def create_user(
        self, name: str, email: str, now: datetime, organisation_id: int | None = None
    ) -> UserView:
        """A new user; e-mails are unique, compared (and kept) lower-cased."""
        ...

    def get_user(self, user_id: int) -> UserView | None: ...

    def user_by_email(self, email: str) -> UserView | None: ...

    def list_users(self, limit: int = 100, offset: int = 0) -> Page[UserView]: ...

    def grant_role(self, user_id: int, role: str, scope: str = "") -> bool:
        """Give ``role`` (global when ``scope`` is ``""``); True if new, False if held."""
        ...

    def revoke_role(self, user_id: int, role: str, scope: str = "") -> bool:
        """Take ``role`` away; True if it was held."""
        ...

    def roles_of(self, user_id: int) -> list[tuple[str, str]]:
        """(role, scope) pairs, sorted."""
        ...

    def has_role(self, user_id: int, role: str, scope: str | None = None) -> bool:
        """Whether the user holds ``role`` globally, or (given ``scope``) for that scope."""
        ...

    def users_with_role(self, role: str, scope: str = "") -> list[UserView]: ...

    def create_token(
        self, user_id: int, now: datetime, *, expires_at: datetime | None = None, label: str = ""
    ) -> tuple[TokenView, str]:
        """A new token and its secret; the secret is returned once and never stored."""
        ...

    def token_by_hash(self, token_hash: str) -> TokenView | None: ...

    def token_holder(self, token_hash: str, now: datetime) -> TokenHolder | None:
        """The holder of the token with this hash if it is neither revoked nor expired."""
        ...

    def revoke_token(self, token_id: int, now: datetime) -> bool:
        """Revoke a token; True if it was active."""
        ...

    def tokens_of(self, user_id: int) -> list[TokenView]: ...

    def get_token(self, token_id: int) -> TokenView | None: ...

    def record_audit(self, entry: AuditEntry) -> AuditView:
        """Append one entry to the audit log (in the same unit as the action)."""
        ...

    def audit_log(
        self, limit: int = 100, offset: int = 0, *, actor_id: int | None = None,
        action: str | None = None,
    ) -> Page[AuditView]:  # fmt: skip
        """Entries, newest first; only those of ``actor_id`` / ``action`` when given."""
        ...

    def users_by_id(self, user_ids: Iterable[int]) -> dict[int, UserView]:
        """The users among ``user_ids`` that exist, in one read (pages list many)."""
        ...

    def organisations_by_id(self, org_ids: Iterable[int]) -> dict[int, OrganisationView]:
        """The organisations among ``org_ids`` that exist, in one read."""
        ...

    def roles_of_users(self, user_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
        """``roles_of`` of several users in one read; every id asked is a key."""
        ...

    def tokens_of_users(self, user_ids: Iterable[int]) -> dict[int, list[TokenView]]:
        """``tokens_of`` of several users in one read; every id asked is a key."""
        ...


class ProgramsRepo(Protocol):
    """Programs, calls, proposals (with their teams), reviews and decisions."""

    def create_program(self, name: str, description: str = "") -> ProgramView: ...

    def get_program(self, program_id: int) -> ProgramView | None: ...

    def program_by_name(self, name: str) -> ProgramView | None: ...

    def list_programs(self, limit: int = 100, offset: int = 0) -> Page[ProgramView]: ...

    def create_call(self, program_id: int, spec: CallSpec) -> CallView:
        """Open a call; kinds, tags, criteria, windows and budget are checked first."""
        ...

    def update_call(self, call_id: int, spec: CallSpec) -> CallView:
        """Replace what the call states (its program stays); checked as ``create_call``."""
        ...

    def get_call(self, call_id: int, *, lock: bool = False) -> CallView | None:
        """The call; with ``lock``, held for the rest of the unit so two decisions (or a
        decision and a review) on one call are serialised."""
        ...

    def list_calls(
        self, program_id: int | None = None, limit: int = 100, offset: int = 0
    ) -> Page[CallView]: ...

    def create_proposal(self, call_id: int, spec: ProposalSpec, now: datetime) -> ProposalView:
        """A submitted proposal with its team (the PI is always a member)."""
        ...

    def get_proposal(self, proposal_id: int) -> ProposalView | None: ...

    def list_proposals(
        self, call_id: int | None = None, status: str | None = None, limit: int = 100,
        offset: int = 0,
    ) -> Page[ProposalView]: ...  # fmt: skip

    def proposals_of_member(
        self, call_id: int, user_id: int, limit: int = 100, offset: int = 0
    ) -> Page[ProposalView]:
        """The call's proposals whose team includes ``user_id``."""
        ...

    def proposal_member_ids(self, proposal_id: int) -> list[int]:
        """The team, by user id (ascending)."""
        ...

    def set_proposal_status(self, proposal_id: int, status: str) -> None: ...

    def invite(
        self, proposal_id: int, invited_by: int, now: datetime, *, user_id: int | None = None,
        email: str | None = None,
    ) -> InvitationView:  # fmt: skip
        """A pending invitation to the team, by user id or by e-mail (one of them); a second
        pending invitation of the same person to the same proposal is a ``Conflict``."""
        ...

    def get_invitation(self, invitation_id: int) -> InvitationView | None: ...

    def invitations_of_proposal(self, proposal_id: int) -> list[InvitationView]:
        """Every invitation of the proposal, by id."""
        ...

    def invitations_for(self, user_id: int, email: str) -> list[InvitationView]:
        """Invitations addressed to the user, by id or by their e-mail, by id."""
        ...

    def answer_invitation(
        self, invitation_id: int, status: str, now: datetime, user_id: int | None = None
    ) -> InvitationView:
        """Settle a pending invitation (accepted, declined, withdrawn); ``user_id`` is who
        answered. Accepting adds the user to the proposal's team."""
        ...

    def add_review(
        self, proposal_id: int, reviewer_id: int, scores: Mapping[str, float], comment: str,
        now: datetime,
    ) -> ReviewView:  # fmt: skip
        """One reviewer's scores; a second review by the same reviewer is a ``Conflict``."""
        ...

    def reviews_for(self, proposal_id: int) -> list[ReviewView]: ...

    def reviews_by(self, reviewer_id: int) -> list[ReviewView]: ...

    def review_by(self, proposal_id: int, reviewer_id: int) -> ReviewView | None: ...

    def record_decision(self, proposal_id: int, spec: DecisionSpec, now: datetime) -> DecisionView:
        """Record the decision (one per proposal) and set the proposal's status to it."""
        ...

    def decision_for(self, proposal_id: int) -> DecisionView | None: ...

    def decisions_of_call(self, call_id: int) -> list[DecisionView]:
        """Every decision on the call's proposals, by proposal id."""
        ...

    # batch reads, one query each, for pages that list many proposals or calls

    def decided_calls(self, call_ids: Iterable[int]) -> set[int]:
        """The calls among ``call_ids`` with at least one decision."""
        ...

    def members_of_proposals(self, proposal_ids: Iterable[int]) -> dict[int, list[int]]:
        """Each proposal's team by user id (ascending); every id asked is a key."""
        ...

    def reviews_of_proposals(self, proposal_ids: Iterable[int]) -> dict[int, list[ReviewView]]:
        """Each proposal's reviews by id; every id asked is a key."""
        ...

    def decisions_of_proposals(self, proposal_ids: Iterable[int]) -> dict[int, DecisionView]:
        """The decisions of the proposals among ``proposal_ids`` that have one."""
        ...


class AwardsRepo(Protocol):
    """Projects awarded by calls: their terms, teams and credit tranches."""

    def create_project(self, spec: AwardProjectSpec) -> ProjectTermsView:
        """A project (unique name, one per proposal) with its members and tranches."""
        ...

    def get_project(self, project_id: int, *, share: bool = False) -> ProjectTermsView | None:
        """The project; with ``share``, no one may change it until the unit ends."""
        ...

    def job_terms(self, project_id: int) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
        """The job classes (empty: any) and accelerator types (None: any) the project's
        award allows; a project without a proposal (or none stored) allows anything."""
        ...

    def project_for_proposal(self, proposal_id: int) -> ProjectTermsView | None: ...

    def project_members(self, project_id: int) -> list[MemberView]:
        """Members by user id."""
        ...

    def tranches_of(self, project_id: int) -> list[TrancheView]:
        """Tranches by ``seq``."""
        ...

    def release_tranche(self, tranche_id: int, now: datetime) -> bool:
        """Mark a tranche released; True the first time, False if it already was."""
        ...

    def projects_for_proposals(self, proposal_ids: Iterable[int]) -> dict[int, ProjectTermsView]:
        """Proposal id -> its project, for the proposals among ``proposal_ids`` with one."""
        ...

    def members_of_projects(self, project_ids: Iterable[int]) -> dict[int, list[MemberView]]:
        """Each project's members by user id; every id asked is a key."""
        ...

    def tranches_of_projects(self, project_ids: Iterable[int]) -> dict[int, list[TrancheView]]:
        """Each project's tranches by ``seq``; every id asked is a key."""
        ...
