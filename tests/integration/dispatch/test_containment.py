"""Jobs on the local dispatcher are walled in (real processes, run as root as CI does):
their own account, no view of other projects, the database or the service, no escape from
stop, no network, a capped log that cannot be swapped for a link. Each test runs on both
ways of building the walls: ``nacc-wall`` (built by ``make install``) and the shell chain
it replaces where no C compiler was (``Containment(wall=False)``, forced here)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from nacc.adapters.dispatch import contain
from nacc.adapters.dispatch.contain import UID_BASE, Containment, read_tail, unreachable
from nacc.adapters.dispatch.local import LocalDispatcher
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.lifecycle import JobState
from nacc.domain.pools import Pool
from nacc.engine.engine import Engine
from nacc.ports import Launch, Observation, Payload
from nacc.scheduling.policies.registry import builtin_policies
from support.doubles import TableRates

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="containment needs root (CI runs as root)"
)


@pytest.fixture(autouse=True, params=["wall", "chain"])
def walls(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every dispatcher of the test builds its walls this way: ``nacc-wall``, or the shell
    chain (what a machine without the built program gets)."""
    if request.param == "wall" and contain.wall_program() is None:
        pytest.skip("nacc-wall is not built (make install builds it with a C compiler)")
    if request.param == "chain":
        if not contain._tools_present():
            pytest.skip("the shell chain needs util-linux's unshare and setpriv")
        monkeypatch.setattr(contain, "wall_program", lambda: None)
    return str(request.param)


POOL = Pool(PoolId("local-h100"), "local", "here", "H100", 4, 4, "local")


