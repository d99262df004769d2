"""The local dispatcher with real processes (no mocks): output, exit codes, devices, stop,
and reconciliation after the dispatcher object is gone."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil
import pytest

from nacc.adapters.dispatch import local
from nacc.adapters.dispatch.contain import Containment
from nacc.adapters.dispatch.local import DispatchError, LocalDispatcher
from nacc.adapters.dispatch.local_devices import Devices
from nacc.adapters.dispatch.local_state import LOST, LOST_NOTE
from nacc.adapters.dispatch.procs import signal_group
from nacc.adapters.dispatch.registry import DispatchOptions, create_dispatcher, default_registry
from nacc.domain.errors import InputError, UnknownName
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code, Reason
from nacc.ports import Dispatcher, Launch, Observation, Outcome
from support.waiting import wait_until

POOL = Pool(PoolId("local-h100"), "local", "here", "H100", 2, 2, "local")


def spec(name: str, gpus: int = 1) -> JobSpec:
    return JobSpec(JobId(name), 0.0, gpus, JobClass.VISION, 1.0, "proj")


def start(d: LocalDispatcher, name: str, command: str | Sequence[str], gpus: int = 1) -> JobId:
    """Launch and wait for the launcher to have made the launch (the process exists)."""
    d.register(JobId(name), command)
    d.launch(Launch(spec(name, gpus), POOL, gpus, time.time(), 1.0, 0.0))
    d.flush()
    return JobId(name)


def wait_for(cond: Callable[[], bool], timeout: float = 30.0) -> None:
    wait_until(cond, timeout, every=0.02)


def poll_all(d: LocalDispatcher, *jobs: JobId) -> dict[JobId, Observation]:
    """Poll until every job in ``jobs`` was reported ended; each exactly once, after
    its start (reported once, if this dispatcher launched it) and not before it began."""
    seen: list[Observation] = []

    def reported() -> bool:
        seen.extend(d.poll(time.time()))
        return {o.job_id for o in seen if o.ended} >= set(jobs)

    wait_for(reported)
    ends = [o for o in seen if o.ended]
    assert sorted(o.job_id for o in ends) == sorted(jobs)
    starts = {o.job_id: (i, o) for i, o in enumerate(seen) if o.outcome is Outcome.STARTED}
    assert len(starts) == len(seen) - len(ends)  # nothing else, no start twice
    for i, end in enumerate(seen):
        if end.job_id in starts and end.ended:
            assert starts[end.job_id][0] < i and starts[end.job_id][1].at <= end.at
    return {o.job_id: o for o in ends}


def poll_until(d: LocalDispatcher, job: JobId) -> Observation:
    return poll_all(d, job)[job]


def alive(pid: int) -> bool:
    """Running and not a zombie (an orphan may wait for init to reap it)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def gated(then: str) -> str:
    """A job that runs until the test creates ``go`` in its directory (at most 60 s),
    then runs ``then``: the test, not a sleep, decides when it ends."""
    return f"i=0; while [ ! -e go ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; {then}"


def release(workdir: Path, job: str) -> None:
    (workdir / job / "work" / "go").touch()  # the job's own directory, its cwd


@pytest.fixture
def signals(monkeypatch: pytest.MonkeyPatch) -> list[signal.Signals]:
    """The signals the dispatcher sends to process groups, in order (they are still sent)."""
    sent: list[signal.Signals] = []

    def spy(pgid: int, sig: signal.Signals) -> None:
        sent.append(sig)
        signal_group(pgid, sig)

    monkeypatch.setattr(local, "signal_group", spy)
    return sent


