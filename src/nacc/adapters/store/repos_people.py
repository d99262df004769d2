"""Who: organisations, users, roles and API tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store.repos import Page, fetch_page, insert, insert_ignore
from nacc.adapters.store.tables import ApiToken, Organisation, RoleAssignment, User
from nacc.ports.store_people import hash_token, new_token_secret
from nacc.ports.store_people_rules import check_organisation, check_role

__all__ = ["hash_token"]  # the port's, re-exported for callers of this module


# --- organisations ------------------------------------------------------------------------


def create_organisation(
    session: Session,
    name: str,
    kind: str,
    region: str,
    *,
    capital_area: bool,
    company_size: str | None = None,
) -> Organisation:
    """A new organisation; ``company_size`` only for companies."""
    check_organisation(kind, company_size)
    org = Organisation(
        name=name, kind=kind, company_size=company_size, region=region, capital_area=capital_area
    )
    return insert(session, org, f"organisation {name!r}")


def get_organisation(session: Session, org_id: int) -> Organisation | None:
    return session.get(Organisation, org_id)


def list_organisations(session: Session, limit: int = 100, offset: int = 0) -> Page[Organisation]:
    return fetch_page(session, sa.select(Organisation), [Organisation.id], limit, offset)


# --- users and roles ----------------------------------------------------------------------


def create_user(
    session: Session, name: str, email: str, now: datetime, organisation_id: int | None = None
) -> User:
    """A new user; e-mails are unique (compared lower-cased)."""
    user = User(
        name=name, email=email.strip().lower(), organisation_id=organisation_id, created_at=now
    )
    return insert(session, user, f"user e-mail {user.email!r}")


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def list_users(session: Session, limit: int = 100, offset: int = 0) -> Page[User]:
    return fetch_page(session, sa.select(User), [User.id], limit, offset)


ROLES_CHANGED = "nacc.roles_changed"
"""``session.info`` flag set by role and token changes, so caches of callers can be
dropped once the transaction commits."""


def grant_role(session: Session, user_id: int, role: str, scope: str = "") -> bool:
    """Give ``role`` (global when ``scope`` is ``""``); True if new, False if already held."""
    check_role(role)
    values = {"user_id": user_id, "role": role, "scope": scope}
    session.info[ROLES_CHANGED] = True
    return insert_ignore(session, RoleAssignment, values, ["user_id", "role", "scope"])


def revoke_role(session: Session, user_id: int, role: str, scope: str = "") -> bool:
    """Take ``role`` away; True if it was held."""
    session.info[ROLES_CHANGED] = True
    stmt = sa.delete(RoleAssignment).where(
        RoleAssignment.user_id == user_id,
        RoleAssignment.role == role,
        RoleAssignment.scope == scope,
    )
    return bool(getattr(session.execute(stmt), "rowcount", 0))


def roles_of(session: Session, user_id: int) -> list[RoleAssignment]:
    stmt = sa.select(RoleAssignment).where(RoleAssignment.user_id == user_id)
    return list(session.scalars(stmt.order_by(RoleAssignment.role, RoleAssignment.scope)))


def has_role(session: Session, user_id: int, role: str, scope: str | None = None) -> bool:
    """Whether the user holds ``role`` globally, or (given ``scope``) for that scope."""
    scopes = [""] if scope is None else ["", scope]
    stmt = sa.select(RoleAssignment.id).where(
        RoleAssignment.user_id == user_id,
        RoleAssignment.role == role,
        RoleAssignment.scope.in_(scopes),
    )
    return session.scalar(stmt.limit(1)) is not None


def users_with_role(session: Session, role: str, scope: str = "") -> list[User]:
    stmt = (
        sa.select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == role, RoleAssignment.scope == scope)
    )
    return list(session.scalars(stmt.order_by(User.id)))


# --- API tokens ---------------------------------------------------------------------------


def create_api_token(
    session: Session,
    user_id: int,
    now: datetime,
    *,
    expires_at: datetime | None = None,
    label: str = "",
) -> tuple[ApiToken, str]:
    """A new token and its secret. The secret is returned once and never stored."""
    prefix, secret = new_token_secret()
    token = ApiToken(
        user_id=user_id,
        label=label,
        token_hash=hash_token(secret),
        prefix=prefix,
        created_at=now,
        expires_at=expires_at,
    )
    return insert(session, token, f"API token for user {user_id}"), secret


def token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_hash))


def active_token(session: Session, secret: str, now: datetime) -> ApiToken | None:
    """The token for ``secret`` if it exists, is not revoked and has not expired."""
    token = token_by_hash(session, hash_token(secret))
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    return token


def revoke_token(session: Session, token_id: int, now: datetime) -> bool:
    """Revoke a token; True if it was active."""
    session.info[ROLES_CHANGED] = True
    stmt = (
        sa.update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(getattr(session.execute(stmt), "rowcount", 0))


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    stmt = sa.select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    return list(session.scalars(stmt))
