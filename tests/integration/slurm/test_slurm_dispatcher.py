"""The Slurm dispatcher against a real slurmctld, slurmd's and slurmrestd (JWT).

What Slurm itself says (``scontrol show job``, ``squeue``) is checked beside what the
dispatcher reports: the job's name/comment, partition, GRES, time limit, working folder,
environment and output; ends (exit code, signal, cancel outside nacc) with Slurm's times;
cancel; pending reasons; a submit Slurm refuses; no second job for one nacc id; and one
REST call per poll whatever the number of jobs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import pytest

from nacc.adapters.dispatch.slurm import SlurmDispatcher
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code
from nacc.ports import Launch, LaunchRefused, Observation, Outcome, Payload
from support.slurm_lab import Lab
from support.waiting import wait_until

POOL = Pool(PoolId("kisti-h100"), "kisti", "daejeon", "H100", 16, 8, "slurm")
Make = Callable[..., SlurmDispatcher]


def launch(d: SlurmDispatcher, name: str, command: str, count: int = 1,
           limit_s: float | None = None, **payload: object) -> JobId:  # fmt: skip
    job = JobId(name)
    spec = JobSpec(job, time.time(), count, JobClass.VISION, 60.0, "proj", time_limit_s=limit_s)
    d.launch(Launch(spec, POOL, count, time.time(), 60.0, 0.0, Payload(command, **payload)))  # type: ignore[arg-type]
    return job


def ends(d: SlurmDispatcher, jobs: set[JobId], seen: list[Observation] | None = None,
         timeout: float = 60.0) -> dict[JobId, Observation]:  # fmt: skip
    """Poll until every job in ``jobs`` ended; their ends (every observation in ``seen``)."""
    seen = [] if seen is None else seen

    def done() -> bool:
        seen.extend(d.poll(time.time()))
        return {o.job_id for o in seen if o.ended} >= jobs

    wait_until(done, timeout, f"Slurm jobs {sorted(jobs)} to end", every=0.2)
    return {o.job_id: o for o in seen if o.ended}


def show(lab: Lab, d: SlurmDispatcher, job: JobId) -> dict[str, str]:
    """``scontrol show job`` of the job's Slurm id, as key=value pairs."""
    text = lab.run("scontrol", "-o", "show", "job", str(d.slurm_id(job)))
    return dict(p.split("=", 1) for p in text.split() if "=" in p)


def test_a_job_runs_in_slurm_as_asked_and_its_end_is_slurms(
    slurm_lab: Lab, make: Make, tmp_path: Path
) -> None:
    d = make()
    work = tmp_path / "cwd"
    work.mkdir(mode=0o755)
    t0 = time.time()
    command = 'echo "gpus=$CUDA_VISIBLE_DEVICES foo=$FOO id=$NACC_JOB_ID pwd=$(pwd)"; sleep 1'
    job = launch(d, "ok-1", command, count=2, limit_s=90.0, env={"FOO": "bar"},
                 workdir=str(work))  # fmt: skip
    info, sid = show(slurm_lab, d, job), d.slurm_id(job)
    assert info["JobName"] == f"{d.config.tag}.ok-1"
    assert info["Comment"] == f"nacc:{d.config.tag}:ok-1"
    assert info["Partition"] == "gpu"
    assert info["TimeLimit"] == "00:02:00"  # 90 s, rounded up to whole minutes
    assert "gres:gpu:h100:2" in info.get("TresPerNode", "")
    seen: list[Observation] = []
    end = ends(d, {job}, seen)[job]
    assert end.outcome is Outcome.SUCCEEDED and end.exit_code == 0
    starts = [o for o in seen if o.outcome is Outcome.STARTED]
    assert [o.job_id for o in starts] == [job]  # its start, once, before its end
    assert int(t0) <= starts[0].at <= end.at <= time.time()
    log = d.log_location(job)
    assert log == str(tmp_path / d.config.tag / "ok-1" / f"slurm-{sid}.out")
    text = Path(log).read_text()
    assert f"foo=bar id=ok-1 pwd={work}" in text
    assert re.search(r"gpus=\d+,\d+ ", text), text  # two of the node's GPUs, from Slurm
    assert d.poll(time.time()) == []