def state(workdir: Path, job: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((workdir / job / "state.json").read_text())
    return data


@pytest.fixture
def disp(tmp_path: Path) -> LocalDispatcher:
    return LocalDispatcher({"local-h100": ["0", "1"]}, tmp_path, grace_s=0.5)


def test_job_output_is_logged_and_exit_zero_is_ok(disp: LocalDispatcher, tmp_path: Path) -> None:
    job = start(disp, "ok", "echo hello; echo oops >&2; echo $NACC_JOB_ID $NACC_POOL")
    obs = poll_until(disp, job)
    assert obs.ok and obs.exit_code == 0 and obs.reason is None
    log = (tmp_path / "ok" / "output.log").read_text()
    assert log.splitlines() == ["hello", "oops", "ok local-h100"]
    disp.flush()  # the launcher writes the end into state.json, off the caller's thread
    st = state(tmp_path, "ok")
    assert st["exit_code"] == 0 and st["ended"] == "exited" and st["pid"] == st["pgid"]
    assert disp.free_devices("local-h100") == ["0", "1"] and disp.running_jobs == []


def test_jobs_at_a_niceness_run_below_the_service(tmp_path: Path) -> None:
    """``NACC_JOB_NICE``: a tenant's CPU-bound job cannot take the cores the scheduler and
    the API need: the job, and what it forks before or after the renice, run at 10."""
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    d = LocalDispatcher({"local-h100": ["0", "1"]}, tmp_path, containment=Containment(nice=10))
    try:
        job = start(d, "nice", "nice; sh -c nice")
        assert poll_until(d, job).ok
        log = (tmp_path / "nice" / "output.log").read_text()
        assert log.split() == [str(max(10, ours))] * 2
    finally:
        d.close()


def test_jobs_keep_the_launchers_priority_by_default(disp: LocalDispatcher, tmp_path: Path) -> None:
    job = start(disp, "same", "nice")
    assert poll_until(disp, job).ok
    assert (tmp_path / "same" / "output.log").read_text().split() == [
        str(os.getpriority(os.PRIO_PROCESS, 0))
    ]


def test_a_niceness_out_of_range_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="nice must be 0-19, got 20"):
        Containment(nice=20)


def test_devices_are_handed_out_first_free_first_and_back_once(tmp_path: Path) -> None:
    d = Devices({"p": ["a", "b", "c", "d"]})
    assert d.take("p", 2) == ("a", "b") and d.take("p", 1) == ("c",)
    d.release("p", ["a"])
    d.release("p", ["a", "zz"])  # twice, and an id not of the pool: no effect
    assert d.free("p") == ["a", "d"] and d.take("p", 2) == ("a", "d")
    with pytest.raises(DispatchError, match=r"pool p has 0 free local devices \[\]"):
        d.take("p", 1)
    d.release("p", ["c", "b"])
    d.hold("p", ["b"])  # re-adopted after a restart
    assert d.free("p") == ["c"]
    with pytest.raises(UnknownName):
        d.take("q", 1)


