"""In-memory repositories of the store port: nacc.ports.store_people.

Rows are the port's frozen views, kept in dicts by id (a changed row is replaced). The
same checks as the SQL store run before anything is written: unique values raise
``Conflict``, ids that name nothing ``InvalidReference``, each naming the row as the SQL
store does; inputs go through ``nacc.ports.store_people_rules``. The unit's copy of the
tables is what a unit changes (``nacc.adapters.store.memory``), so there is nothing to
lock: units are already serial.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from nacc.adapters.store.memory import identity
from nacc.adapters.store.memory.batch import PeopleBatch
from nacc.ports.pages import Conflict, InvalidReference, Page, page_of
from nacc.ports.store_people import (
    AuditEntry,
    AuditView,
    CallView,
    DecisionView,
    OrganisationView,
    ProgramView,
    ProjectTermsView,
    ProposalView,
    ReviewView,
    TokenHolder,
    TokenView,
    TrancheView,
    UserView,
    hash_token,
    new_token_secret,
)
from nacc.ports.store_people_rules import check_organisation, check_role

if TYPE_CHECKING:
    from nacc.adapters.store.memory import Tables

V = TypeVar("V")
MISSING = "refers to something that does not exist"


@dataclass
class PeopleTables:
    """The rows of people, programs and awards, by id."""

    next_ids: dict[str, int] = field(default_factory=dict)
    organisations: dict[int, OrganisationView] = field(default_factory=dict)
    users: dict[int, UserView] = field(default_factory=dict)
    roles: set[tuple[int, str, str]] = field(default_factory=set)  # (user, role, scope)
    tokens: dict[int, TokenView] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)  # hash -> token id
    programs: dict[int, ProgramView] = field(default_factory=dict)
    calls: dict[int, CallView] = field(default_factory=dict)
    proposals: dict[int, ProposalView] = field(default_factory=dict)
    teams: dict[int, list[int]] = field(default_factory=dict)  # proposal -> user ids
    reviews: dict[int, ReviewView] = field(default_factory=dict)
    decisions: dict[int, DecisionView] = field(default_factory=dict)  # by proposal
    projects: dict[int, ProjectTermsView] = field(default_factory=dict)
    project_members: dict[int, dict[int, str]] = field(default_factory=dict)
    tranches: dict[int, TrancheView] = field(default_factory=dict)
    tranche_projects: dict[int, int] = field(default_factory=dict)  # tranche -> project
    identity: identity.IdentityTables = field(default_factory=identity.IdentityTables)

    def new_id(self, table: str) -> int:
        self.next_ids[table] = self.next_ids.get(table, 0) + 1
        return self.next_ids[table]


def page(rows: Iterable[V], limit: int, offset: int, keep: Callable[[V], bool] = bool) -> Page[V]:
    """The rows (in id order, as dicts keep them) that ``keep``, as one page."""
    return page_of([r for r in rows if keep(r)], limit, offset)


def need(exists: bool, what: str) -> None:
    """Refuse a reference to a row that does not exist, as a foreign key would."""
    if not exists:
        raise InvalidReference(what, MISSING)


def unique(taken: bool, what: str) -> None:
    if taken:
        raise Conflict(what, "already exists")


class MemPeople(PeopleBatch):
    def __init__(self, tables: Tables) -> None:
        self.root = tables
        self.t = tables.people

    def create_organisation(
        self, name: str, kind: str, region: str, *, capital_area: bool,
        company_size: str | None = None,
    ) -> OrganisationView:  # fmt: skip
        check_organisation(kind, company_size)
        unique(any(o.name == name for o in self.t.organisations.values()),
               f"organisation {name!r}")  # fmt: skip
        org_id = self.t.new_id("organisations")
        org = OrganisationView(org_id, name, kind, region, capital_area, company_size)
        self.t.organisations[org_id] = org
        return org

    def get_organisation(self, org_id: int) -> OrganisationView | None:
        return self.t.organisations.get(org_id)

    def list_organisations(self, limit: int = 100, offset: int = 0) -> Page[OrganisationView]:
        return page(self.t.organisations.values(), limit, offset)

    def create_user(
        self, name: str, email: str, now: datetime, organisation_id: int | None = None
    ) -> UserView:
        email = email.strip().lower()
        what = f"user e-mail {email!r}"
        unique(self.user_by_email(email) is not None, what)
        need(organisation_id is None or organisation_id in self.t.organisations, what)
        user = UserView(self.t.new_id("users"), name, email, organisation_id, now)
        self.t.users[user.id] = user
        return user

    def get_user(self, user_id: int) -> UserView | None:
        return self.t.users.get(user_id)

    def user_by_email(self, email: str) -> UserView | None:
        email = email.strip().lower()
        return next((u for u in self.t.users.values() if u.email == email), None)

    def list_users(self, limit: int = 100, offset: int = 0) -> Page[UserView]:
        return page(self.t.users.values(), limit, offset)

    def grant_role(self, user_id: int, role: str, scope: str = "") -> bool:
        check_role(role)
        need(user_id in self.t.users, f"role {role!r} for user {user_id}")
        self.root.roles_changed = True
        if (user_id, role, scope) in self.t.roles:
            return False
        self.t.roles.add((user_id, role, scope))
        return True

    def revoke_role(self, user_id: int, role: str, scope: str = "") -> bool:
        self.root.roles_changed = True
        held = (user_id, role, scope) in self.t.roles
        self.t.roles.discard((user_id, role, scope))
        return held

    def roles_of(self, user_id: int) -> list[tuple[str, str]]:
        return sorted((role, scope) for user, role, scope in self.t.roles if user == user_id)

    def has_role(self, user_id: int, role: str, scope: str | None = None) -> bool:
        scopes = [""] if scope is None else ["", scope]
        return any((user_id, role, s) in self.t.roles for s in scopes)

    def users_with_role(self, role: str, scope: str = "") -> list[UserView]:
        ids = sorted(u for u, r, s in self.t.roles if (r, s) == (role, scope))
        return [self.t.users[u] for u in ids]

    def create_token(
        self, user_id: int, now: datetime, *, expires_at: datetime | None = None, label: str = ""
    ) -> tuple[TokenView, str]:
        need(user_id in self.t.users, f"API token for user {user_id}")
        prefix, secret = new_token_secret()
        token = TokenView(self.t.new_id("tokens"), user_id, label, prefix, now, expires_at, None)
        self.t.tokens[token.id] = token
        self.t.token_ids[hash_token(secret)] = token.id
        return token, secret

    def token_by_hash(self, token_hash: str) -> TokenView | None:
        token_id = self.t.token_ids.get(token_hash)
        return None if token_id is None else self.t.tokens[token_id]

    def token_holder(self, token_hash: str, now: datetime) -> TokenHolder | None:
        token = self.token_by_hash(token_hash)
        if token is None or token.revoked_at is not None:
            return None
        if token.expires_at is not None and token.expires_at <= now:
            return None
        user = self.t.users[token.user_id]
        roles = frozenset(self.roles_of(user.id))
        return TokenHolder(token.id, user.id, user.name, user.organisation_id, roles,
                           token.expires_at)  # fmt: skip

    def revoke_token(self, token_id: int, now: datetime) -> bool:
        self.root.roles_changed = True
        token = self.t.tokens.get(token_id)
        if token is None or token.revoked_at is not None:
            return False
        self.t.tokens[token_id] = replace(token, revoked_at=now)
        return True

    def tokens_of(self, user_id: int) -> list[TokenView]:
        return [t for t in self.t.tokens.values() if t.user_id == user_id]

    def get_token(self, token_id: int) -> TokenView | None:
        return self.t.tokens.get(token_id)

    def record_audit(self, entry: AuditEntry) -> AuditView:
        return identity.record_audit(self.t, entry)

    def audit_log(
        self, limit: int = 100, offset: int = 0, *, actor_id: int | None = None,
        action: str | None = None,
    ) -> Page[AuditView]:  # fmt: skip
        return identity.audit_log(self.t, limit, offset, actor_id, action)
