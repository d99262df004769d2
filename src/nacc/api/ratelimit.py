"""A per-token rate limit on job submissions: a token bucket per API token.

``rate_per_s`` tokens refill each second up to ``burst``; a submission takes one. When
the bucket is empty the request is refused with 429, ``Retry-After`` (whole seconds,
rounded up) and a coded, bilingual problem+json (``rate_limited``). Off when
``rate_per_s`` is 0 (the default: ``NACC_SUBMIT_RATE_PER_S``, ``NACC_SUBMIT_BURST``).
Buckets are per process; the limit guards the service from one runaway client, it is
not an allocation (credits are).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from nacc import i18n
from nacc.api.lang import request_language
from nacc.api.problems import problem
from nacc.domain.errors import NaccError
from nacc.domain.reasons import Code

MAX_BUCKETS = 100_000


class RateLimited(NaccError):
    """Too many requests from one token; ``retry_after_s`` says when one will pass."""

    code = Code.RATE_LIMITED

    def __init__(self, retry_after_s: float, rate: float) -> None:
        wait = max(1, math.ceil(retry_after_s))
        super().__init__(
            f"too many submissions with this token (at most {rate:g} per second); "
            f"retry in {wait} s",
            params={"retry_after_s": wait, "rate": f"{rate:g}"},
        )
        self.retry_after_s = wait


class RateLimiter:
    """Token buckets by key (a token's hash); ``clock`` is monotonic seconds."""

    def __init__(
        self, rate_per_s: float = 0.0, burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.rate = rate_per_s
        self.burst = float(burst if burst is not None else max(1, math.ceil(rate_per_s)))
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (level, at)

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str) -> None:
        """Take one from ``key``'s bucket, or raise ``RateLimited``."""
        if not self.enabled:
            return
        now = self.clock()
        with self._lock:
            level, at = self._buckets.get(key, (self.burst, now))
            level = min(self.burst, level + (now - at) * self.rate)
            if level < 1.0:
                self._buckets[key] = (level, now)
                raise RateLimited((1.0 - level) / self.rate, self.rate)
            if len(self._buckets) >= MAX_BUCKETS and key not in self._buckets:
                self._buckets.clear()  # a full table forgets everyone: never refuses more
            self._buckets[key] = (level - 1.0, now)


def install(app: FastAPI) -> None:
    """Answer ``RateLimited`` with 429, ``Retry-After`` and a problem in the caller's
    language (the handler of a subclass wins over ``NaccError``'s)."""

    async def rate_limited(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RateLimited)
        lang = request_language(request)
        reason = exc.reason
        title = i18n.title(reason, lang)
        detail = str(exc) if lang == i18n.DEFAULT_LANGUAGE else i18n.message(reason, lang)
        response = problem(429, "rate-limited", title, detail or str(exc), code=exc.code,
                           params=exc.params)  # fmt: skip
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

    app.add_exception_handler(RateLimited, rate_limited)
