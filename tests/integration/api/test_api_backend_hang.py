"""A backend that never answers does not hold the scheduler: the live service (over
HTTP, SQLite) with a Slurm pool whose slurmrestd address is a socket that, once the
service has started, accepts and says nothing (``support.fault_proxy`` with no upstream:
slurmrestd while slurmctld is down),
with a client timeout of 10 minutes, and a local pool. The Slurm pool is listed first, so
the policy tries it first. Its poll runs off the step (``BackgroundPoll``): jobs submitted
to the service run and complete on the local pool, the one poll started stays out (no
second one piles up), the backend is down after ``backend_down_s``, and ``/healthz`` says
so. Without the background poll the first step would wait out the 10 minutes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from jobsetup import funded_project, submit_job, wait_job

from conftest import Api, live_app
from nacc.adapters.dispatch.background import BackgroundPoll
from nacc.bootstrap import Settings
from nacc.domain.reasons import Code
from support.fault_proxy import FaultProxy, fault_proxy
from support.fleets import write_fleet
from support.waiting import wait_until

SLURM_POOL, LOCAL_POOL = "kisti-h100", "local-h100"


def _scenario(tmp_path: Path, url: str) -> Path:
    site = {"site": "s1", "accelerator": "H100-SXM", "node_size": 8}
    pools = [{"id": SLURM_POOL, "count": 16, "backend": url, "engine": "slurm", **site},
             {"id": LOCAL_POOL, "count": 4, "engine": "local", **site}]  # fmt: skip
    return write_fleet(tmp_path, "hang", pools)


@pytest.fixture
def hanging(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Api, FaultProxy]]:
    monkeypatch.setenv("SLURM_JWT", "unused")  # no scontrol here: the socket never reads it
    with fault_proxy() as never:
        never.mode = "empty"  # it answered while the service started (recovery asks it)
        url = f"slurm://127.0.0.1:{never.port}?attempts=1&timeout=600"
        settings = Settings(database_url=sqlite_url,
                            workdir=tmp_path / "jobs", scenario=_scenario(tmp_path, url),
                            devices_per_pool=2, policy="fifo", tick_s=0.1, meter_s=0.5,
                            backend_down_s=1.0)  # fmt: skip
        with live_app(settings) as api:
            yield api, never


def test_local_jobs_run_while_a_backend_hangs_and_it_is_marked_down(
    hanging: tuple[Api, FaultProxy],
) -> None:
    api, never = hanging
    live = api.client.app.state.live  # type: ignore[attr-defined]
    backend = live.engine.dispatcher.for_pool(SLURM_POOL)
    assert isinstance(backend, BackgroundPoll)
    never.mode = "hang"  # from now on it accepts and says nothing
    wait_until(never.hanging, 30, "a poll to reach the silent socket")
    polls = backend.started
    f = funded_project(api.svc)
    ids = [submit_job(api, f.pi, f.project_id, command='echo "ran on $NACC_POOL"').json()["id"]
           for _ in range(3)]  # fmt: skip
    for job_id in ids:
        done = wait_job(api, f.pi, job_id, {"completed", "failed"}, timeout=60)
        assert done["state"] == "completed" and done["pool_id"] == LOCAL_POOL, done
    assert backend.started == polls and never.hanging() == 1  # one poll out, none piled up
    wait_until(lambda: api.client.get("/healthz").json()["backends_down"] == 1, 30,
               "the silent backend to be down in /healthz")  # fmt: skip
    (down,) = live.engine.dispatcher.down.values()
    assert "no answer to a poll" in down.error and down.pools == (SLURM_POOL,)
    with api.svc.unit() as uow:  # any job the policy tried there first waited, not failed
        codes = {e.reason.code for i in ids for e in uow.jobs.events(i) if e.reason is not None}
    assert Code.LAUNCH_FAILED not in codes, codes
