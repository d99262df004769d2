"""scripts/slurm-lab.sh itself: `up` is idempotent, `down` stops every daemon it started,
ports another lab holds are refused, naming the port, with nothing left running; with
accounting (slurmdbd on the MariaDB at 127.0.0.1:3306) sacct sees a job's GPUs, and
`purge` removes the folder and the lab's database."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from support.slurm_lab import SCRIPT, Lab
from support.waiting import wait_until


def lab(folder: Path, port: int, *args: str, dbd: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLURM_LAB_PORT": str(port), "SLURM_LAB_NODES": "1",
           "SLURM_LAB_DBD": "1" if dbd else "0"}  # fmt: skip
    return subprocess.run(["bash", str(SCRIPT), *args, str(folder)], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def pids(folder: Path) -> dict[str, int]:
    return {p.stem: int(p.read_text()) for p in (folder / "run").glob("*.pid")}


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_up_twice_then_down_leaves_nothing_running(slurm_lab: Lab) -> None:
    port = slurm_lab.port + 1000
    with tempfile.TemporaryDirectory(prefix="nacc-lab-script-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)
        first = lab(folder, port, "up")
        assert first.returncode == 0, first.stderr
        started = pids(folder)
        assert set(started) == {"munged", "slurmctld", "slurmd-n1", "slurmrestd"}
        assert all(alive(p) for p in started.values())
        again = lab(folder, port, "up")
        assert again.returncode == 0, again.stderr
        assert pids(folder) == started  # the same daemons, none started twice
        assert f"slurm://127.0.0.1:{port + 3}" in lab(folder, port, "env").stdout
        down = lab(folder, port, "down")
        assert down.returncode == 0, down.stderr
        assert pids(folder) == {}
        wait_until(lambda: not any(alive(p) for p in started.values()), 30, "daemons to go")


def test_ports_another_lab_holds_are_refused_naming_the_port(slurm_lab: Lab) -> None:
    with tempfile.TemporaryDirectory(prefix="nacc-lab-script-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)
        taken = slurm_lab.port - 3  # the session lab's slurmctld
        refused = lab(folder, taken, "up")
        assert refused.returncode != 0
        assert f"port {taken} (for slurmctld) is taken" in refused.stderr
        assert "SLURM_LAB_PORT" in refused.stderr
        assert pids(folder) == {}  # nothing started


@pytest.mark.slurm_slow  # creating the accounting database takes 10-25 s
def test_with_accounting_sacct_sees_the_gpus_and_purge_drops_the_database(
    slurm_lab: Lab,
) -> None:
    try:
        socket.create_connection(("127.0.0.1", 3306), timeout=2).close()
    except OSError as e:
        pytest.skip(f"no MariaDB at 127.0.0.1:3306 for slurmdbd: {e}")
    port = slurm_lab.port + 2000
    folder = Path(tempfile.mkdtemp(prefix="nacc-lab-dbd-"))
    folder.chmod(0o755)
    try:
        up = lab(folder, port, "up", dbd=True)
        assert up.returncode == 0, up.stderr
        dbd = Lab(folder, port + 3, folder / "etc" / "slurm.conf")
        sid = dbd.run("sbatch", "--parsable", "--gres=gpu:h100:2", "--wrap", "true").strip()
        sacct = ["sacct", "-X", "-n", "-j", sid, "-o", "State,AllocTRES%60"]
        row = wait_until(lambda: "COMPLETED" in (out := dbd.run(*sacct)) and out, 60, "sacct")
        assert "gres/gpu=2" in row
        # the lab's commands run in its jobs folder: sbatch's default output lands there,
        # never in the caller's working directory (a slurm-1.out was once committed)
        assert (folder / "jobs" / f"slurm-{sid}.out").exists()
        assert not (Path.cwd() / f"slurm-{sid}.out").exists()
    finally:
        purged = lab(folder, port, "purge", dbd=True)
    assert purged.returncode == 0, purged.stderr
    assert not folder.exists()
    dbs = subprocess.run(["mariadb", "--no-defaults", "-h127.0.0.1", "-P3306", "-uroot", "-N",
                          "-e", f"SHOW DATABASES LIKE 'slurm_lab_{port}'"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert dbs.strip() == ""
