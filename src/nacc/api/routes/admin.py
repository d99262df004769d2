"""Organisations, users, roles, tokens (operators), and /me."""

from __future__ import annotations

from fastapi import APIRouter, status

from nacc.api import schemas
from nacc.api.bounds import IdPath
from nacc.api.deps import CallerDep, LimitQ, OffsetQ, ServicesDep
from nacc.api.problems import LIST, READ, WRITE
from nacc.domain.programs import Role
from nacc.ports.store_people import OrganisationView, UserView
from nacc.service import people as use

router = APIRouter(tags=["people"])


def _org(o: OrganisationView) -> schemas.OrganisationOut:
    return schemas.OrganisationOut(
        id=o.id,
        name=o.name,
        kind=o.kind,
        region=o.region,
        capital_area=o.capital_area,
        company_size=o.company_size,
    )


@router.post("/organisations", status_code=status.HTTP_201_CREATED, responses=WRITE)
def create_organisation(
    body: schemas.OrganisationIn, svc: ServicesDep, who: CallerDep
) -> schemas.OrganisationOut:
    org = use.add_organisation(
        svc,
        who,
        body.name,
        body.kind.value,
        body.region,
        body.capital_area,
        None if body.company_size is None else body.company_size.value,
    )
    return _org(org)


@router.get("/organisations", responses=LIST)
def list_organisations(
    svc: ServicesDep, who: CallerDep, limit: LimitQ = 50, offset: OffsetQ = 0
) -> schemas.PageOut[schemas.OrganisationOut]:
    page = use.list_organisations(svc, limit, offset)
    return schemas.page_of(page.items, page.total, limit, offset, _org)


def _user(user: UserView, roles: list[tuple[str, str]]) -> schemas.UserOut:
    return schemas.UserOut(
        id=user.id,
        name=user.name,
        email=user.email,
        organisation_id=user.organisation_id,
        roles=[schemas.RoleOut(role=Role(r), scope=s) for r, s in roles],
    )


@router.post("/users", status_code=status.HTTP_201_CREATED, responses=WRITE)
def create_user(body: schemas.UserIn, svc: ServicesDep, who: CallerDep) -> schemas.UserOut:
    roles = [(r.role.value, r.scope) for r in body.roles]
    user, granted = use.add_user(svc, who, body.name, body.email, body.organisation_id, roles)
    return _user(user, granted)


@router.get("/users", responses=LIST)
def list_users(
    svc: ServicesDep, who: CallerDep, limit: LimitQ = 50, offset: OffsetQ = 0
) -> schemas.PageOut[schemas.UserOut]:
    page = use.list_users(svc, who, limit, offset)
    return schemas.page_of(page.items, page.total, limit, offset, lambda u: _user(u.user, u.roles))


@router.post("/users/{user_id}/roles", status_code=status.HTTP_204_NO_CONTENT, responses=WRITE)
def grant_role(user_id: IdPath, body: schemas.RoleIn, svc: ServicesDep, who: CallerDep) -> None:
    use.grant(svc, who, user_id, body.role.value, body.scope)


@router.post("/users/{user_id}/tokens", status_code=status.HTTP_201_CREATED, responses=WRITE)
def create_token(
    user_id: IdPath, body: schemas.TokenIn, svc: ServicesDep, who: CallerDep
) -> schemas.TokenOut:
    t = use.issue_token(svc, who, user_id, body.label, body.expires_in_s)
    return schemas.TokenOut(id=t.id, user_id=t.user_id, token=t.secret, expires_at=t.expires_at)


@router.get("/me", responses=READ)
def me(svc: ServicesDep, who: CallerDep) -> schemas.UserOut:
    user = use.visible_user(svc, who, who.user_id)
    return _user(user, sorted(who.roles))
