"""Launches off the caller's thread (real processes): the local dispatcher's launch
returns at once, its launcher process starts the job, and poll reports the real start
(then the end); a launch the launcher cannot make fails that job with the reason, never
charged; a stop before the launch was made cancels it; a launcher that dies fails the
launches it had not made and leaves the jobs it started watched.

The launcher is paused (SIGSTOP) where a test needs a launch to be still waiting: the
real process, held, not a double."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from nacc.adapters.dispatch.local import LocalDispatcher
from nacc.adapters.dispatch.local_launch import GONE, LauncherLink
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.lifecycle import TERMINAL, JobState
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code, Reason
from nacc.engine.engine import Engine
from nacc.ports import Launch, Observation, Outcome, Payload
from nacc.scheduling.policies.registry import builtin_policies
from support.doubles import TableRates
from support.waiting import wait_until

POOL = Pool(PoolId("local-h100"), "local", "here", "H100", 2, 2, "local")


def _spec(name: str) -> JobSpec:
    return JobSpec(JobId(name), 0.0, 1, JobClass.VISION, 60.0, "proj", time_limit_s=60.0)


def _launch(d: LocalDispatcher, name: str, command: str, workdir: str | None = None) -> JobId:
    payload = Payload(command=command, workdir=workdir)
    d.launch(Launch(_spec(name), POOL, 1, time.time(), 1.0, 0.0, payload))
    return JobId(name)


def _until(d: LocalDispatcher, job: JobId, ended: bool = True) -> list[Observation]:
    seen: list[Observation] = []

    def heard() -> bool:
        seen.extend(d.poll(time.time()))
        return any(o.job_id == job and (o.ended or not ended) for o in seen)

    wait_until(heard, 30, f"{job} to be reported")
    return seen


@contextmanager
def _held(d: LocalDispatcher) -> Iterator[int]:
    """The dispatcher's launcher paused: what is asked of it waits."""
    pid = d._launches.link("any").pid  # the only one
    os.kill(pid, signal.SIGSTOP)
    try:
        yield pid
    finally:
        if psutil.pid_exists(pid):
            os.kill(pid, signal.SIGCONT)


def _disp(tmp_path: Path) -> LocalDispatcher:
    return LocalDispatcher({"local-h100": ["0", "1"]}, tmp_path, grace_s=0.5, launchers=1)


def test_launch_returns_before_the_process_starts_and_poll_reports_the_real_start(
    tmp_path: Path,
) -> None:
    d = _disp(tmp_path)
    with _held(d):
        asked = time.time()
        job = _launch(d, "j", "echo hi")
        assert not (tmp_path / "j").exists()  # nothing done on this thread
        assert d.poll(time.time()) == [] and d.running_jobs == [job]
    seen = _until(d, job)
    assert [o.outcome for o in seen] == [Outcome.STARTED, Outcome.SUCCEEDED]
    assert asked <= seen[0].at <= seen[1].at
    assert (tmp_path / "j" / "output.log").read_text() == "hi\n"


def test_a_launch_the_launcher_cannot_make_fails_with_its_reason(tmp_path: Path) -> None:
    d = _disp(tmp_path)
    job = _launch(d, "nowhere", "true", workdir=str(tmp_path / "missing"))
    [obs] = _until(d, job)
    assert obs.outcome is Outcome.FAILED and obs.reason is not None
    assert obs.reason.code == Code.LAUNCH_FAILED
    assert "FileNotFoundError" in str(dict(obs.reason.params)["message"])
    assert d.free_devices("local-h100") == ["0", "1"] and d.running_jobs == []


def test_a_stop_before_the_launch_was_made_cancels_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = _disp(tmp_path)
    asked = threading.Event()
    real_cancel = LauncherLink.cancel

    def cancel(link: LauncherLink, seq: int) -> None:  # a spy: the cancel is still sent
        real_cancel(link, seq)
        asked.set()

    monkeypatch.setattr(LauncherLink, "cancel", cancel)
    with _held(d) as pid:
        job = _launch(d, "c", "touch ran")
        stopped: list[float | None] = []
        stopper = threading.Thread(target=lambda: stopped.append(d.stop(job, time.time())))
        stopper.start()  # the stop waits for the launcher's answer
        assert asked.wait(30)  # launch and cancel both wait in the pipe: resume it
        os.kill(pid, signal.SIGCONT)
        stopper.join(30)
    assert stopped == [None]
    d.flush()
    assert not (tmp_path / "c").exists()  # never launched, nothing left behind
    assert d.poll(time.time()) == [] and d.free_devices("local-h100") == ["0", "1"]


