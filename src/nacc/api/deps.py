"""FastAPI dependencies: the services object, the authenticated caller, the submission
rate limit.

Every request's ``Authorization`` header is checked for the ``Bearer`` scheme first;
only then is its secret looked up. A hit is remembered for ``AUTH_CACHE_S`` seconds
(never past the token's own expiry) so a busy client does not cost two queries per
request. Every commit that changes roles or revokes a token, in any process on the same
database, bumps the store's revocation generation (``Store.auth_generation``) in the
same transaction; each request reads it first (one small query, no lock) and empties
this process's cache when it moved. Every such commit in this process also empties the
cache at once (``Services.on_roles_changed``). Either way the cache's own generation
moves, so a lookup that raced with the revocation is not remembered: a revoked token or
role fails at the very next request, in every API process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from nacc.api.ratelimit import RateLimiter
from nacc.domain.errors import Unauthorized
from nacc.domain.reasons import Code
from nacc.service.auth import Principal, authenticate, bearer_secret, hash_token
from nacc.service.context import Services

AUTH_CACHE_S = 5.0


class PrincipalCache:
    """Token hash -> (principal, token expiry, remembered until)."""

    def __init__(self, ttl_s: float = AUTH_CACHE_S, size: int = 10_000) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[Principal, datetime | None, float]] = {}
        self.generation = 0
        self.stored = -1  # the store's revocation generation the rows were filled under

    def sync(self, stored: int) -> None:
        """Forget every caller if the store's revocation generation is not the one the
        cache was filled under (a role or token changed, in any process)."""
        with self._lock:
            if stored != self.stored:
                self.stored = stored
                self._rows.clear()
                self.generation += 1

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
            self.generation += 1

    def put(self, key: str, who: Principal, expires: datetime | None, generation: int) -> None:
        """Remember ``who`` unless the cache was cleared since ``generation`` was read."""
        with self._lock:
            if generation != self.generation:
                return
            if len(self._rows) >= self.size:
                self._rows.clear()
            self._rows[key] = (who, expires, time.monotonic() + self.ttl_s)


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


async def _services(request: Request) -> Services:
    """``services`` as a dependency: ``async`` because it does no IO, so FastAPI calls it
    on the event loop instead of handing it to a worker thread (a thread hop costs about
    as much CPU as the lookup of a cached caller)."""
    return services(request)


ServicesDep = Annotated[Services, Depends(_services)]


def caller(
    request: Request, svc: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    cache: PrincipalCache = request.app.state.principals
    now = svc.clock()
    key = hash_token(bearer_secret(authorization))  # the scheme, on every request
    cache.sync(svc.auth_generation())  # a revocation by any process counts at once
    who = cache.get(key, now)
    if who is None:
        generation = cache.generation
        who, expires = authenticate(svc, authorization, now)
        cache.put(key, who, expires, generation)
    address = request.client.host if request.client else ""
    return replace(who, address=address)


CallerDep = Annotated[Principal, Depends(caller)]


async def submit_allowed(request: Request, who: CallerDep) -> Principal:
    """The caller, if their token may submit one more job now (else 429); in memory, so
    on the event loop (no worker thread)."""
    limiter: RateLimiter = request.app.state.submit_limiter
    limiter.take(f"token:{who.token_id}" if who.token_id is not None else f"user:{who.user_id}")
    return who


SubmitterDep = Annotated[Principal, Depends(submit_allowed)]
LimitQ = Annotated[int, Query(ge=1, le=500, description="page size")]
OffsetQ = Annotated[int, Query(ge=0, le=2**31 - 1, description="rows to skip")]
