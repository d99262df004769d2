"""JWTs that stop working, against the real Slurm lab: a real token from ``scontrol token
lifespan=...`` that expires, and one slurmctld never issued. Polled through the router
(as the live service does): the poll fails with a clear error naming the JWT (Slurm 22.05
answers HTTP 500 ``Unspecified error``), the backend is counted failing and then down,
nothing raises out of the router; a fresh token written to the URL's ``token_file``
brings it back at the next poll, no restart. With the default source (``scontrol
token``, no file) a real expired token is replaced by a fresh one within the same call."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nacc.adapters.dispatch.slurm import SlurmDispatcher, parse_url
from nacc.adapters.dispatch.slurm_rest import FileToken, ScontrolToken, SlurmError, SlurmRest
from nacc.domain.errors import InputError
from nacc.domain.ids import PoolId
from nacc.engine.routing import Router
from support.slurm_lab import Lab
from support.waiting import wait_until

POOL = PoolId("kisti-h100")


def _token(lab: Lab, lifespan_s: int) -> str:
    out = lab.run("scontrol", "token", "username=root", f"lifespan={lifespan_s}").strip()
    return out.removeprefix("SLURM_JWT=")


def _failing(router: Router, now: Callable[[], float]) -> str | None:
    router.poll(now())
    return router.faults[0].error if router.faults else None


def test_an_expired_jwt_is_a_named_fault_then_down_and_a_fresh_file_recovers(
    make: Callable[..., SlurmDispatcher], slurm_lab: Lab, tmp_path: Path
) -> None:
    jwt = tmp_path / "slurm.jwt"
    jwt.write_text(_token(slurm_lab, 2) + "\n")
    d = make(token_file=str(jwt), attempts="1")
    router = Router({POOL: d}, down_after_s=0.5, probe_s=0.0)  # type: ignore[dict-item]
    router.poll(time.time())
    assert router.faults == []  # the token still works
    error = wait_until(lambda: _failing(router, time.time), 60, "the token to expire")
    assert "slurmrestd GET jobs: Unspecified error" in error and "rejecting the JWT" in error
    wait_until(lambda: _failing(router, time.time) and router.down_pools(), 30,
               "the backend to be down")  # fmt: skip
    jwt.write_text(_token(slurm_lab, 600))  # rotated by the site: no restart
    router.poll(time.time())
    assert router.faults == [] and [b.pools for b in router.came_back] == [(POOL,)]
    assert router.down_pools() == frozenset()


def test_a_jwt_slurmctld_never_issued_is_the_same_named_fault_and_a_file_fixes_it(
    make: Callable[..., SlurmDispatcher], slurm_lab: Lab, tmp_path: Path
) -> None:
    jwt = tmp_path / "slurm.jwt"
    jwt.write_text("eyJhbGciOiJIUzI1NiJ9.eyJzdW4iOiJyb290In0.not-signed-by-slurm")
    d = make(token_file=str(jwt), attempts="1")
    router = Router({POOL: d}, down_after_s=60.0, probe_s=0.0)  # type: ignore[dict-item]
    router.poll(time.time())
    (fault,) = router.faults
    assert "rejecting the JWT" in fault.error and fault.pools == (POOL,)
    jwt.write_text(f"SLURM_JWT={_token(slurm_lab, 600)}\n")  # as scontrol token prints it
    router.poll(time.time())
    assert router.faults == []


def test_the_default_source_replaces_a_real_expired_token_in_the_same_call(
    slurm_lab: Lab,
) -> None:
    source = ScontrolToken("root", lifespan_s=300)
    expired = _token(slurm_lab, 1)
    probe = SlurmRest(f"http://127.0.0.1:{slurm_lab.port}", token=expired, attempts=1)
    wait_until(lambda: _rejected(probe), 30, "the one-second token to expire")
    source._token, source._until = expired, time.monotonic() + 3600  # held, as if still good
    client = SlurmRest(f"http://127.0.0.1:{slurm_lab.port}", token=source, attempts=1)
    assert isinstance(client.jobs(), list)  # rejected once, fetched afresh, answered
    assert client.calls[("GET", "jobs")] == 2 and source._token != expired


def _rejected(client: SlurmRest) -> bool:
    try:
        client.jobs()
    except Exception as error:
        return "rejecting the JWT" in str(error)
    return False


def test_a_token_file_is_absolute_and_an_empty_one_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="token_file: an absolute path"):
        parse_url(urlsplit("slurm://head:6820?workdir=/abs&token_file=rel/jwt"))
    empty = tmp_path / "jwt"
    empty.write_text("\n")
    with pytest.raises(SlurmError, match=f"the Slurm JWT file {empty} is empty"):
        FileToken(empty)()
    with pytest.raises(SlurmError, match="cannot read the Slurm JWT from"):
        FileToken(tmp_path / "missing")()
