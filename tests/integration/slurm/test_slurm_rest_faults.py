"""The REST client's faults, caused for real: slurmrestd not listening (retried with
backoff, then a clear error; a submit is never blind-retried after it was sent), a JWT
slurmrestd rejects (Slurm 22.05 answers HTTP 500 with a generic error: the message says a
JWT may be why), and a token that went stale (refreshed once, the call goes through)."""

from __future__ import annotations

import socket
import time

import pytest

from nacc.adapters.dispatch.slurm_rest import (
    ScontrolToken,
    SlurmError,
    SlurmRest,
    _urllib_transport,
)
from support.slurm_lab import Lab


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_slurmrestd_is_retried_with_backoff_then_named() -> None:
    port = closed_port()
    client = SlurmRest(f"http://127.0.0.1:{port}", token="unused", attempts=3, backoff_s=0.05)
    t0 = time.monotonic()
    with pytest.raises(SlurmError, match=f"cannot reach slurmrestd at http://127.0.0.1:{port}"):
        client.jobs()
    assert client.calls[("GET", "jobs")] == 3
    assert time.monotonic() - t0 >= 0.05 + 0.1  # it waited between tries (0.05, then 0.1)
    with pytest.raises(SlurmError) as info:  # never sent: retried, and says so
        client.submit("#!/bin/sh\ntrue\n", {"name": "x"})
    assert info.value.sent is False and client.calls[("POST", "job/submit")] == 3


def test_a_token_slurmrestd_rejects_is_an_error_that_names_the_jwt(slurm_lab: Lab) -> None:
    base = f"http://127.0.0.1:{slurm_lab.port}"
    client = SlurmRest(base, token="not-a-jwt", attempts=2, backoff_s=0.01)
    with pytest.raises(SlurmError) as info:
        client.jobs()
    assert info.value.status == 500 and "slurmrestd GET jobs: Unspecified error" in str(info.value)
    assert "rejecting the JWT" in str(info.value) and "user root" in str(info.value)
    assert client.calls[("GET", "jobs")] == 1  # a fixed token: nothing fresher to try
    with pytest.raises(SlurmError, match=r"Zero Bytes .* rejecting the JWT"):
        client.submit("#!/bin/sh\ntrue\n", {"environment": {"A": "b"},
                                              "current_working_directory": "/tmp"})  # fmt: skip


def test_a_stale_token_is_refreshed_and_the_call_goes_through(slurm_lab: Lab) -> None:
    real = ScontrolToken("root", lifespan_s=300)
    handed: list[bool] = []

    def token(fresh: bool = False) -> str:
        handed.append(fresh)
        return real(fresh=True) if fresh else "expired.jwt.value"

    client = SlurmRest(f"http://127.0.0.1:{slurm_lab.port}", token=token)
    assert client.ping().get("pings")
    assert handed == [False, True]


def test_the_urllib_fallback_speaks_to_slurmrestd_too(slurm_lab: Lab) -> None:
    """Where httpx is not installed the client uses urllib: the same answers."""
    base = f"http://127.0.0.1:{slurm_lab.port}"
    client = SlurmRest(base, transport=_urllib_transport())
    assert client.ping().get("pings")
    assert isinstance(client.jobs(), list)
    with pytest.raises(SlurmError, match="rejecting the JWT"):
        SlurmRest(base, token="bad", transport=_urllib_transport()).jobs()
    closed = SlurmRest(f"http://127.0.0.1:{closed_port()}", token="x", attempts=2,
                       backoff_s=0.01, transport=_urllib_transport())  # fmt: skip
    with pytest.raises(SlurmError, match="cannot reach slurmrestd") as info:
        closed.submit("#!/bin/sh\ntrue\n", {})
    assert info.value.sent is False
