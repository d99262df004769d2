"""Jobs on the local dispatcher are walled in (real processes, run as root as CI does):
their own account, no view of other projects, the database or the service, no escape from
stop, no network, a capped log that cannot be swapped for a link."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from nacc.adapters.dispatch.contain import UID_BASE, Containment, read_tail, unreachable
from nacc.adapters.dispatch.local import LocalDispatcher
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.pools import Pool
from nacc.ports import Launch, Observation, Payload

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not Containment().active,
    reason="containment needs root and util-linux's unshare/setpriv (CI runs as root)",
)

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
        seen.update((o.job_id, o) for o in d.poll(time.time()))
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


def test_a_job_ends_when_its_exit_code_is_written_not_when_its_wrapper_is_gone(
    disp: LocalDispatcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between writing the exit code and exiting, PID 1 still kills what the job left
    and drains its log: the job must already count as ended then (a step metering it
    up to "now" in that window overcharged it). That window is too short to hit on
    purpose, so the test opens it: it writes the exit code itself, as PID 1 does, while
    the job's process still runs; the wrapper, still draining, is reaped later."""
    monkeypatch.setattr("nacc.adapters.dispatch.local._FINISH_S", 0.0)  # reap at next poll
    job = run(disp, "window", "sleep 61.875")
    try:
        wait_for(lambda: bool(disp.running_jobs) and not disp.poll(time.time()))
        code = tmp_path / "jobs" / "window" / "exit_code"
        code.write_text("0\n")
        written = code.stat().st_mtime
        obs = finish(disp, job)
        assert (obs.exit_code, obs.at) == (0, written)  # ended when the file says
        assert disp.free_devices("local-h100") == ["0", "1", "2", "3"]
        left = [p for p in psutil.process_iter(["cmdline"])
                if p.info["cmdline"] == ["sleep", "61.875"]]  # fmt: skip
        assert left, "the wrapper was not left to finish on its own"
    finally:
        disp.poll(time.time())  # past the drain's deadline: the wrapper's group is killed
    wait_for(lambda: not [p for p in left if p.is_running()
                          and p.status() != psutil.STATUS_ZOMBIE])  # fmt: skip
