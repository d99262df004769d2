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

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from nacc.domain.programs import Criterion
from nacc.ports.pages import Page
from nacc.ports.store_people_rules import ORG_KINDS

TOKEN_PREFIX_LEN = 8


def hash_token(secret: str) -> str:
    """The sha256 hex digest a store keeps (and looks tokens up by) for a token secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token_secret() -> tuple[str, str]:
    """A fresh ``(prefix, secret)``: ``nacc_<prefix>_<random>``; the prefix (kept in the
    clear) helps an operator find a token, the secret is shown once and never kept."""
    prefix = secrets.token_hex(TOKEN_PREFIX_LEN // 2)
    return prefix, f"nacc_{prefix}_{secrets.token_urlsafe(32)}"


# --- views --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrganisationView:
    id: int
    name: str
    kind: str
    region: str
    capital_area: bool
    company_size: str | None


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    name: str
    email: str
    organisation_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TokenView:
    """An API token as stored, without its hash (the secret is never stored)."""

    id: int
    user_id: int
    label: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """Who an active token belongs to: what a request's caller is made of."""

    token_id: int
    user_id: int
    name: str
    organisation_id: int | None
    roles: frozenset[tuple[str, str]]  # (role, scope); scope "" = everywhere
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProgramView:
    id: int
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class CallView:
    id: int
    program_id: int
    title: str
    opens_at: datetime
    closes_at: datetime
    review_opens_at: datetime
    review_closes_at: datetime
    budget_credits: Decimal
    eligible_org_kinds: tuple[str, ...]
    sector_tags: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    min_score: float
    blind: bool


@dataclass(frozen=True, slots=True)
class ProposalView:
    """A proposal as stored; its team is ``ProgramsRepo.proposal_member_ids``."""

    id: int
    call_id: int
    organisation_id: int
    pi_user_id: int
    title: str
    abstract: str
    requested_credits: Decimal
    job_classes: tuple[str, ...]
    accelerator_types: tuple[str, ...] | None  # None: any type
    status: str
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class ReviewView:
    id: int
    proposal_id: int
    reviewer_id: int
    scores: Mapping[str, float]
    comment: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DecisionView:
    id: int
    proposal_id: int
    outcome: str
    weighted_score: float | None
    awarded_credits: Decimal | None
    override: bool
    reason: str
    decided_by: int
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class ProjectTermsView:
    """An awarded project's terms; ``committed_credits`` is what its live jobs hold."""

    id: int
    name: str
    proposal_id: int | None
    valid_from: datetime
    valid_until: datetime
    overdraft_credits: Decimal
    committed_credits: Decimal


@dataclass(frozen=True, slots=True)
class MemberView:
    user_id: int
    role: str  # pi | member


@dataclass(frozen=True, slots=True)
class TrancheView:
    id: int
    seq: int
    amount: Decimal
    release_condition: str
    released_at: datetime | None


# --- what callers state -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallSpec:
    """Everything a program officer states when opening a call."""

    title: str
    opens_at: datetime
    closes_at: datetime
    budget_credits: Decimal
    review_opens_at: datetime
    review_closes_at: datetime
    criteria: Mapping[str, float]
    min_score: float
    eligible_org_kinds: Sequence[str] = ORG_KINDS
    sector_tags: Sequence[str] = ("general-research",)
    blind: bool = False


@dataclass(frozen=True, slots=True)
class ProposalSpec:
    """A team's application to a call; ``accelerator_types`` None means any."""

    organisation_id: int
    pi_user_id: int
    title: str
    abstract: str
    requested_credits: Decimal
    job_classes: Sequence[str]
    accelerator_types: Sequence[str] | None = None
    member_ids: Sequence[int] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class DecisionSpec:
    """A decision; an ``override`` needs a ``reason``."""

    outcome: str
    decided_by: int
    weighted_score: float | None = None
    awarded_credits: Decimal | None = None
    override: bool = False
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AwardProjectSpec:
    """A project: ``members`` maps user id to role (pi | member); ``tranches`` are
    ``(amount, release_condition)`` in release order, numbered from 1."""

    name: str
    valid_from: datetime
    valid_until: datetime
    proposal_id: int | None = None
    overdraft_credits: Decimal = Decimal(0)
    members: Mapping[int, str] = field(default_factory=dict)
    tranches: Sequence[tuple[Decimal, str]] = ()


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


class ProgramsRepo(Protocol):
    """Programs, calls, proposals (with their teams), reviews and decisions."""

    def create_program(self, name: str, description: str = "") -> ProgramView: ...

    def get_program(self, program_id: int) -> ProgramView | None: ...

    def program_by_name(self, name: str) -> ProgramView | None: ...

    def list_programs(self, limit: int = 100, offset: int = 0) -> Page[ProgramView]: ...

    def create_call(self, program_id: int, spec: CallSpec) -> CallView:
        """Open a call; kinds, tags, criteria, windows and budget are checked first."""
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


class AwardsRepo(Protocol):
    """Projects awarded by calls: their terms, teams and credit tranches."""

    def create_project(self, spec: AwardProjectSpec) -> ProjectTermsView:
        """A project (unique name, one per proposal) with its members and tranches."""
        ...

    def get_project(self, project_id: int, *, share: bool = False) -> ProjectTermsView | None:
        """The project; with ``share``, no one may change it until the unit ends."""
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
