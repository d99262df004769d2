"""Store port, people side: the views its repositories return, what callers state, and
the token hashing both backends share (re-exported by ``nacc.ports.store_people``)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from nacc.domain.programs import Criterion
from nacc.domain.reasons import Reason
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
    reason: str  # English text (``why`` rendered when it has a code)
    decided_by: int
    decided_at: datetime
    why: Reason | None = None  # the reason as a code; None for decisions made before codes


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
    reason: str = ""  # English: ``why`` rendered, for readers that predate codes
    why: Reason | None = None


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
