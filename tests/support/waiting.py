"""Waiting on a condition with a deadline: the one way tests let time pass.

A test never sleeps a fixed time and hopes something happened; it waits until what it
needs is true (or fails at the deadline, saying what it waited for). The deadline is
generous because it only bounds a failing run: a passing run waits only as long as the
condition takes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    check: Callable[[], T | None], timeout: float = 30.0, what: str = "", every: float = 0.05
) -> T:
    """The first truthy value ``check()`` returns, asked every ``every`` seconds;
    ``AssertionError`` naming ``what`` if none came within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (got := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")
        time.sleep(every)
    return got
