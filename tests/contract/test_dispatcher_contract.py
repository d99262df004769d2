"""The Dispatcher contract: every backend passes these, simulated or real.

A harness gives each backend a way to run a job of about ``seconds`` and to let time
pass: the simulated one pops its event kernel, the local and Slurm ones sleep on the wall
clock (Slurm: a real slurmctld/slurmd/slurmrestd from ``support.slurm_lab``); the k8s one
runs against the FAKE Kubernetes API server (``support.fake_kube``), whose controller
plays Kueue and the kubelet at each step. A backend
whose launches queue (Slurm) may also report each job's ``STARTED`` once, before its end.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from nacc.adapters.dispatch.k8s import K8sDispatcher
from nacc.adapters.dispatch.k8s_config import parse_url as parse_k8s_url
from nacc.adapters.dispatch.local import LocalDispatcher
from nacc.adapters.dispatch.slurm import SlurmDispatcher, parse_url
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.pools import Pool
from nacc.ports import Dispatcher, Launch, Observation, Outcome
from nacc.sim.dispatcher import SimDispatcher
from nacc.sim.kernel import Kernel
from support.doubles import TableRates
from support.fake_kube import FakeKube, fake_kube
from support.slurm_lab import Lab

POOL = Pool(PoolId("gpu"), "prov", "site", "H100", 4, 4, "test")


class Harness(Protocol):
    @property
    def dispatcher(self) -> Dispatcher: ...
    @property
    def max_steps(self) -> int: ...

    def prepare(self, job: JobId, seconds: float) -> None: ...
    def advance(self) -> float: ...
    def now(self) -> float: ...
    def close(self) -> None: ...


@dataclass
class SimHarness:
    kernel: Kernel
    dispatcher: SimDispatcher
    max_steps: int = 50

    def prepare(self, job: JobId, seconds: float) -> None:
        pass  # the work is the run time: the table rate is 1 work unit per second

    def advance(self) -> float:
        if len(self.kernel):
            for kind, payload in self.kernel.pop_batch():
                if kind == "finish":
                    job_id, epoch = payload
                    self.dispatcher.on_finish(job_id, epoch, self.kernel.now)
        return self.kernel.now

    def now(self) -> float:
        return self.kernel.now

    def close(self) -> None:
        pass


class WallClockHarness:
    """A real backend on the wall clock: each step sleeps ``step_s`` then polls."""

    dispatcher: LocalDispatcher | SlurmDispatcher | K8sDispatcher
    step_s: float
    max_steps: int

    def prepare(self, job: JobId, seconds: float) -> None:
        self.dispatcher.register(job, ["sleep", str(seconds)])

    def advance(self) -> float:
        time.sleep(self.step_s)
        return time.time()

    def now(self) -> float:
        return time.time()

    def close(self) -> None:
        for job in self.dispatcher.running_jobs:
            self.dispatcher.stop(job, time.time())


@dataclass
class LocalHarness(WallClockHarness):
    dispatcher: LocalDispatcher
    step_s: float = 0.02
    max_steps: int = 1500  # x 20 ms: a 30 s bound on a failing run, not a passing one


@dataclass
class SlurmHarness(WallClockHarness):
    dispatcher: SlurmDispatcher
    step_s: float = 0.1
    max_steps: int = 1200  # x 100 ms: a failing run ends in two minutes, a passing one fast


@dataclass
class K8sHarness(WallClockHarness):
    dispatcher: K8sDispatcher
    kube: FakeKube
    step_s: float = 0.02
    max_steps: int = 1500

    def advance(self) -> float:
        self.kube.controller.tick()  # Kueue admits, the kubelet runs and ends `sleep N`
        return super().advance()


def slurm_dispatcher(lab: Lab, tag: str, workdir: Path) -> SlurmDispatcher:
    """A dispatcher on the lab whose jobs carry ``tag`` (unique per test: no test sees
    another's Slurm jobs, as two nacc services on one Slurm would not)."""
    from urllib.parse import urlsplit

    return SlurmDispatcher(parse_url(urlsplit(f"{lab.url}?tag={tag}&workdir={workdir}")))


@pytest.fixture(params=["sim", "local", "slurm", "k8s"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    h: Harness
    stack = ExitStack()
    if request.param == "k8s":
        kube = stack.enter_context(fake_kube(tmp_path))
        url = (f"k8s://fake?kubeconfig={kube.kubeconfig}&workdir={tmp_path / 'jobs'}"
               "&resource.gpu=nvidia.com/gpu")  # fmt: skip
        from urllib.parse import urlsplit

        h = K8sHarness(K8sDispatcher(parse_k8s_url(urlsplit(url))), kube)
    elif request.param == "slurm":
        lab: Lab = request.getfixturevalue("slurm_lab")
        tag = f"c{uuid.uuid4().hex[:10]}"
        tmp_path.chmod(0o755)
        h = SlurmHarness(slurm_dispatcher(lab, tag, tmp_path))
    elif request.param == "sim":
        kernel = Kernel()
        h = SimHarness(kernel, SimDispatcher(kernel, TableRates({"H100": 1.0})))
    else:
        devices = {"gpu": [str(i) for i in range(4)]}
        h = LocalHarness(LocalDispatcher(devices, tmp_path, grace_s=1.0))
    with stack:
        yield h
        h.close()


def launch(h: Harness, name: str, seconds: float, count: int = 1) -> JobId:
    job = JobId(name)
    h.prepare(job, seconds)
    spec = JobSpec(job, h.now(), count, JobClass.VISION, seconds, "proj")
    h.dispatcher.launch(Launch(spec, POOL, count, h.now(), seconds, 0.0))
    return job


def collect(h: Harness, until: set[JobId]) -> list[Observation]:
    """Advance and poll until every job in ``until`` was reported ended (or steps run
    out); the ends. A backend may report a job's real start (``STARTED``) first: once,
    before its end, never after it."""
    seen: list[Observation] = []
    for _ in range(h.max_steps):
        seen.extend(h.dispatcher.poll(h.advance()))
        if {o.job_id for o in seen if o.ended} >= until:
            break
    assert all(o.outcome is Outcome.STARTED for o in seen if not o.ended)
    starts = [o.job_id for o in seen if o.outcome is Outcome.STARTED]
    assert len(starts) == len(set(starts)), f"a start reported twice: {starts}"
    for o in seen:
        if o.outcome is Outcome.STARTED:
            ends = [e for e in seen if e.job_id == o.job_id and e.ended]
            assert all(e.at >= o.at for e in ends), f"{o.job_id} ended before it started"
            assert seen.index(o) < min((seen.index(e) for e in ends), default=len(seen))
    return [o for o in seen if o.ended]


def quiet(h: Harness, steps: int = 5) -> list[Observation]:
    """What a few more rounds of polling report (should be nothing)."""
    return [o for _ in range(steps) for o in h.dispatcher.poll(h.advance())]


def test_unsupported_is_data_with_reasons(harness: Harness) -> None:
    caps = harness.dispatcher.unsupported
    assert isinstance(caps, Mapping)
    assert all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in caps.items())


def test_poll_with_nothing_running_reports_nothing(harness: Harness) -> None:
    assert list(harness.dispatcher.poll(harness.now())) == []


def test_each_launched_job_is_reported_exactly_once(harness: Harness) -> None:
    t0 = harness.now()
    jobs = {launch(harness, "a", 0.1), launch(harness, "b", 0.2, count=2)}
    seen = collect(harness, jobs)
    assert sorted(o.job_id for o in seen) == sorted(jobs)
    assert all(o.ok and o.at >= t0 for o in seen)
    assert quiet(harness) == []


def test_a_stopped_job_is_never_reported(harness: Harness) -> None:
    long, short = launch(harness, "long", 30.0), launch(harness, "short", 0.1)
    done = harness.dispatcher.stop(long, harness.now())
    assert done is None or done >= 0.0
    seen = collect(harness, {short})
    assert [o.job_id for o in seen] == [short]
    assert quiet(harness) == []


def test_a_stopped_job_can_be_launched_again(harness: Harness) -> None:
    job = launch(harness, "again", 30.0, count=4)
    harness.dispatcher.stop(job, harness.now())
    launch(harness, "again", 0.1, count=4)  # all accelerators were freed by the stop
    seen = collect(harness, {job})
    assert [(o.job_id, o.ok) for o in seen] == [(job, True)]
    assert quiet(harness) == []


def test_a_job_that_ended_but_was_stopped_before_polling_is_not_reported(
    harness: Harness, request: pytest.FixtureRequest
) -> None:
    """A user's cancel can land between a job's end and the next poll (live service)."""
    job = launch(harness, "race", 0.05)
    for _ in range(10):
        harness.advance()  # it ends, but nobody polls yet
    harness.dispatcher.stop(job, harness.now())
    assert quiet(harness) == []
