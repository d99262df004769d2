"""Who is calling, and may they? Tokens are looked up by hash; roles may be scoped.

Only the ``Bearer`` scheme is accepted (case-insensitive, as RFC 9110 allows), on every
request: a cached caller is found by the secret *after* the scheme was checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nacc.domain.errors import Forbidden, Unauthorized
from nacc.domain.reasons import Code
from nacc.ports.store_people import hash_token
from nacc.service.context import Services

__all__ = ["Principal", "authenticate", "bearer_secret", "hash_token", "require"]


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    name: str
    organisation_id: int | None
    roles: frozenset[tuple[str, str]]  # (role, scope); scope "" = everywhere
    token_id: int | None = None  # the token this request came with
    address: str = ""  # where the request came from (the audit log keeps it)

    def has(self, role: str, scope: str = "") -> bool:
        return (role, "") in self.roles or (scope != "" and (role, scope) in self.roles)


def bearer_secret(header: str | None) -> str:
    """The token secret of an ``Authorization: Bearer <token>`` header."""
    if not header or not header[:7].lower() == "bearer " or not header[7:].strip():
        raise Unauthorized(
            "missing bearer token (Authorization: Bearer <token>)", code=Code.TOKEN_MISSING
        )
    return header[7:].strip()


def authenticate(
    svc: Services, header: str | None, now: datetime
) -> tuple[Principal, datetime | None]:
    """The caller of a request carrying ``Authorization: Bearer <token>``, and when the
    token expires (None: never)."""
    key = hash_token(bearer_secret(header))
    with svc.unit() as uow:
        holder = uow.people.token_holder(key, now)
    if holder is None:
        raise Unauthorized("unknown, revoked or expired token", code=Code.TOKEN_INVALID)
    who = Principal(holder.user_id, holder.name, holder.organisation_id, holder.roles,
                    token_id=holder.token_id)  # fmt: skip
    return who, holder.expires_at


def require(who: Principal, *roles: str, scope: str = "") -> None:
    """Refuse unless ``who`` holds one of ``roles`` (globally or for ``scope``)."""
    if not any(who.has(role, scope) for role in roles):
        needed = " or ".join(roles)
        where = f" for {scope}" if scope else ""
        code = Code.ROLE_REQUIRED_FOR if scope else Code.ROLE_REQUIRED
        params = {"roles": needed, "name": who.name} | ({"scope": scope} if scope else {})
        raise Forbidden(f"needs role {needed}{where}; {who.name} has none of them",
                        code=code, params=params)  # fmt: skip
