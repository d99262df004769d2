"""Organisations, users, roles, tokens (operators), the audit log, and /me.

Revoking a role or a token takes effect at the caller's next request (the API's cache
of callers is emptied on commit)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from nacc.api import schemas
from nacc.api.bounds import NO_NUL, IdPath
from nacc.api.deps import CallerDep, LimitQ, OffsetQ, ServicesDep
from nacc.api.problems import LIST, READ, WRITE
from nacc.api.schemas_identity import AuditOut, TokenInfoOut
from nacc.domain.programs import Role
from nacc.ports.store_people import OrganisationView, TokenView, UserView
from nacc.service import audit
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


@router.delete(
    "/users/{user_id}/roles/{role}", status_code=status.HTTP_204_NO_CONTENT, responses=WRITE
)
def revoke_role(
    user_id: IdPath, role: Role, svc: ServicesDep, who: CallerDep,
    scope: Annotated[str, Query(max_length=200, pattern=NO_NUL,
                                description="'' = the global role")] = "",
) -> None:  # fmt: skip
    """Operators: take a role away; a role the user does not hold is not found."""
    use.revoke(svc, who, user_id, role.value, scope)


def _token(t: TokenView) -> TokenInfoOut:
    return TokenInfoOut(id=t.id, user_id=t.user_id, label=t.label, prefix=t.prefix,
                        created_at=t.created_at, expires_at=t.expires_at,
                        revoked_at=t.revoked_at)  # fmt: skip


@router.get("/users/{user_id}/tokens", responses=READ)
def list_tokens(user_id: IdPath, svc: ServicesDep, who: CallerDep) -> list[TokenInfoOut]:
    """The user themself or an operator: the user's tokens, without secrets."""
    return [_token(t) for t in use.list_tokens(svc, who, user_id)]


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=WRITE)
def revoke_token(token_id: IdPath, svc: ServicesDep, who: CallerDep) -> None:
    """Its owner or an operator: the token stops working at once (revoking twice is
    harmless); someone else's token is not found."""
    use.revoke_token(svc, who, token_id)


@router.get("/audit", responses=LIST)
def audit_log(
    svc: ServicesDep, who: CallerDep, limit: LimitQ = 50, offset: OffsetQ = 0,
    actor_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    action: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
) -> schemas.PageOut[AuditOut]:  # fmt: skip
    """Operators: privileged actions, newest first (who, what, on what, when, from where)."""
    page = audit.read(svc, who, limit, offset, actor_id, action)
    return schemas.page_of(page.items, page.total, limit, offset, lambda a: AuditOut(
        id=a.id, at=a.at, actor_id=a.actor_id, action=a.action, target=a.target,
        address=a.address, details=dict(a.details)))  # fmt: skip


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
