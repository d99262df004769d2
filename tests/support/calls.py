"""HTTP calls from a test to a real server it started (``nacc serve``, uvicorn in a
thread), with a generous timeout.

httpx's default timeout is 5 s; on two busy cores (two CPU-bound processes beside
``make test``) a real server took longer than that to answer a plain request, and the
test failed with ``ReadTimeout`` although nothing was wrong. The timeout only bounds a
failing run, so it is long. Polls that expect no answer yet (a server still starting)
keep their own short timeout and catch ``httpx.HTTPError``.
"""

from __future__ import annotations

from typing import Any

import httpx

ANSWER_S = 60.0
"""How long a test waits for one answer of a running server (a failing run only)."""


def get(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(url, timeout=ANSWER_S, **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(url, timeout=ANSWER_S, **kwargs)


def delete(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.delete(url, timeout=ANSWER_S, **kwargs)


def client(**kwargs: Any) -> httpx.Client:
    """A client whose every call waits up to ``ANSWER_S``."""
    return httpx.Client(timeout=ANSWER_S, **kwargs)
