"""People: organisations, users, roles and API tokens (operator use cases)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from nacc.adapters.store import repos_people as people
from nacc.adapters.store.tables import Organisation, User
from nacc.domain.errors import Forbidden, NotFound
from nacc.service.auth import Principal, require
from nacc.service.context import Services, found


@dataclass(frozen=True, slots=True)
class NewToken:
    id: int
    user_id: int
    secret: str
    expires_at: str | None


def add_organisation(
    svc: Services,
    who: Principal,
    name: str,
    kind: str,
    region: str,
    capital_area: bool,
    company_size: str | None,
) -> Organisation:
    require(who, "operator")
    with svc.tx() as s:
        org = people.create_organisation(
            s, name, kind, region, capital_area=capital_area, company_size=company_size
        )
        s.flush()
        s.expunge(org)
        return org


def add_user(
    svc: Services,
    who: Principal,
    name: str,
    email: str,
    organisation_id: int | None,
    roles: list[tuple[str, str]],
) -> tuple[User, list[tuple[str, str]]]:
    require(who, "operator")
    with svc.tx() as s:
        if organisation_id is not None and people.get_organisation(s, organisation_id) is None:
            raise NotFound("organisation", organisation_id)
        user = people.create_user(s, name, email, svc.clock(), organisation_id)
        s.flush()
        for role, scope in roles:
            people.grant_role(s, user.id, role, scope)
        s.expunge(user)
        return user, roles


def grant(svc: Services, who: Principal, user_id: int, role: str, scope: str) -> None:
    require(who, "operator")
    with svc.tx() as s:
        _user(s, user_id)
        people.grant_role(s, user_id, role, scope)


def issue_token(
    svc: Services, who: Principal, user_id: int, label: str, expires_in_s: int | None
) -> NewToken:
    """Operators issue tokens for anyone; a user may issue more tokens for themself."""
    if user_id != who.user_id:
        require(who, "operator")
    now = svc.clock()
    expires = now + timedelta(seconds=expires_in_s) if expires_in_s else None
    with svc.tx() as s:
        _user(s, user_id)
        token, secret = people.create_api_token(s, user_id, now, expires_at=expires, label=label)
        s.flush()
        return NewToken(token.id, user_id, secret, expires.isoformat() if expires else None)


def roles_of(svc: Services, user_id: int) -> list[tuple[str, str]]:
    with svc.tx() as s:
        return [(r.role, r.scope) for r in people.roles_of(s, user_id)]


def visible_user(svc: Services, who: Principal, user_id: int) -> User:
    if user_id != who.user_id and not who.has("operator"):
        raise Forbidden("only operators can see other users")
    with svc.tx() as s:
        user = _user(s, user_id)
        s.expunge(user)
        return user


def _user(s: Session, user_id: int) -> User:
    return found(people.get_user(s, user_id), "user", user_id)
