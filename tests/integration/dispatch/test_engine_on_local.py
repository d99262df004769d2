"""The engine over the local dispatcher with real processes: a launch the backend
refuses (a NUL byte in the command: no process can run it) fails that job only, leaves
nothing behind, and the queue goes on."""

from __future__ import annotations

import time
from pathlib import Path

from nacc.adapters.dispatch.local import LocalDispatcher
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.lifecycle import TERMINAL, JobState
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code
from nacc.engine.engine import Engine
from nacc.engine.records import JobRecord
from nacc.ports import Payload
from nacc.scheduling.policies.registry import builtin_policies
from support.doubles import Recorder, TableRates
from support.waiting import wait_until

POOL = Pool(PoolId("local-h100"), "local", "here", "H100", 2, 2, "local")


def _spec(name: str, at: float) -> JobSpec:
    return JobSpec(JobId(name), at, 2, JobClass.VISION, 60.0, "proj", time_limit_s=60.0)


def test_a_refused_launch_fails_only_that_job(tmp_path: Path) -> None:
    local = LocalDispatcher({"local-h100": ["0", "1"]}, tmp_path, grace_s=1.0)
    events = Recorder()
    eng = Engine([POOL], builtin_policies().create("fifo"), local, TableRates({"H100": 1.0}),
                 events=events)  # fmt: skip
    now = time.time()
    commands = {"bad": "echo before\0after", "good": "echo good", "next": ("echo", "next")}
    for n, (name, command) in enumerate(commands.items()):  # each needs both devices
        eng.submit(_spec(name, now + n), now, Payload(command))
    eng.tick(time.time())
    bad, good, after = (eng.jobs[JobId(n)] for n in commands)
    assert bad.state is JobState.FAILED and bad.first_start_s is None
    assert [(j, why.code) for j, why in eng.refused] == [(JobId("bad"), Code.LAUNCH_FAILED)]
    assert "NUL byte" in str(dict(eng.refused[0][1].params)["message"])
    assert bad.credits == 0 and not (tmp_path / "bad").exists()  # nothing left behind
    assert local.free_devices("local-h100") == ["0", "1"] and eng.free[POOL.id] == 2
    eng.tick(time.time())  # the next decision starts the next job on both devices
    assert good.state is JobState.RUNNING and local.free_devices("local-h100") == []
    for job in (good, after):  # the queue goes on: each in turn runs and ends

        def ended(job: JobRecord = job) -> bool:
            eng.tick(time.time())
            return job.state in TERMINAL

        wait_until(ended, 30, f"{job.spec.id} to end")
        assert job.state is JobState.COMPLETED, job
        assert (tmp_path / job.spec.id / "output.log").read_text() == f"{job.spec.id}\n"
    failed = [e for e in events.events if e.job_id == "bad"]
    assert [e.dst for e in failed] == [JobState.FAILED]  # never reported as started


def test_a_job_is_charged_from_when_its_process_started_not_the_steps_now(
    tmp_path: Path,
) -> None:
    """A step that launches many jobs under load reaches the last ones late: each starts
    (and is metered, and timed) when its process was started, not at the step's now. The
    step here began 3 s before the launch (as one that launched others first would)."""
    local = LocalDispatcher({"local-h100": ["0", "1"]}, tmp_path, grace_s=1.0)
    events = Recorder()
    eng = Engine([POOL], builtin_policies().create("fifo"), local, TableRates({"H100": 1.0}),
                 events=events)  # fmt: skip
    step = time.time() - 3.0
    eng.submit(_spec("late", step), step, Payload("exit 0"))
    before = time.time()
    eng.tick(step)
    rec = eng.jobs[JobId("late")]
    assert rec.state is JobState.RUNNING and rec.starting  # asked of the launcher
    local.flush()  # the launcher made it: its start comes with the next poll
    eng.tick(time.time())
    assert not rec.starting or rec.state in TERMINAL
    assert before <= rec.started_s <= time.time() and rec.metered_s >= rec.started_s

    def ended() -> bool:
        eng.tick(time.time())
        return rec.state in TERMINAL

    wait_until(ended, 30, "the job to end")
    assert rec.state is JobState.COMPLETED and rec.finished_s is not None
    assert rec.attained_s == (rec.finished_s - rec.started_s) * rec.count  # run: start to end
