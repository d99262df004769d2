"""Awards enforced inside Slurm: each nacc project is a Slurm account whose association
limit ``GrpTRESMins=gres/gpu=N`` is what the project may still spend there.

``N`` = the GPU-minutes the association has already used (``sshare``'s ``GrpTRESRaw``,
which the limit counts against) + the project's available credits / the pool's credit
rate (credits per GPU-hour) x 60, rounded down, - the GPU-minutes its jobs run **around
nacc** have taken (``sacct``: jobs of the account not named ``<tag>.<job id>``, GPUs x
elapsed, rounded up), which nacc's ledger never charged: a push never grants them back.
A job submitted around nacc (``sbatch -A <account>``) whose GPUs x time limit would pass
the limit stays pending in Slurm with ``AssocGrpGRESMinutes`` (nacc's
``slurm_pending_limit``); ``sync`` again when balances change and Slurm follows at once
(slurmdbd pushes the new limit to slurmctld).

This talks to ``sacctmgr``/``sshare``/``sacct`` on the nacc host (a Slurm login node:
``SLURM_CONF`` and munge), as ``scontrol token`` does for the JWT; slurmctld needs
``AccountingStorageEnforce=associations,limits,safe`` (``scripts/slurm-lab.sh`` with
``SLURM_LAB_DBD=1`` sets it). Slurm decays usage (``PriorityDecayHalfLife``, 7 days by
default): for a hard quota over months a cluster sets it to 0.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from nacc.adapters.dispatch.slurm_rest import SlurmError

_NAME = re.compile(r"[^a-z0-9_-]")


class Run(Protocol):
    """Runs a Slurm command (``stdin``: commands for ``sacctmgr`` to read); its stdout."""

    def __call__(self, argv: Sequence[str], stdin: str | None = None) -> str: ...


def account_name(tag: str, project: str) -> str:
    """The Slurm account of a nacc project (Slurm lower-cases account names)."""
    return _NAME.sub("_", f"{tag}-{project}".lower())


def gpu_minutes(available: Decimal, rate: float) -> int:
    """Credits as whole GPU-minutes at ``rate`` credits per GPU-hour (never below 0)."""
    if rate <= 0:
        raise ValueError(f"rate: expected credits per GPU-hour > 0, got {rate}")
    return max(0, math.floor(float(available) * 60.0 / rate))


@dataclass(frozen=True, slots=True)
class Limit:
    account: str
    gpu_minutes: int  # GrpTRESMins gres/gpu
    used_minutes: int  # what the association had used when it was set
    around_minutes: int = 0  # of that, taken by jobs run around nacc (never charged)


def run_command(argv: Sequence[str], stdin: str | None = None) -> str:
    try:
        done = subprocess.run(list(argv), input=stdin, capture_output=True, text=True,
                              timeout=600 if stdin else 60, check=True)  # fmt: skip
    except subprocess.CalledProcessError as e:
        raise SlurmError(f"{' '.join(argv)}: {e.stderr.strip() or e.returncode}") from e
    except (OSError, subprocess.SubprocessError) as e:
        raise SlurmError(f"{' '.join(argv)}: {e}") from e
    return done.stdout


class SlurmAccounts:
    """Creates the projects' accounts (with ``user``'s association, the user nacc submits
    as) and keeps their ``GrpTRESMins`` on ``gres/gpu`` in step with nacc's balances."""

    def __init__(self, tag: str, user: str = "root", run: Run = run_command) -> None:
        self.tag, self.user, self._run = tag, user, run
        self._known: set[str] = set()  # accounts seen in Slurm

    def ensure(self, project: str) -> str:
        """The project's account, created with a limit of 0 if Slurm has none yet (a job
        launched before its first ``sync`` then waits on the limit, not refused)."""
        account = account_name(self.tag, project)
        if account in self._known:
            return account
        self._known.update(self.limits())
        if account not in self._known:
            self._add(account, project)
            self._run(["sacctmgr", "-i", "-Q", "modify", "account", account, "set",
                       "GrpTRESMins=gres/gpu=0"])  # fmt: skip
            self._known.add(account)
        return account

    def _add(self, account: str, project: str) -> None:
        self._run(["sacctmgr", "-i", "-Q", "add", "account", account,
                   f"Description=nacc project {project}"])  # fmt: skip
        self._run(["sacctmgr", "-i", "-Q", "add", "user", self.user, f"Account={account}"])

    def limits(self) -> dict[str, int | None]:
        """Each account's GrpTRESMins on gres/gpu (None: no limit)."""
        out: dict[str, int | None] = {}
        show = ["sacctmgr", "-n", "-P", "show", "assoc", "format=account,user,grptresmins"]
        rows = self._run(show)
        for line in rows.splitlines():
            account, user, tres = [*line.split("|"), "", ""][:3]
            if user:
                continue
            found = re.search(r"gres/gpu=(\d+)", tres)
            out[account] = int(found.group(1)) if found else None
        return out

    def used(self, account: str) -> int:
        """GPU-minutes the account's association has used (what GrpTRESMins counts)."""
        return self.used_by([account]).get(account, 0)

    def used_by(self, accounts: Sequence[str]) -> dict[str, int]:
        """``used`` of several accounts in one ``sshare`` call (missing ones: 0)."""
        if not accounts:
            return {}
        argv = ["sshare", "-n", "-P", "-A", ",".join(accounts), "-o", "Account,User,GrpTRESRaw"]
        out = dict.fromkeys(accounts, 0)
        for line in self._run(argv).splitlines():
            name, user, raw = [*line.strip().split("|"), "", ""][:3]
            if name in out and not user:
                found = re.search(r"gres/gpu=(\d+)", raw)
                out[name] = int(found.group(1)) if found else 0
        return out

    def around_by(self, accounts: Sequence[str]) -> dict[str, int]:
        """GPU-minutes (rounded up) of each account's jobs that nacc did not submit (not
        named ``<tag>.<id>``), running or ended: one ``sacct`` call."""
        if not accounts:
            return {}
        argv = ["sacct", "-n", "-P", "-X", "-a", "-A", ",".join(accounts), "-S", "1970-01-01",
                "-E", "now", "-o", "Account,JobName,ElapsedRaw,AllocTRES"]  # fmt: skip
        seconds = dict.fromkeys(accounts, 0)
        for line in self._run(argv).splitlines():
            account, name, elapsed, tres = [*line.strip().split("|"), "", "", ""][:4]
            gpus = re.search(r"gres/gpu=(\d+)", tres)
            if account in seconds and not name.startswith(f"{self.tag}.") and gpus:
                seconds[account] += int(gpus.group(1)) * int(elapsed or 0)
        return {a: math.ceil(s / 60) for a, s in seconds.items()}

    def sync(self, available: Mapping[str, Decimal], rate: float) -> list[Limit]:
        """Push every project's available credits (``project -> credits``) as its
        account's limit; accounts are created where missing (not for a project with
        nothing to spend: it has no use for one). The limits set. Calls:
        one ``sacctmgr show``, one ``sshare`` and one ``sacct`` for all, then one
        ``sacctmgr`` reading every change from its input: the accounts to create (two
        commands for all) and a ``modify`` per limit that moved."""
        have = self.limits()
        self._known.update(have)
        names = {project: account_name(self.tag, project) for project in available}
        existing = sorted(a for a in names.values() if a in have)
        used, around = self.used_by(existing), self.around_by(existing)
        out: list[Limit] = []
        new: list[str] = []
        changes: list[str] = []
        for project, credits in sorted(available.items()):
            account = names[project]
            if account not in have:
                if gpu_minutes(credits, rate) == 0:
                    continue
                new.append(account)
            spent, outside = used.get(account, 0), around.get(account, 0)
            limit = max(0, spent + gpu_minutes(credits, rate) - outside)
            if have.get(account, -1) != limit:
                changes.append(f"modify account {account} set GrpTRESMins=gres/gpu={limit}")
            out.append(Limit(account, limit, spent, outside))
        if new:
            listed = ",".join(new)
            changes[:0] = [f"add account {listed} Description=nacc-{self.tag}",
                           f"add user {self.user} Account={listed}"]  # fmt: skip
        if changes:
            self._run(["sacctmgr", "-i", "-Q"], "\n".join(changes) + "\n")
        self._known.update(new)
        return out
