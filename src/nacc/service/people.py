"""People: organisations, users, roles and API tokens (operator use cases).

Each change is written to the audit log (``nacc.service.audit``) in its own unit of
work. A revoked role or token takes effect at the next request: the commit marks roles
changed, which empties the API's cache of callers. Another user, or another user's token,
that the caller may not see is "not found" (404), never "forbidden": a refusal would tell
that it exists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from nacc.domain.errors import NotFound
from nacc.ports.pages import Page
from nacc.ports.store import UnitOfWork
from nacc.ports.store_people import OrganisationView, TokenView, UserView
from nacc.ports.store_people_rules import check_role
from nacc.service import audit
from nacc.service.auth import Principal, require
from nacc.service.context import Services, found


@dataclass(frozen=True, slots=True)
class NewToken:
    id: int
    user_id: int
    secret: str
    expires_at: str | None


@dataclass(frozen=True, slots=True)
class UserWithRoles:
    user: UserView
    roles: list[tuple[str, str]]


def add_organisation(
    svc: Services,
    who: Principal,
    name: str,
    kind: str,
    region: str,
    capital_area: bool,
    company_size: str | None,
) -> OrganisationView:
    require(who, "operator")
    with svc.unit() as uow:
        org = uow.people.create_organisation(
            name, kind, region, capital_area=capital_area, company_size=company_size
        )
        audit.record(uow, who, svc.clock(), "organisation.create", f"organisation:{org.id}",
                     name=name, kind=kind)  # fmt: skip
        return org


def list_organisations(svc: Services, limit: int, offset: int) -> Page[OrganisationView]:
    """Any authenticated caller may list organisations."""
    with svc.unit() as uow:
        return uow.people.list_organisations(limit, offset)


def add_user(
    svc: Services,
    who: Principal,
    name: str,
    email: str,
    organisation_id: int | None,
    roles: list[tuple[str, str]],
) -> tuple[UserView, list[tuple[str, str]]]:
    require(who, "operator")
    with svc.unit() as uow:
        if organisation_id is not None and uow.people.get_organisation(organisation_id) is None:
            raise NotFound("organisation", organisation_id)
        user = uow.people.create_user(name, email, svc.clock(), organisation_id)
        for role, scope in roles:
            uow.people.grant_role(user.id, role, scope)
        roles_text = ",".join(f"{r}@{s}" if s else r for r, s in roles)
        audit.record(uow, who, svc.clock(), "user.create", f"user:{user.id}", roles=roles_text)
        return user, roles


def list_users(svc: Services, who: Principal, limit: int, offset: int) -> Page[UserWithRoles]:
    require(who, "operator")
    with svc.unit() as uow:
        page = uow.people.list_users(limit, offset)
        roles = uow.people.roles_of_users([u.id for u in page.items])
        items = [UserWithRoles(u, roles[u.id]) for u in page.items]
        return Page(items, page.total, page.limit, page.offset)


def grant(svc: Services, who: Principal, user_id: int, role: str, scope: str) -> None:
    require(who, "operator")
    with svc.unit() as uow:
        _user(uow, user_id)
        uow.people.grant_role(user_id, role, scope)
        audit.record(uow, who, svc.clock(), "role.grant", f"user:{user_id}", role=role,
                     scope=scope)  # fmt: skip


def revoke(svc: Services, who: Principal, user_id: int, role: str, scope: str) -> None:
    """Take a role away (operators); a role the user does not hold is not found."""
    require(who, "operator")
    check_role(role)
    with svc.unit() as uow:
        _user(uow, user_id)
        if not uow.people.revoke_role(user_id, role, scope):
            raise NotFound("role", f"{role}@{scope}" if scope else role)
        uow.roles_changed()
        audit.record(uow, who, svc.clock(), "role.revoke", f"user:{user_id}", role=role,
                     scope=scope)  # fmt: skip


def list_tokens(svc: Services, who: Principal, user_id: int) -> list[TokenView]:
    """A user's tokens (never their secrets): the user themself, or an operator."""
    with svc.unit() as uow:
        _visible(uow, who, user_id)
        return uow.people.tokens_of(user_id)


def tokens_of_users(svc: Services, who: Principal,
                    user_ids: Sequence[int]) -> dict[int, list[TokenView]]:  # fmt: skip
    """``list_tokens`` of several users (operators), in one read."""
    require(who, "operator")
    with svc.unit() as uow:
        known = uow.people.users_by_id(user_ids)
        for user_id in user_ids:
            if user_id not in known:
                raise NotFound("user", user_id)
        return uow.people.tokens_of_users(user_ids)


def revoke_token(svc: Services, who: Principal, token_id: int) -> bool:
    """Revoke a token (its owner, or an operator); True when it was active until now.
    Someone else's token is not found, as a token that does not exist."""
    now = svc.clock()
    with svc.unit() as uow:
        token = uow.people.get_token(token_id)
        if token is None or (token.user_id != who.user_id and not who.has("operator")):
            raise NotFound("token", token_id)
        revoked = uow.people.revoke_token(token_id, now)
        uow.roles_changed()
        audit.record(uow, who, now, "token.revoke", f"token:{token_id}",
                     user_id=token.user_id, was_active=revoked)  # fmt: skip
        return revoked


def issue_token(
    svc: Services, who: Principal, user_id: int, label: str, expires_in_s: int | None
) -> NewToken:
    """Operators issue tokens for anyone; a user may issue more tokens for themself."""
    if user_id != who.user_id:
        require(who, "operator")
    now = svc.clock()
    expires = now + timedelta(seconds=expires_in_s) if expires_in_s else None
    with svc.unit() as uow:
        _user(uow, user_id)
        token, secret = uow.people.create_token(user_id, now, expires_at=expires, label=label)
        audit.record(uow, who, now, "token.issue", f"token:{token.id}", user_id=user_id,
                     label=label)  # fmt: skip
        return NewToken(token.id, user_id, secret, expires.isoformat() if expires else None)


def roles_of(svc: Services, user_id: int) -> list[tuple[str, str]]:
    with svc.unit() as uow:
        return uow.people.roles_of(user_id)


def visible_user(svc: Services, who: Principal, user_id: int) -> UserView:
    """The caller themself, or (operators) anyone; another user is not found."""
    with svc.unit() as uow:
        return _visible(uow, who, user_id)


def _visible(uow: UnitOfWork, who: Principal, user_id: int) -> UserView:
    if user_id != who.user_id and not who.has("operator"):
        raise NotFound("user", user_id)
    return _user(uow, user_id)


def first_operator(svc: Services, name: str, email: str, label: str = "bootstrap") -> str:
    """Create an operator with a token (the first account of a fresh install); returns
    the token secret, which is shown once."""
    with svc.unit() as uow:
        user = uow.people.create_user(name, email, svc.clock())
        uow.people.grant_role(user.id, "operator")
        _, secret = uow.people.create_token(user.id, svc.clock(), label=label)
        return secret


def _user(uow: UnitOfWork, user_id: int) -> UserView:
    return found(uow.people.get_user(user_id), "user", user_id)
