"""Who is calling, and may they? Tokens are looked up by hash; roles may be scoped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from nacc.adapters.store import repos_people as people
from nacc.domain.errors import Forbidden, Unauthorized
from nacc.domain.reasons import Code


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    name: str
    organisation_id: int | None
    roles: frozenset[tuple[str, str]]  # (role, scope); scope "" = everywhere

    def has(self, role: str, scope: str = "") -> bool:
        return (role, "") in self.roles or (scope != "" and (role, scope) in self.roles)


def authenticate(session: Session, header: str | None, now: datetime) -> Principal:
    """The caller of a request carrying ``Authorization: Bearer <token>``."""
    if not header or not header.lower().startswith("bearer "):
        raise Unauthorized(
            "missing bearer token (Authorization: Bearer <token>)", code=Code.TOKEN_MISSING
        )
    token = people.active_token(session, header[7:].strip(), now)
    if token is None:
        raise Unauthorized("unknown, revoked or expired token", code=Code.TOKEN_INVALID)
    user = people.get_user(session, token.user_id)
    if user is None:
        raise Unauthorized("the token's user no longer exists", code=Code.TOKEN_USER_GONE)
    roles = frozenset((r.role, r.scope) for r in people.roles_of(session, user.id))
    return Principal(user.id, user.name, user.organisation_id, roles)


def require(who: Principal, *roles: str, scope: str = "") -> None:
    """Refuse unless ``who`` holds one of ``roles`` (globally or for ``scope``)."""
    if not any(who.has(role, scope) for role in roles):
        needed = " or ".join(roles)
        where = f" for {scope}" if scope else ""
        code = Code.ROLE_REQUIRED_FOR if scope else Code.ROLE_REQUIRED
        params = {"roles": needed, "name": who.name} | ({"scope": scope} if scope else {})
        raise Forbidden(f"needs role {needed}{where}; {who.name} has none of them",
                        code=code, params=params)  # fmt: skip
