"""People: organisations, users, roles and API tokens (operator use cases)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from nacc.domain.errors import Forbidden, NotFound
from nacc.ports.pages import Page
from nacc.ports.store import UnitOfWork
from nacc.ports.store_people import OrganisationView, UserView
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
        return uow.people.create_organisation(
            name, kind, region, capital_area=capital_area, company_size=company_size
        )


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
        return user, roles


def list_users(svc: Services, who: Principal, limit: int, offset: int) -> Page[UserWithRoles]:
    require(who, "operator")
    with svc.unit() as uow:
        page = uow.people.list_users(limit, offset)
        items = [UserWithRoles(u, uow.people.roles_of(u.id)) for u in page.items]
        return Page(items, page.total, page.limit, page.offset)


def grant(svc: Services, who: Principal, user_id: int, role: str, scope: str) -> None:
    require(who, "operator")
    with svc.unit() as uow:
        _user(uow, user_id)
        uow.people.grant_role(user_id, role, scope)


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
        return NewToken(token.id, user_id, secret, expires.isoformat() if expires else None)


def roles_of(svc: Services, user_id: int) -> list[tuple[str, str]]:
    with svc.unit() as uow:
        return uow.people.roles_of(user_id)


def visible_user(svc: Services, who: Principal, user_id: int) -> UserView:
    if user_id != who.user_id and not who.has("operator"):
        raise Forbidden("only operators can see other users")
    with svc.unit() as uow:
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