def test_failures_carry_the_exit_code_or_the_signal(make: Make) -> None:
    d = make()
    code, killed = launch(d, "exit-3", "exit 3"), launch(d, "killed", "kill -9 $$")
    got = ends(d, {code, killed})
    assert (got[code].outcome, got[code].exit_code) == (Outcome.FAILED, 3)
    assert got[code].reason is not None and got[code].reason.code == Code.EXIT_CODE
    assert got[killed].outcome is Outcome.FAILED
    assert got[killed].reason is not None and got[killed].reason.code == Code.KILLED_BY_SIGNAL
    assert got[killed].reason.get("signal") == 9


def test_stop_cancels_in_slurm_and_is_never_reported(slurm_lab: Lab, make: Make) -> None:
    d = make()
    job = launch(d, "long", "sleep 300")
    sid = d.slurm_id(job)
    wait_until(lambda: [o for o in d.poll(time.time()) if o.outcome is Outcome.STARTED], 30,
               "the job to start")  # fmt: skip
    assert d.stop(job, time.time()) is None
    state = lambda: slurm_lab.run("squeue", "-h", "-t", "all", "-j", str(sid), "-o", "%T").strip()  # noqa: E731
    wait_until(lambda: state() == "CANCELLED", 30, "Slurm to cancel it")
    assert [d.poll(time.time()) for _ in range(3)] == [[], [], []]
    with pytest.raises(Exception, match="running Slurm job"):
        d.stop(job, time.time())


def test_a_cancel_outside_nacc_ends_the_job_with_slurms_state(slurm_lab: Lab, make: Make) -> None:
    d = make()
    job = launch(d, "scancelled", "sleep 300")
    slurm_lab.run("scancel", str(d.slurm_id(job)))
    end = ends(d, {job})[job]
    assert end.outcome is Outcome.FAILED and end.reason is not None
    assert (end.reason.code, end.reason.get("state")) == (Code.SLURM_ENDED, "CANCELLED")


def test_pending_jobs_carry_slurms_reason(slurm_lab: Lab, make: Make) -> None:
    d = make()
    fill = [launch(d, f"fill-{n}", "sleep 300", count=8) for n in range(2)]  # all 16 GPUs
    waiting = launch(d, "waits", "sleep 1", count=8)
    held = launch(d, "held", "sleep 1")
    slurm_lab.run("scontrol", "hold", str(d.slurm_id(held)))

    def reasons() -> dict[JobId, str] | None:
        d.poll(time.time())
        got = {j: r.code for j, r in d.pending_reasons().items()}
        return got if got.get(waiting) == Code.SLURM_PENDING_RESOURCES and held in got else None

    got = wait_until(reasons, 30, "Slurm's pending reasons")
    assert got[held] == Code.SLURM_PENDING_HELD
    assert d.pending_reasons()[held].get("reason") == "JobHeldAdmin"  # held by root
    assert not set(fill) & set(got)  # running, not pending
    for job in (*fill, waiting, held):
        d.stop(job, time.time())
    assert d.pending_reasons() == {}


def test_a_partition_slurm_refuses_fails_the_launch_with_slurms_message(make: Make) -> None:
    d = make(**{f"partition.{POOL.id}": "nosuch"})
    with pytest.raises(LaunchRefused) as info:
        launch(d, "nowhere", "true")
    assert info.value.reason.code == Code.LAUNCH_FAILED
    assert "Invalid partition name" in str(info.value.reason.get("message"))
    assert d.running_jobs == []


def test_a_job_is_never_submitted_twice_for_one_nacc_id(slurm_lab: Lab, make: Make) -> None:
    first = make()
    job = launch(first, "once", "sleep 300")
    sid = first.slurm_id(job)
    again = make(tag=first.config.tag)  # a restarted service, or a retried launch
    launch(again, "once", "sleep 300")
    assert again.slurm_id(job) == sid
    comment = f"nacc:{first.config.tag}:once"
    listed = slurm_lab.run("squeue", "-h", "-t", "all", "-o", "%k")
    assert listed.split().count(comment) == 1
    again.stop(job, time.time())


