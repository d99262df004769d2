"""``nacc-wall`` run directly, without its walls (``--pid`` needs root; those are in
``test_containment.py``): the exit code as ``sh`` gives it, written atomically with the
end as its mtime, the output capped with the same note as the shell chain, refused
arguments. And the fallback to the shell chain where it was not built, said once."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nacc.adapters.dispatch import contain
from nacc.adapters.dispatch.contain import Containment

WALL = contain.wall_program()
pytestmark = pytest.mark.skipif(WALL is None, reason="nacc-wall is not built (make install)")


Done = subprocess.CompletedProcess[bytes]


TICK_S = 0.01  # the kernel's timestamp granularity, at most (CONFIG_HZ >= 100)


def wall(tmp_path: Path, cap: int, *command: str) -> tuple[Done, Path]:
    assert WALL is not None
    log = tmp_path / "output.log"
    with log.open("ab") as out:
        done = subprocess.run([str(WALL), str(tmp_path / "exit_code"), str(cap), "--", *command],
                              stdout=out, stderr=out, check=False, timeout=60)  # fmt: skip
    return done, log


def test_the_exit_code_is_written_atomically_with_the_end_as_its_mtime(tmp_path: Path) -> None:
    before = time.time()
    done, log = wall(tmp_path, 100, "sh", "-c", "echo out; echo err >&2; sleep 0.2; exit 3")
    code = tmp_path / "exit_code"
    assert done.returncode == 0 and code.read_text() == "3\n"
    assert not (tmp_path / "exit_code.tmp").exists()
    # the kernel stamps mtimes from its coarse clock, up to one tick (<= 10 ms at HZ >= 100)
    # behind time.time(): on a quiet machine the end read 0.2-2.7 ms short of before + 0.2
    assert before + 0.2 - TICK_S <= code.stat().st_mtime <= time.time()
    assert log.read_text() == "out\nerr\n"


def test_a_job_killed_by_a_signal_has_shs_code(tmp_path: Path) -> None:
    wall(tmp_path, 100, "sh", "-c", "kill -KILL $$")
    assert (tmp_path / "exit_code").read_text() == "137\n"


def test_output_past_the_cap_is_dropped_with_the_chains_note(tmp_path: Path) -> None:
    _, log = wall(tmp_path, 1000, "sh", "-c", "head -c 300000 /dev/zero; echo on >&2; exit 4")
    assert (tmp_path / "exit_code").read_text() == "4\n"
    text = log.read_bytes()
    assert text[:1000] == b"\0" * 1000
    assert text[1000:] == b"\n[nacc] output truncated: the log keeps the first 1000 bytes\n"


def test_a_program_not_found_is_named_in_the_log(tmp_path: Path) -> None:
    _, log = wall(tmp_path, 1000, str(tmp_path / "no-such-program"))
    assert (tmp_path / "exit_code").read_text() == "127\n"
    assert "failed to execute" in log.read_text() and "no-such-program" in log.read_text()


BAD = [[], ["X"], ["X", "0", "--", "true"], ["X", "ten", "--", "true"], ["X", "1", "true"]]


@pytest.mark.parametrize("args", BAD)
def test_bad_arguments_are_refused_saying_what_was_expected(args: list[str]) -> None:
    assert WALL is not None
    done = subprocess.run([str(WALL), *args], capture_output=True, check=False, timeout=60)
    assert done.returncode == 125
    assert b"usage" in done.stderr or b"CAP must be a positive number" in done.stderr


def test_without_the_built_wall_the_chain_is_used_and_said_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    if os.geteuid() == 0:
        walled = Containment().argv(["true"], tmp_path / "exit_code", 2_000_007)
        assert walled[:4] == [str(WALL), "--pid", "--uid", "2000007"]
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    contain.wall_program.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger=contain.__name__):
            assert contain.wall_program() is None and contain.wall_program() is None
            argv = Containment().argv(["true"], tmp_path / "exit_code", None)
    finally:
        contain.wall_program.cache_clear()
    warned = [r for r in caplog.records if "nacc-wall" in r.getMessage()]
    assert len(warned) == 1 and "shell chain" in warned[0].getMessage()
    assert argv[:2] == ["sh", "-c"] or argv[0] == "unshare"
    assert Containment(wall=False).program() is None


def test_the_install_step_builds_it_without_a_warning(tmp_path: Path) -> None:
    """What ``make install`` runs (``cc -O2 -Wall``, here with ``-Wextra -Werror``) builds
    a program that runs a job."""
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler: make install falls back to the shell chain")
    source = Path(contain.__file__).parent / "wall" / "nacc-wall.c"
    built = tmp_path / "nacc-wall"
    subprocess.run([cc, "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(built), str(source)],
                   check=True, timeout=120)  # fmt: skip
    done = subprocess.run([str(built), str(tmp_path / "exit_code"), "10", "--", "sh", "-c",
                           "echo built; exit 6"], capture_output=True, timeout=60)  # fmt: skip
    assert done.stdout == b"built\n" and (tmp_path / "exit_code").read_text() == "6\n"
