"""The per-token submission limit: a token bucket on an injected clock."""

from __future__ import annotations

import pytest

from nacc.api.ratelimit import RateLimited, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_off_by_default_refuses_nothing() -> None:
    limiter = RateLimiter()
    for _ in range(10_000):
        limiter.take("token:1")
    assert not limiter.enabled


def test_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(4.0, 2, clock=clock)
    limiter.take("a")
    limiter.take("a")
    with pytest.raises(RateLimited) as refused:
        limiter.take("a")
    assert refused.value.retry_after_s == 1  # 0.25 s, rounded up to whole seconds
    assert refused.value.params == {"retry_after_s": 1, "rate": "4"}
    limiter.take("b")  # another token, its own bucket
    clock.t += 0.25  # one more after a quarter second at 4/s
    limiter.take("a")
    with pytest.raises(RateLimited):
        limiter.take("a")
    clock.t += 60  # refills to the burst, never beyond it
    limiter.take("a")
    limiter.take("a")
    with pytest.raises(RateLimited):
        limiter.take("a")


def test_a_slow_rate_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(0.1, 1, clock=clock)
    limiter.take("a")
    with pytest.raises(RateLimited) as refused:
        limiter.take("a")
    assert refused.value.retry_after_s == 10
    assert "at most 0.1 per second" in str(refused.value)