def test_jobs_never_see_the_services_database_credentials(
    disp: LocalDispatcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NACC_DATABASE_URL", "postgresql://nacc:s3cret@db/nacc")
    monkeypatch.setenv("NACC_SCHEDULER_SETTINGS", '{"database_url": "s3cret"}')
    monkeypatch.setenv("PGPASSWORD", "s3cret")
    monkeypatch.setenv("LANG_OF_THE_USER", "kept")
    job = start(disp, "env", "env")
    assert poll_until(disp, job).ok
    seen = dict(
        line.split("=", 1)
        for line in (tmp_path / "env" / "output.log").read_text().splitlines()
        if "=" in line
    )
    assert "s3cret" not in str(seen) and seen["LANG_OF_THE_USER"] == "kept"
    assert seen["NACC_JOB_ID"] == "env" and seen["CUDA_VISIBLE_DEVICES"]


def test_nonzero_exit_is_a_failure_naming_the_code(disp: LocalDispatcher, tmp_path: Path) -> None:
    job = start(disp, "bad", ["sh", "-c", "exit 3"])
    obs = poll_until(disp, job)
    assert not obs.ok and obs.exit_code == 3
    disp.flush()
    assert state(tmp_path, "bad")["exit_code"] == 3
    assert (tmp_path / "bad" / "exit_code").read_text().strip() == "3"


def test_two_jobs_get_disjoint_devices(disp: LocalDispatcher, tmp_path: Path) -> None:
    cmd = 'echo "dev=$CUDA_VISIBLE_DEVICES type=$NACC_ACCELERATOR_TYPE"'  # held until polled
    a, b = start(disp, "a", cmd), start(disp, "b", cmd)
    with pytest.raises(DispatchError, match="0 free"):
        start(disp, "c", "true")
    poll_all(disp, a, b)
    devs = [(tmp_path / j / "output.log").read_text().strip() for j in (a, b)]
    assert sorted(devs) == ["dev=0 type=H100", "dev=1 type=H100"]
    both = start(disp, "both", "echo $CUDA_VISIBLE_DEVICES", gpus=2)
    poll_until(disp, both)
    assert (tmp_path / "both" / "output.log").read_text().strip() == "0,1"


def test_launch_errors_are_clear(disp: LocalDispatcher) -> None:
    with pytest.raises(DispatchError, match="no command registered"):
        disp.launch(Launch(spec("x"), POOL, 1, 0.0, 1.0, 0.0))
    other = Pool(PoolId("nowhere"), "local", "here", "H100", 1, 1, "local")
    disp.register(JobId("x"), "true")
    with pytest.raises(UnknownName, match="local-h100"):
        disp.launch(Launch(spec("x"), other, 1, 0.0, 1.0, 0.0))


def child_pid(workdir: Path, job: str) -> int:
    """The host pid of the job's first ``sleep`` (the job itself may sit in a PID
    namespace, where ``$!`` is not the host's pid)."""
    leader = psutil.Process(int(str(state(workdir, job)["pid"])))
    found: list[int] = []

    def sleeping() -> bool:
        found[:] = [p.pid for p in leader.children(recursive=True) if p.name() == "sleep"]
        return bool(found)

    wait_for(sleeping)
    return found[0]


def test_stop_kills_the_whole_process_group(
    disp: LocalDispatcher, tmp_path: Path, signals: list[signal.Signals]
) -> None:
    job = start(disp, "long", "sleep 60 & echo child=$!; sleep 60")
    child, leader = child_pid(tmp_path, "long"), int(str(state(tmp_path, "long")["pid"]))
    assert alive(child) and alive(leader)
    assert disp.stop(job, time.time()) is None
    assert signals == [signal.SIGTERM]  # SIGTERM was enough
    wait_for(lambda: not alive(child), 2.0)
    assert not alive(leader)
    assert disp.poll(time.time()) == [] and disp.free_devices("local-h100") == ["0", "1"]
    disp.flush()
    assert state(tmp_path, "long")["ended"] == "stopped"


def test_stop_escalates_to_sigkill_after_the_grace(
    disp: LocalDispatcher, tmp_path: Path, signals: list[signal.Signals]
) -> None:
    job = start(disp, "stubborn", "trap '' TERM; sleep 60 & echo child=$!; wait; sleep 60")
    child = child_pid(tmp_path, "stubborn")
    t0 = time.monotonic()
    disp.stop(job, time.time())
    assert signals == [signal.SIGTERM, signal.SIGKILL]
    assert time.monotonic() - t0 >= 0.5  # the grace was given (a busy machine only adds)
    wait_for(lambda: not alive(child), 2.0)


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_reconcile_after_the_dispatcher_is_gone(tmp_path: Path) -> None:
    old = LocalDispatcher({"local-h100": ["0", "1", "2"]}, tmp_path)
    live = start(old, "live", gated("exit 5"))
    done = start(old, "done", "exit 4")
    gone = start(old, "gone", "sleep 60")
    wait_for(lambda: (tmp_path / "done" / "exit_code").exists())
    os.killpg(int(str(state(tmp_path, "gone")["pgid"])), signal.SIGKILL)  # no exit code
    del old
    gc.collect()
    new = LocalDispatcher({"local-h100": ["0", "1", "2"]}, tmp_path)
    results = {r.job_id: r for r in new.reconcile(tmp_path, now=123.0)}
    assert {j: r.action for j, r in results.items()} == {
        live: "readopted",
        done: "finished",
        gone: "lost",
    }
    assert results[gone].note == LOST_NOTE and results[gone].observation is not None
    assert new.running_jobs == [live] and new.free_devices("local-h100") != ["0", "1", "2"]
    queued = {o.job_id: o for o in new.poll(200.0)}
    assert queued[done].at == 123.0 and not queued[done].ok and queued[done].exit_code == 4
    assert queued[gone] == Observation(gone, 123.0, Outcome.LOST, None, LOST)
    assert live not in queued
    release(tmp_path, "live")
    obs = poll_until(new, live)
    assert not obs.ok and obs.exit_code == 5
    assert obs.reason == Reason.of(Code.EXIT_CODE, exit_code=5)
    assert new.reconcile(tmp_path) == [] and new.free_devices("local-h100") == ["0", "1", "2"]


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_readopted_job_can_be_stopped(tmp_path: Path) -> None:
    old = LocalDispatcher({"local-h100": ["0", "1"]}, tmp_path, grace_s=0.5)
    start(old, "adopted", "sleep 60 & echo child=$!; sleep 60")
    child = child_pid(tmp_path, "adopted")
    del old
    new = LocalDispatcher({"local-h100": ["0", "1"]}, tmp_path, grace_s=0.5)
    assert [r.action for r in new.reconcile()] == ["readopted"]
    assert new.stop(JobId("adopted"), 1.0) is None
    wait_for(lambda: not alive(child), 2.0)
    assert new.poll(2.0) == [] and new.reconcile() == []


def test_registry_builds_local_and_lists_known_schemes(tmp_path: Path) -> None:
    d: Dispatcher = create_dispatcher(f"local://{tmp_path}", DispatchOptions({"p": ["0"]}))
    assert isinstance(d, LocalDispatcher) and "checkpoint" in d.unsupported
    with pytest.raises(UnknownName, match=r"local://"):
        create_dispatcher("nomad://head")


def test_registry_checks_a_url_without_building_anything(tmp_path: Path) -> None:
    registry = default_registry()
    assert registry.schemes() == ["k8s", "local", "slurm"]
    assert registry.check(f"local://{tmp_path / 'jobs'}").path == str(tmp_path / "jobs")
    assert not (tmp_path / "jobs").exists()
    with pytest.raises(UnknownName, match=r"'nomad://ctx'; known: k8s://, local://, slurm://"):
        registry.check("nomad://ctx")
    for bad, why in [("local:jobs", "SCHEME://"), ("local://host/x", "give no host"),
                     ("local:///x?y=1", "a directory only")]:  # fmt: skip
        with pytest.raises(InputError, match=why):
            registry.check(bad)


SERVICE = """
import os, sys, time
from pathlib import Path
from nacc.adapters.dispatch.local import LocalDispatcher
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.pools import Pool
from nacc.ports import Launch
d = LocalDispatcher({"p": ["0"]}, Path(sys.argv[1]))
d.register(JobId("orphan"), sys.argv[2])
spec = JobSpec(JobId("orphan"), 0.0, 1, JobClass.VISION, 1.0, "proj")
d.launch(Launch(spec, Pool(PoolId("p"), "l", "h", "H100", 1, 1, "local"), 1, 0.0, 1.0, 0.0))
d.flush()  # the launcher made the launch
os.kill(os.getpid(), 9)  # the service crashes
"""


def test_reconcile_readopts_a_job_whose_service_process_died(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", SERVICE, str(tmp_path), gated("exit 7")]
    crashed = subprocess.run(argv, check=False)
    assert crashed.returncode == -signal.SIGKILL
    new = LocalDispatcher({"p": ["0"]}, tmp_path)
    assert [r.action for r in new.reconcile()] == ["readopted"]
    assert new.free_devices("p") == []
    release(tmp_path, "orphan")
    obs = poll_until(new, JobId("orphan"))  # not our child: exit code read from its file
    assert obs.exit_code == 7 and obs.outcome is Outcome.FAILED and new.free_devices("p") == ["0"]
