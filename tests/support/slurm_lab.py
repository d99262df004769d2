"""A real Slurm for tests: ``scripts/slurm-lab.sh`` started once per test session.

``slurm_lab`` installs the Debian packages when they are missing (as root, like CI),
starts slurmctld, two slurmd's with 8 fake ``h100`` GPUs each and slurmrestd (JWT) in a
temporary folder, and stops them at the end of the session. It skips, saying why, only
when the packages are missing and cannot be installed (not root, no apt-get, apt-get
failed); a lab that is installed but does not come up fails the tests.

A plugin of tests/conftest.py (one fixture for the whole session: imported into several
modules it would be several fixtures, each starting a lab). Each xdist worker runs its own
lab on its own ports (27817 + 20 x worker; 200 higher while those are taken, as by
another checkout's tests), away from Slurm's defaults and from ``make slurm-lab``
(26817), so a developer's lab keeps running.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "slurm-lab.sh"
GPUS_PER_NODE = 8
NODES = 2


@dataclass(frozen=True)
class Lab:
    dir: Path
    port: int  # slurmrestd
    conf: Path
    accounting: bool = False  # slurmdbd runs (sacct, sacctmgr, /slurmdb/)

    @property
    def url(self) -> str:
        return f"slurm://127.0.0.1:{self.port}"

    def run(self, *argv: str) -> str:
        """A Slurm command (scontrol, squeue, sbatch ...) against this lab; its stdout. It runs
        in the lab's ``jobs`` folder, so a job ``sbatch`` submits without ``--output`` writes
        its ``slurm-<id>.out`` there, never into the caller's working directory."""
        env = {**os.environ, "SLURM_CONF": str(self.conf)}
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60,
                              cwd=self.dir / "jobs")  # fmt: skip
        if done.returncode:
            raise AssertionError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
        return done.stdout


def _script(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip


BASES_TRIED = 10
"""Where a lab's ports are taken (another checkout's tests on the same machine use the
same numbers), the next try moves 200 ports up."""


def _worker_base(offset: int) -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    return 27817 + offset + 20 * (int(worker) if worker.isdigit() else 0)


@contextmanager
def _lab(first: int, dbd: bool) -> Iterator[Lab]:
    for attempt in range(BASES_TRIED):
        base = first + 200 * attempt
        env = {**os.environ, "SLURM_LAB_PORT": str(base), "SLURM_LAB_NODES": str(NODES),
               "SLURM_LAB_GPUS": str(GPUS_PER_NODE),
               "SLURM_LAB_DBD": "1" if dbd else "0"}  # fmt: skip
        if attempt == 0:
            installed = _script("install", env=env)
            if installed.returncode:
                pytest.skip(f"no Slurm here and it cannot be installed: "
                            f"{installed.stderr.strip()}")  # fmt: skip
        # not under pytest's 0700 folders: slurmrestd runs as an unprivileged user and
        # reads the lab's slurm.conf
        folder = Path(tempfile.mkdtemp(prefix=f"nacc-slurm-lab-{base}-"))
        folder.chmod(0o755)
        up = _script("up", str(folder), env=env)
        if not up.returncode:
            break
        logs = "\n".join(f"{p.name}: {p.read_text()[-800:]}" for p in (folder / "log").glob("*"))
        _script("purge" if dbd else "down", str(folder), env=env)
        shutil.rmtree(folder, ignore_errors=True)
        if "is taken by another program" not in up.stderr or attempt == BASES_TRIED - 1:
            raise AssertionError(f"slurm-lab up failed: {up.stderr}\n{logs}")
    try:
        yield Lab(folder, base + 3, folder / "etc" / "slurm.conf", dbd)
    finally:
        _script("purge" if dbd else "down", str(folder), env=env)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _conf(lab: Lab) -> Iterator[Lab]:
    """``SLURM_CONF`` names the lab while it is in use (``scontrol token`` reads it)."""
    before = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(lab.conf)
    try:
        yield lab
    finally:
        if before is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = before


@pytest.fixture(scope="session")
def slurm_lab() -> Iterator[Lab]:
    with _lab(_worker_base(0), dbd=False) as lab, _conf(lab):
        yield lab


@pytest.fixture(scope="session")
def slurm_dbd_lab() -> Iterator[Lab]:
    """A second lab with accounting: slurmdbd on the MariaDB at 127.0.0.1:3306 (its
    database ``slurm_lab_<port>`` is dropped at the end), slurmrestd serving
    ``/slurmdb/v0.0.38`` too. Skips when no MariaDB answers there. Its tests point
    ``SLURM_CONF`` at it with ``dbd_conf``."""
    try:
        socket.create_connection(("127.0.0.1", 3306), timeout=2).close()
    except OSError as e:
        pytest.skip(f"no MariaDB at 127.0.0.1:3306 for slurmdbd: {e}")
    with _lab(_worker_base(500), dbd=True) as lab:
        yield lab


@pytest.fixture
def dbd_conf(slurm_dbd_lab: Lab) -> Iterator[Lab]:
    """The accounting lab, with ``SLURM_CONF`` naming it for the test's duration."""
    with _conf(slurm_dbd_lab) as lab:
        yield lab
