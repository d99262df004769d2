"""FastAPI dependencies: the services object and the authenticated caller.

The caller is looked up by token hash; a hit is remembered for ``AUTH_CACHE_S`` seconds
(never past the token's own expiry) so a busy client does not cost two queries per
request. Every commit that changes roles or revokes a token in this process empties the
cache (``Services.on_roles_changed``); changes made by another process (a second server
on the same database) take effect within ``AUTH_CACHE_S``.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from nacc.domain.errors import Unauthorized
from nacc.domain.reasons import Code
from nacc.service.auth import Principal, authenticate, hash_token
from nacc.service.context import Services

AUTH_CACHE_S = 5.0


class PrincipalCache:
    """Token hash -> (principal, token expiry, remembered until)."""

    def __init__(self, ttl_s: float = AUTH_CACHE_S, size: int = 10_000) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[Principal, datetime | None, float]] = {}

    def get(self, key: str, now: datetime) -> Principal | None:
        with self._lock:
            row = self._rows.get(key)
        if row is None or row[2] < time.monotonic():
            return None
        if row[1] is not None and row[1] <= now:
            raise Unauthorized("unknown, revoked or expired token", code=Code.TOKEN_INVALID)
        return row[0]

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()

    def put(self, key: str, who: Principal, expires: datetime | None) -> None:
        with self._lock:
            if len(self._rows) >= self.size:
                self._rows.clear()
            self._rows[key] = (who, expires, time.monotonic() + self.ttl_s)


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


ServicesDep = Annotated[Services, Depends(services)]


def caller(
    request: Request, svc: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    cache: PrincipalCache = request.app.state.principals
    now = svc.clock()
    secret = authorization[7:].strip() if authorization and len(authorization) > 7 else ""
    key = hash_token(secret)
    who = cache.get(key, now) if secret else None
    if who is not None:
        return who
    who, expires = authenticate(svc, authorization, now)
    cache.put(key, who, expires)
    return who


CallerDep = Annotated[Principal, Depends(caller)]
LimitQ = Annotated[int, Query(ge=1, le=500, description="page size")]
OffsetQ = Annotated[int, Query(ge=0, le=2**31 - 1, description="rows to skip")]