def wait_for(cond: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def run(d: LocalDispatcher, name: str, command: str, project: str = "7") -> JobId:
    spec = JobSpec(JobId(name), 0.0, 1, JobClass.VISION, 1.0, project)
    d.launch(Launch(spec, POOL, 1, time.time(), 1.0, 0.0, payload=Payload(command=command)))
    return JobId(name)


def finish(d: LocalDispatcher, *jobs: JobId) -> Observation:
    """Poll until every one of ``jobs`` ended; the first one's observation."""
    seen: dict[JobId, Observation] = {}

    def ended() -> bool:
        seen.update((o.job_id, o) for o in d.poll(time.time()) if o.ended)
        return set(jobs) <= set(seen)

    wait_for(ended)
    return seen[jobs[0]]


def output(root: Path, job: str) -> str:
    return (root / job / "output.log").read_text(errors="replace")


@pytest.fixture
def disp(tmp_path: Path) -> LocalDispatcher:
    return LocalDispatcher({"local-h100": ["0", "1", "2", "3"]}, tmp_path / "jobs", grace_s=0.5)


def test_a_job_runs_as_its_projects_own_account_never_root(
    disp: LocalDispatcher, tmp_path: Path
) -> None:
    a = run(disp, "a", "id -u; id -G; pwd; echo $HOME", project="7")
    b = run(disp, "b", "id -u", project="8")
    assert finish(disp, a, b).ok
    uid, groups, cwd, home = output(tmp_path / "jobs", "a").split()
    assert int(uid) == UID_BASE + 7 and groups == uid  # no supplementary groups
    assert cwd == home == str((tmp_path / "jobs" / "a" / "work").resolve())
    assert int(output(tmp_path / "jobs", "b")) == UID_BASE + 8


def test_a_job_cannot_read_other_projects_the_database_or_the_service(
    disp: LocalDispatcher, tmp_path: Path
) -> None:
    secret = run(disp, "secret", "echo tenant-a-secret > data.txt", project="1")
    assert finish(disp, secret).ok
    database = tmp_path / "nacc.db"
    database.write_text("tokens")
    database.chmod(0o600)
    me = os.getpid()
    spy = run(
        disp,
        "spy",
        f"cat {tmp_path}/jobs/secret/work/data.txt; echo rc=$?; "
        f"cat {tmp_path}/jobs/secret/output.log; echo rc=$?; "
        f"cat {database}; echo rc=$?; "
        f"cat /proc/{me}/environ; echo rc=$?; kill -0 {me}; echo rc=$?; "
        f"ls {tmp_path}/jobs; echo rc=$?",
        project="2",
    )
    assert finish(disp, spy).ok
    log = output(tmp_path / "jobs", "spy")
    assert "tenant-a-secret" not in log and "tokens" not in log
    assert log.count("rc=0") == 0, log  # every attempt failed


def test_setsid_and_double_forks_die_with_stop(disp: LocalDispatcher) -> None:
    job = run(disp, "escape", "setsid sleep 61.25 & (setsid sh -c 'sleep 61.5 &'); sleep 60")

    def escapees() -> list[psutil.Process]:
        return [p for p in psutil.process_iter(["cmdline"])
                if p.info["cmdline"] in (["sleep", "61.25"], ["sleep", "61.5"])]  # fmt: skip

    wait_for(lambda: len(escapees()) == 2)
    disp.stop(job, time.time())
    wait_for(lambda: not [p for p in escapees() if p.status() != psutil.STATUS_ZOMBIE])


def test_a_job_has_no_network_not_even_the_database_on_loopback(
    disp: LocalDispatcher, tmp_path: Path
) -> None:
    probe = "import socket; socket.create_connection(('127.0.0.1', 5432), 2); print('connected')"
    job = run(disp, "net", f'python3 -c "{probe}"; echo rc=$?')
    assert finish(disp, job).ok
    log = output(tmp_path / "jobs", "net")
    assert "connected" not in log and "rc=1" in log


def test_a_2_gb_log_is_capped_with_a_note_and_the_job_goes_on(tmp_path: Path) -> None:
    cap = 1 << 20
    d = LocalDispatcher({"local-h100": ["0"]}, tmp_path / "jobs",
                        containment=Containment(log_cap_bytes=cap))  # fmt: skip
    job = run(d, "loud", "head -c 2000000000 /dev/zero; echo still-running >&2; exit 3")
    obs = finish(d, job)
    assert obs.exit_code == 3  # the job ran to its end, past the cap
    log = (tmp_path / "jobs" / "loud" / "output.log").read_bytes()
    assert log[:cap] == b"\0" * cap
    assert log[cap:].decode() == (
        f"\n[nacc] output truncated: the log keeps the first {cap} bytes\n"
    )


def test_a_job_cannot_forge_its_exit_code_or_swap_its_log_for_a_link(
    disp: LocalDispatcher, tmp_path: Path
) -> None:
    job = run(
        disp,
        "forger",
        "echo 0 > ../exit_code; echo rc=$?; ln -sf /etc/shadow ../output.log; echo rc=$?; exit 9",
    )
    obs = finish(disp, job)
    assert obs.exit_code == 9
    root = tmp_path / "jobs" / "forger"
    assert not (root / "output.log").is_symlink()
    log = output(tmp_path / "jobs", "forger")
    assert log.count("Permission denied") == 2 and "rc=0" not in log


def test_log_reads_refuse_links_out_of_the_jobs_directory(tmp_path: Path) -> None:
    job_dir = tmp_path / "j"
    job_dir.mkdir()
    (tmp_path / "other.log").write_text("another project's log")
    (job_dir / "output.log").symlink_to(tmp_path / "other.log")
    with pytest.raises(PermissionError):
        read_tail(job_dir, "output.log", 1000)
    (job_dir / "output.log").unlink()
    (job_dir / "output.log").write_text("0123456789")
    assert read_tail(job_dir, "output.log", 4) == b"6789"
    assert read_tail(job_dir, "missing.log", 4) == b""


def test_a_workdir_behind_a_closed_folder_is_named_and_jobs_still_use_their_cwd(
    tmp_path: Path,
) -> None:
    closed = tmp_path / "closed"
    closed.mkdir()
    closed.chmod(0o700)
    assert unreachable(closed / "jobs") == closed and unreachable(tmp_path) is None
    d = LocalDispatcher({"local-h100": ["0"]}, closed / "jobs")
    job = run(d, "relative", "echo kept > out.txt && cat out.txt")
    assert finish(d, job).ok
    assert (closed / "jobs" / "relative" / "work" / "out.txt").read_text() == "kept\n"


def test_a_job_ends_when_its_command_ends_even_if_it_left_a_daemon(
    disp: LocalDispatcher, tmp_path: Path
) -> None:
    """A background child still holding the job's stdout must not keep the job running
    (and billed): the job ends with its command, and the daemon is killed."""
    job = run(disp, "daemon", "setsid sleep 62.75 & echo started; exit 4")
    obs = finish(disp, job)
    assert obs.exit_code == 4 and output(tmp_path / "jobs", "daemon") == "started\n"
    wait_for(lambda: not [p for p in psutil.process_iter(["cmdline"])
                          if p.info["cmdline"] == ["sleep", "62.75"]
                          and p.status() != psutil.STATUS_ZOMBIE])  # fmt: skip


def test_the_log_of_a_running_job_is_live(disp: LocalDispatcher, tmp_path: Path) -> None:
    """What the job wrote is in its log while it still runs (the cap's reader writes each
    read at once), not held back until the job writes more or ends."""
    job = run(disp, "live", "echo started; sleep 60")
    log = tmp_path / "jobs" / "live" / "output.log"
    wait_for(lambda: log.exists() and output(tmp_path / "jobs", "live") == "started\n")
    assert job in disp.running_jobs
    disp.stop(job, time.time())


def test_a_job_ends_at_its_exit_code_while_its_wrapper_still_drains_the_log(
    tmp_path: Path, walls: str
) -> None:
    """The job's command ended (its wrapper wrote the exit code) but the wrapper is held
    (stopped here with SIGSTOP, as a slow disk would hold the log's reader: the chain's
    ``head``; ``nacc-wall``'s outer process, which PID 1 must then wait for): the engine
    sees the end at once, at the exit code's time, and a meter tick then charges nothing
    past it; the wrapper finishes the log when it goes on."""
    local = LocalDispatcher({"local-h100": ["0", "1", "2", "3"]}, tmp_path / "jobs", grace_s=0.5)
    eng = Engine([POOL], builtin_policies().create("fifo"), local, TableRates({"H100": 1.0}))
    now = time.time()
    go = tmp_path / "go"  # the job waits for it (its own directory is closed to the test's
    tmp_path.chmod(0o755)  # checks: root, yes, but keep to what a job may reach)
    command = f"echo out; while [ ! -e {go} ]; do sleep 0.02; done; exit 0"
    eng.submit(JobSpec(JobId("held"), now, 1, JobClass.VISION, 60.0, "7", time_limit_s=60.0),
               now, Payload(command))  # fmt: skip
    rec = eng.jobs[JobId("held")]
    job_dir = tmp_path / "jobs" / "held"

    def reader() -> psutil.Process | None:
        eng.tick(time.time())
        if rec.started_s <= 0 or rec.starting or not (job_dir / "state.json").exists():
            return None
        pid = json.loads((job_dir / "state.json").read_text())["pid"]
        if walls == "wall":
            heads = [psutil.Process(pid)]
        else:
            heads = [p for p in psutil.Process(pid).children(recursive=True) if _named(p, "head")]
        return heads[0] if len(heads) == 1 and output(tmp_path / "jobs", "held") else None

    wait_for(lambda: reader() is not None)
    head = reader()
    assert head is not None and output(tmp_path / "jobs", "held") == "out\n"
    head.suspend()  # SIGSTOP: the wrapper waits for its log's reader after the exit code
    try:
        go.touch()
        wait_for(lambda: (job_dir / "exit_code").exists())
        time.sleep(0.3)  # not a synchronisation: the stretch a late end would overcharge
        tick = time.time()
        eng.tick(tick)
        eng.meter_running(tick)
        assert rec.state is JobState.COMPLETED  # the wrapper is still there, draining
        assert head.status() == psutil.STATUS_STOPPED
        ended = (job_dir / "exit_code").stat().st_mtime
        assert rec.finished_s == ended < tick - 0.25
        assert rec.attained_s == ended - rec.started_s  # one device, start to real end
    finally:
        head.resume()
        go.touch()
    wait_for(lambda: not head.is_running() or head.status() == psutil.STATUS_ZOMBIE)
    local.flush()
    assert output(tmp_path / "jobs", "held") == "out\n"


def _named(proc: psutil.Process, name: str) -> bool:
    """``proc`` is called ``name`` (False once it has ended: the job's ``sleep`` children
    come and go while the test lists them)."""
    try:
        return proc.name() == name
    except psutil.NoSuchProcess:
        return False


def test_nacc_wall_is_two_processes_around_the_job(disp: LocalDispatcher, walls: str) -> None:
    """The walls cost the job two processes of ``nacc-wall`` (the outer one, PID 1 of the
    namespaces), where the shell chain starts some eight."""
    if walls != "wall":
        pytest.skip("nacc-wall only")
    job = run(disp, "tree", "exec sleep 63.5")
    disp.flush()
    pid = json.loads((disp.log_path(job).parent / "state.json").read_text())["pid"]
    outer = psutil.Process(pid)

    def tree() -> list[str]:
        return [p.name() for p in [outer, *outer.children(recursive=True)]]

    wait_for(lambda: tree() == ["nacc-wall", "nacc-wall", "sleep"])
    disp.stop(job, time.time())


def test_a_job_that_left_the_group_still_gets_the_stops_sigterm(tmp_path: Path, walls: str) -> None:
    """A stop signals the job's process group; a job that made its own session is not in
    it, so ``nacc-wall``'s PID 1 passes the SIGTERM on (the chain's ``sh`` does not: such a
    job only gets the SIGKILL at the end of the grace)."""
    if walls != "wall":
        pytest.skip("nacc-wall only")
    # a long grace: on a busy machine the SIGKILL must not overtake the job's own exit
    disp = LocalDispatcher({"local-h100": ["0"]}, tmp_path / "jobs", grace_s=60.0)
    script = "trap 'echo got-term; exit 5' TERM; echo ready; while :; do sleep 0.05; done"
    job = run(disp, "own", f'exec setsid sh -c "{script}"')
    log = tmp_path / "jobs" / "own" / "output.log"
    wait_for(lambda: log.exists() and output(tmp_path / "jobs", "own") == "ready\n")
    disp.stop(job, time.time())
    disp.flush()
    assert output(tmp_path / "jobs", "own") == "ready\ngot-term\n"
    assert (tmp_path / "jobs" / "own" / "exit_code").read_text() == "5\n"