def test_polling_costs_one_rest_call_whatever_the_number_of_jobs(make: Make) -> None:
    d = make()
    jobs = {launch(d, f"many-{n}", "sleep 300") for n in range(24)}
    d.client.calls.clear()
    observed: list[Sequence[Observation]] = [d.poll(time.time()) for _ in range(5)]
    assert dict(d.client.calls) == {("GET", "jobs"): 5}, observed
    for job in jobs:
        d.stop(job, time.time())
    assert d.client.calls[("DELETE", "job/{id}")] == len(jobs)


@pytest.mark.slurm_slow
def test_a_time_limit_is_slurms_and_ends_the_job_as_timed_out(make: Make) -> None:
    d = make()
    job = launch(d, "too-long", "sleep 600", limit_s=30.0)  # Slurm's smallest: 1 minute
    end = ends(d, {job}, timeout=180.0)[job]
    assert end.outcome is Outcome.TIMED_OUT and end.reason is not None
    assert end.reason.code == Code.TIMEOUT and end.reason.get("limit_s") == 60.0
    ran = end.reason.get("ran_s")
    assert isinstance(ran, float) and ran >= 60.0


def test_after_a_restart_jobs_are_found_again_by_their_nacc_id(slurm_lab: Lab, make: Make) -> None:
    before = make()
    running, done = launch(before, "still", "sleep 300"), launch(before, "done", "true")
    stray = launch(before, "stray", "sleep 300")  # launched, its start never recorded
    ends(before, {done})
    after = make(tag=before.config.tag)  # the restarted service's dispatcher
    found = {r.job_id: r for r in after.recover([running, done, JobId("gone")], time.time())}
    assert found[running].state == "running" and after.running_jobs == [running]
    assert after.slurm_id(running) == before.slurm_id(running)
    start = ["squeue", "-h", "-j", str(before.slurm_id(running)), "-o", "%S"]
    began = datetime.fromisoformat(slurm_lab.run(*start).strip()).timestamp()
    assert found[running].started_at == began and not found[running].queued  # Slurm's start
    assert found[done].started_at is not None
    assert found[done].observation.outcome is Outcome.SUCCEEDED
    assert found[JobId("gone")].state == "unknown"
    assert found[stray].state == "unknown" and "cancelled" in found[stray].note
    stray_state = ["squeue", "-h", "-t", "all", "-j", str(before.slurm_id(stray)), "-o", "%T"]
    wait_until(
        lambda: slurm_lab.run(*stray_state).strip() == "CANCELLED", 30, "the stray cancelled"
    )
    after.stop(running, time.time())
    assert after.poll(time.time()) == []


def test_a_job_adopted_while_in_slurms_queue_is_queued_until_slurm_starts_it(make: Make) -> None:
    """After a restart a job still pending in Slurm is ``running`` but ``queued``, with no
    start: the service meters it from the start Slurm reports, not from the restart."""
    before = make()
    fill = [launch(before, f"fill{n}", "sleep 300", count=8) for n in range(2)]  # every GPU
    seen: list[Observation] = []
    wait_until(lambda: seen.extend(before.poll(time.time())) or len(seen) == 2, 30,
               "Slurm to start both")  # fmt: skip
    waits = launch(before, "waits", "sleep 300", count=8)
    wait_until(lambda: before.poll(time.time()) is not None
               and before.pending_reasons().get(waits), 30, "Slurm to queue it")  # fmt: skip
    after = make(tag=before.config.tag)
    found = {r.job_id: r for r in after.recover([*fill, waits], time.time())}
    assert found[waits].state == "running" and found[waits].queued
    assert found[waits].started_at is None
    assert all(found[f].started_at is not None and not found[f].queued for f in fill)
    after.stop(fill[0], time.time())  # room for it: Slurm starts it, and says when
    seen.clear()
    wait_until(lambda: seen.extend(after.poll(time.time())) or any(
        o.job_id == waits and o.outcome is Outcome.STARTED for o in seen), 60,
        "Slurm to start the queued job")  # fmt: skip
    for job in (fill[1], waits):
        after.stop(job, time.time())
