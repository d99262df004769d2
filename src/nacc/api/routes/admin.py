"""Organisations, users, roles, tokens (operators), and /me."""

from __future__ import annotations

from fastapi import APIRouter, status

from nacc.adapters.store import repos_people as people
from nacc.adapters.store.tables import Organisation
from nacc.api import schemas
from nacc.api.deps import CallerDep, LimitQ, OffsetQ, ServicesDep
from nacc.service import people as use
from nacc.service.auth import require

router = APIRouter(tags=["people"])


def _org(o: Organisation) -> schemas.OrganisationOut:
    return schemas.OrganisationOut(
        id=o.id,
        name=o.name,
        kind=o.kind,
        region=o.region,
        capital_area=o.capital_area,
        company_size=o.company_size,
    )


@router.post("/organisations", status_code=status.HTTP_201_CREATED)
def create_organisation(
    body: schemas.OrganisationIn, svc: ServicesDep, who: CallerDep
) -> schemas.OrganisationOut:
    org = use.add_organisation(
        svc, who, body.name, body.kind, body.region, body.capital_area, body.company_size
    )
    return _org(org)


@router.get("/organisations")
def list_organisations(
    svc: ServicesDep, who: CallerDep, limit: LimitQ = 50, offset: OffsetQ = 0
) -> schemas.PageOut[schemas.OrganisationOut]:
    with svc.tx() as s:
        page = people.list_organisations(s, limit, offset)
        return schemas.page_of(page.items, page.total, limit, offset, _org)


@router.post("/users", status_code=status.HTTP_201_CREATED)
def create_user(body: schemas.UserIn, svc: ServicesDep, who: CallerDep) -> schemas.UserOut:
    roles = [(r.role, r.scope) for r in body.roles]
    user, granted = use.add_user(svc, who, body.name, body.email, body.organisation_id, roles)
    return schemas.UserOut(
        id=user.id,
        name=user.name,
        email=user.email,
        organisation_id=user.organisation_id,
        roles=[schemas.RoleIn(role=r, scope=s) for r, s in granted],
    )


@router.get("/users")
def list_users(
    svc: ServicesDep, who: CallerDep, limit: LimitQ = 50, offset: OffsetQ = 0
) -> schemas.PageOut[schemas.UserOut]:
    require(who, "operator")
    with svc.tx() as s:
        page = people.list_users(s, limit, offset)
        out = [
            schemas.UserOut(
                id=u.id,
                name=u.name,
                email=u.email,
                organisation_id=u.organisation_id,
                roles=[
                    schemas.RoleIn(role=r.role, scope=r.scope) for r in people.roles_of(s, u.id)
                ],
            )
            for u in page.items
        ]
    return schemas.PageOut[schemas.UserOut](items=out, total=page.total, limit=limit, offset=offset)


@router.post("/users/{user_id}/roles", status_code=status.HTTP_204_NO_CONTENT)
def grant_role(user_id: int, body: schemas.RoleIn, svc: ServicesDep, who: CallerDep) -> None:
    use.grant(svc, who, user_id, body.role, body.scope)


@router.post("/users/{user_id}/tokens", status_code=status.HTTP_201_CREATED)
def create_token(
    user_id: int, body: schemas.TokenIn, svc: ServicesDep, who: CallerDep
) -> schemas.TokenOut:
    t = use.issue_token(svc, who, user_id, body.label, body.expires_in_s)
    return schemas.TokenOut(id=t.id, user_id=t.user_id, token=t.secret, expires_at=t.expires_at)


@router.get("/me")
def me(svc: ServicesDep, who: CallerDep) -> schemas.UserOut:
    user = use.visible_user(svc, who, who.user_id)
    return schemas.UserOut(
        id=user.id,
        name=user.name,
        email=user.email,
        organisation_id=user.organisation_id,
        roles=[schemas.RoleIn(role=r, scope=s) for r, s in sorted(who.roles)],
    )
