"""Benchmark: what pushing awards as Slurm association limits costs (``SlurmAccounts.sync``,
what the live service's ``LimitSync`` calls once per cycle with the projects whose balance
moved).

Starts a Slurm lab with slurmdbd (``scripts/slurm-lab.sh``, ``SLURM_LAB_DBD=1``: MariaDB at
127.0.0.1:3306) on ports from --port, then times, for --projects projects: the first push
(every account created), a push where every balance moved, one where one moved and one
where none did, counting the Slurm commands each ran. Stops and purges the lab. Skips,
saying so, without MariaDB or the Slurm packages.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from nacc.adapters.dispatch.slurm_accounts import SlurmAccounts, run_command

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "slurm-lab.sh"


def lab(action: str, folder: Path, env: dict[str, str]) -> bool:
    done = subprocess.run(["bash", str(SCRIPT), action, str(folder)], env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    if done.returncode:
        print(f"slurm-lab {action} failed: {done.stderr.strip()[-400:]}")
    return done.returncode == 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=200)
    ap.add_argument("--port", type=int, default=33817)
    args = ap.parse_args()
    try:
        socket.create_connection(("127.0.0.1", 3306), timeout=2).close()
    except OSError as e:
        print(f"skipped: no MariaDB at 127.0.0.1:3306 for slurmdbd ({e})")
        return
    folder = Path(tempfile.mkdtemp(prefix="nacc-bench-limits-"))
    folder.chmod(0o755)
    env = {**os.environ, "SLURM_LAB_PORT": str(args.port), "SLURM_LAB_DBD": "1",
           "SLURM_CONF": str(folder / "etc" / "slurm.conf")}  # fmt: skip
    if not (lab("install", folder, env) and lab("up", folder, env)):
        print("skipped: the Slurm lab with accounting did not come up")
        lab("purge", folder, env)  # what did start, and its database
        shutil.rmtree(folder, ignore_errors=True)
        return
    os.environ["SLURM_CONF"] = env["SLURM_CONF"]
    try:
        run(args.projects)
    finally:
        lab("purge", folder, env)
        shutil.rmtree(folder, ignore_errors=True)


def run(n: int) -> None:
    commands: Counter[str] = Counter()

    def counted(argv: Sequence[str], stdin: str | None = None) -> str:
        commands[argv[0]] += 1
        if stdin:
            commands["sacctmgr commands read from its input"] += stdin.count("\n")
        return run_command(argv, stdin)

    accounts = SlurmAccounts("bench", run=counted)
    balances = {str(i): Decimal(10 + i) for i in range(n)}
    rounds = [
        ("first push: every account created", balances),
        ("every balance moved", {p: c + 1 for p, c in balances.items()}),
        ("one balance moved", {"0": Decimal(999)}),
        ("none moved (LimitSync does not call)", {}),
    ]
    for label, pushed in rounds:
        commands.clear()
        t = time.perf_counter()
        if pushed:
            accounts.sync(pushed, 60.0)
        took = time.perf_counter() - t
        print(f"{label}: {len(pushed)} projects in {took:.2f} s; commands {dict(commands)}")
    limits = accounts.limits()
    assert limits["bench-0"] == 999, limits.get("bench-0")  # 999 credits at 60/GPU-h: 999 min
    print(f"{sum(1 for a in limits if a.startswith('bench-'))} accounts with limits in Slurm")


if __name__ == "__main__":
    main()