def test_a_launcher_that_dies_fails_its_unmade_launches_and_a_new_one_takes_over(
    tmp_path: Path,
) -> None:
    d = _disp(tmp_path)
    running = _launch(d, "running", "sleep 60")
    d.flush()
    with _held(d) as pid:
        waiting = _launch(d, "waiting", "true")
        os.kill(pid, signal.SIGKILL)
    seen = _until(d, waiting)
    why = Reason.of(Code.LAUNCH_FAILED, message=GONE)
    assert Observation(waiting, seen[-1].at, Outcome.FAILED, None, why) in seen
    assert running in d.running_jobs  # started before: watched through /proc
    after = _launch(d, "after", "echo again")
    assert _until(d, after)[-1].ok
    d.stop(running, time.time())
    assert d.free_devices("local-h100") == ["0", "1"]


def test_the_engine_charges_from_the_real_start_and_never_a_launch_that_failed(
    tmp_path: Path,
) -> None:
    d = _disp(tmp_path)
    eng = Engine([POOL], builtin_policies().create("fifo"), d, TableRates({"H100": 1.0}))
    decided = time.time() - 50.0  # the decision's clock: 50 s before the launch is made
    eng.submit(_spec("ok"), decided, Payload("true"))
    eng.submit(_spec("bad"), decided, Payload("true", workdir=str(tmp_path / "missing")))
    eng.tick(decided)
    ok, bad = eng.jobs[JobId("ok")], eng.jobs[JobId("bad")]
    assert ok.state is bad.state is JobState.RUNNING and ok.starting
    eng.meter_running(decided + 10)
    assert ok.credits == bad.credits == 0  # not metered before the start is heard

    def ended() -> bool:
        eng.tick(time.time(), decide=False)
        return ok.state in TERMINAL and bad.state in TERMINAL

    wait_until(ended, 30, "both jobs to end")
    assert ok.state is JobState.COMPLETED and ok.started_s >= decided + 50
    assert ok.credits < 5 / 3600  # from its real start: seconds, not the 50 s before it
    assert bad.state is JobState.FAILED and bad.credits == 0 and bad.attained_s == 0
    assert bad.reason.code == Code.LAUNCH_FAILED


def test_several_launchers_start_many_jobs_each_reported_started_then_ended(
    tmp_path: Path,
) -> None:
    d = LocalDispatcher({"local-h100": [str(i) for i in range(8)]}, tmp_path, launchers=3)
    jobs = [_launch(d, f"m{i}", f"echo {i}") for i in range(8)]
    seen: list[Observation] = []

    def all_ended() -> bool:
        seen.extend(d.poll(time.time()))
        return sum(o.ended for o in seen) == len(jobs)

    wait_until(all_ended, 60, "every job to end")
    for job in jobs:
        mine = [o.outcome for o in seen if o.job_id == job]
        assert mine == [Outcome.STARTED, Outcome.SUCCEEDED], (job, mine)
        assert (tmp_path / job / "output.log").read_text() == f"{job[1:]}\n"


def _launchers() -> set[int]:
    """This process's live launcher children (an exited one not yet reaped is gone)."""
    found = set()
    for p in psutil.Process().children(recursive=True):
        try:
            if p.status() != psutil.STATUS_ZOMBIE and "dispatch.launcher" in " ".join(p.cmdline()):
                found.add(p.pid)
        except psutil.Error:  # ended meanwhile
            continue
    return found


def test_closing_lets_the_launchers_go(tmp_path: Path) -> None:
    """Found by the testspeed review: every live app a test built left its two launcher
    processes behind (160 of them, 2.2 GB, mid-run); the live scheduler's stop now closes
    its dispatchers (Router.close -> LocalDispatcher.close); a launcher exits once the
    jobs it started have ended."""
    before = _launchers()
    d = LocalDispatcher({"local-h100": ["0", "1"]}, tmp_path, launchers=2)
    jobs = [_launch(d, "a", "true"), _launch(d, "b", "true")]
    seen: list[Observation] = []

    def ended() -> bool:
        seen.extend(d.poll(time.time()))
        return sum(o.ended for o in seen) == len(jobs)

    wait_until(ended, 60, "both jobs to end")
    mine = _launchers() - before
    assert mine, "the launches started no launcher"
    d.close()
    wait_until(lambda: not (_launchers() & mine), 60, "the launchers to exit")
