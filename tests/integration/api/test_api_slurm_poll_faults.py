"""slurmrestd answering 5xx and timing out during polls, against the real Slurm lab, over
HTTP (SQLite): between the service and slurmrestd sits a **fault injector** written for
this test (``support.fault_proxy``: a small HTTP proxy that forwards, or answers 500 / 502,
or holds a request without answering). The faults are injected on polls (``GET``); submits
and cancels pass. With one nacc job running in Slurm: polls answered 500, then 502
(retried by the client), then not answered at all. The scheduler keeps stepping (a job
submitted meanwhile runs on the local pool), the Slurm job is not lost, the backend is
down after ``backend_down_s`` as designed (``/healthz``); once the proxy forwards again
it is up, the Slurm job completes there once, with one end event, charged from Slurm's
times, and the ledger verifies. And a partition Slurm rejects: that job fails with
Slurm's message as the coded reason ``launch_failed{message}``, the scheduler goes on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from jobsetup import funded_project, submit_job, wait_job

from conftest import Api, live_app
from nacc.adapters.store import repos_ledger
from nacc.bootstrap import Settings
from nacc.domain.reasons import Code
from nacc.service.reports import verify_ledger
from support.fault_proxy import FaultProxy, fault_proxy
from support.fleets import write_fleet
from support.slurm_lab import Lab
from support.waiting import wait_until

SLURM_POOL, LOCAL_POOL = "kisti-h100", "local-h100"


def _scenario(tmp_path: Path, url: str) -> Path:
    site = {"site": "s1", "accelerator": "H100-SXM", "node_size": 8}
    pools = [{"id": SLURM_POOL, "count": 16, "backend": url, "engine": "slurm", **site},
             {"id": LOCAL_POOL, "count": 4, "engine": "local", **site}]  # fmt: skip
    return write_fleet(tmp_path, "poll-faults", pools)


@contextmanager
def _serving(tmp_path: Path, url: str) -> Iterator[Api]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'nacc.db'}",
                        workdir=tmp_path / "jobs", scenario=_scenario(tmp_path, url),
                        devices_per_pool=2, policy="fifo", tick_s=0.1, meter_s=0.5,
                        backend_down_s=3.0)  # fmt: skip
    with live_app(settings) as api:
        yield api


@pytest.fixture
def injected(tmp_path: Path, slurm_lab: Lab) -> Iterator[tuple[Api, FaultProxy, str]]:
    tag = f"pf{uuid.uuid4().hex[:8]}"
    with fault_proxy(f"http://127.0.0.1:{slurm_lab.port}") as proxy:
        proxy.only = {"GET"}
        url = (f"slurm://127.0.0.1:{proxy.port}?tag={tag}&gres.{SLURM_POOL}=h100"
               "&attempts=2&timeout=2")  # fmt: skip
        with _serving(tmp_path, url) as api:
            yield api, proxy, tag


def _slurm_states(lab: Lab, comment: str) -> list[str]:
    rows = lab.run("squeue", "-h", "-t", "all", "-o", "%k %T").splitlines()
    return [state for c, state in (r.split() for r in rows) if c == comment]


def _injected(proxy: FaultProxy, mode: str) -> int:
    return sum(n for (m, method, _), n in proxy.seen.items() if m == mode and method == "GET")


def test_5xx_and_silent_polls_keep_the_scheduler_going_and_lose_or_double_nothing(
    injected: tuple[Api, FaultProxy, str], slurm_lab: Lab
) -> None:
    api, proxy, tag = injected
    live = api.client.app.state.live  # type: ignore[attr-defined]
    f = funded_project(api.svc, credits=Decimal(1000))
    a = submit_job(api, f.pi, f.project_id, command="sleep 12; echo a", accelerators=2).json()
    comment = f"nacc:{tag}:{a['id']}"
    wait_until(lambda: _slurm_states(slurm_lab, comment) == ["RUNNING"], 60, "Slurm to run A")

    def started() -> bool:
        return a["id"] in live.engine.running and not live.engine.running[a["id"]].starting

    wait_until(started, 30, "nacc to see A start")
    # --- faults on the polls --------------------------------------------------------------
    for mode, polls in ((500, 3), (502, 4)):  # 502 is retried by the client (2 attempts)
        proxy.mode = mode
        before = _injected(proxy, str(mode))
        wait_until(lambda m=mode, b=before, n=polls: _injected(proxy, str(m)) >= b + n, 30,
                   f"polls answered {mode}")  # fmt: skip
        assert a["id"] in live.engine.running  # not lost, not ended
    proxy.mode = "hang"
    wait_until(lambda: api.client.get("/healthz").json()["backends_down"] == 1, 60,
               "the backend to be down after backend_down_s")  # fmt: skip
    b = submit_job(api, f.pi, f.project_id, command='echo "b on $NACC_POOL"', accelerators=2)
    done = wait_job(api, f.pi, b.json()["id"], {"completed", "failed"}, timeout=60)
    assert done["state"] == "completed" and done["pool_id"] == LOCAL_POOL, done  # still steps
    assert live.engine.jobs[a["id"]].pool_id == SLURM_POOL  # never started a second time
    # --- answers come back ----------------------------------------------------------------
    proxy.mode = "pass"
    wait_until(lambda: api.client.get("/healthz").json()["backends_down"] == 0, 60,
               "the backend to answer again")  # fmt: skip
    ended = wait_job(api, f.pi, a["id"], {"completed", "failed"}, timeout=60)
    assert ended["state"] == "completed" and ended["pool_id"] == SLURM_POOL, ended
    assert _slurm_states(slurm_lab, comment) == ["COMPLETED"]
    with api.svc.unit() as uow:
        ends = [
            e
            for e in uow.jobs.events(a["id"])
            if getattr(e.dst, "value", e.dst) in ("completed", "failed")
        ]
    assert len(ends) == 1, ends
    with api.svc.tx() as s:
        metered = repos_ledger.metered_by_job(s)
    assert metered[a["id"]] > 0
    report = verify_ledger(api.svc)
    assert report.ok, report.lines()


def test_a_partition_slurm_rejects_fails_the_job_with_slurms_message_as_a_coded_reason(
    tmp_path: Path, slurm_lab: Lab
) -> None:
    tag = f"pr{uuid.uuid4().hex[:8]}"
    url = f"{slurm_lab.url}?tag={tag}&gres.{SLURM_POOL}=h100&partition.{SLURM_POOL}=nosuch"
    with _serving(tmp_path, url) as api:
        f = funded_project(api.svc)
        jid = submit_job(api, f.pi, f.project_id, command="true", accelerators=2).json()["id"]
        other = submit_job(api, f.pi, f.project_id, command="true", accelerators=2,
                           accelerator_types=["H100-SXM"]).json()["id"]  # fmt: skip
        done = wait_job(api, f.pi, jid, {"completed", "failed"}, timeout=60)
        assert done["state"] == "failed" and done["reason_code"] == Code.LAUNCH_FAILED, done
        assert "Invalid partition name specified" in done["reason_params"]["message"], done
        assert "Invalid partition name specified" in done["reason"], done
        assert wait_job(api, f.pi, other, {"completed", "failed"}, timeout=60)["state"] in (
            "completed",
            "failed",
        )  # the scheduler goes on
