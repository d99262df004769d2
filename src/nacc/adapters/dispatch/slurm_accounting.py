"""Slurm's accounting (slurmdbd, ``GET /slurmdb/v0.0.38/jobs``) beside nacc's charges.

nacc charges a Slurm job from the ``STARTED`` observation (Slurm's ``start_time``) to its
end (Slurm's ``end_time``), at the credit rate of the job's class on its pool's
accelerator type (``slurm`` module). slurmdbd records the same job with its own
``time.start``/``time.end``/``time.elapsed`` (whole seconds) and its allocated
``gres/gpu`` count. ``check`` compares the two, job by job: the GPUs must be the same and
the credits charged must equal ``gpus x elapsed x rate`` to within one second of GPU
time, Slurm's clock resolution (nacc never charges before its submit, which can fall
inside Slurm's first, truncated second).

A job is matched by its comment ``nacc:<tag>:<job id>`` (slurm-lab.sh stores comments
in accounting: ``AccountingStoreFlags=job_comment``), else by its name ``<tag>.<job id>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from nacc.adapters.dispatch.slurm_rest import SlurmRest
from nacc.domain.ids import JobId
from nacc.domain.reasons import Code, Param, Reason
from nacc.ports.store_jobs_data import UsageView

_ENDED_OK = frozenset({"COMPLETED", "FAILED", "TIMEOUT", "CANCELLED", "OUT_OF_MEMORY",
                       "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE"})  # fmt: skip


@dataclass(frozen=True, slots=True)
class AccountedJob:
    """One job as slurmdbd accounted it."""

    slurm_id: int
    job_id: JobId
    state: str
    start: int  # epoch seconds; 0: never started
    end: int
    elapsed_s: int
    gpus: int
    account: str


@dataclass(frozen=True, slots=True)
class Charged:
    """What nacc charged one job: its metered credits, on how many accelerators, at
    what credit rate (credits per accelerator-hour)."""

    job_id: str
    credits: Decimal
    count: int
    rate: float


def charged_from(job_id: str, usage: Sequence[UsageView]) -> Charged | None:
    """A job's charge from its metered intervals (None: never metered); the rate is the
    one nacc metered it at (credits per accelerator-hour)."""
    seconds = sum((u.end_at - u.start_at).total_seconds() * u.count for u in usage)
    if not usage or seconds <= 0:
        return None
    credits = sum((u.credits for u in usage), Decimal(0))
    return Charged(job_id, credits, usage[-1].count, float(credits) * 3600.0 / seconds)


def _nacc_id(record: Mapping[str, Any], tag: str) -> JobId | None:
    comment = record.get("comment")
    text = comment.get("job") if isinstance(comment, dict) else comment
    prefix = f"nacc:{tag}:"
    if isinstance(text, str) and text.startswith(prefix):
        return JobId(text.removeprefix(prefix))
    name = str(record.get("name") or "")
    return JobId(name.removeprefix(f"{tag}.")) if name.startswith(f"{tag}.") else None


def _gpus(record: Mapping[str, Any]) -> int:
    tres = record.get("tres") or {}
    for item in tres.get("allocated") or []:
        if item.get("type") == "gres" and item.get("name") == "gpu":
            return int(item.get("count") or 0)
    return 0


def parse(records: Iterable[Mapping[str, Any]], tag: str) -> dict[JobId, AccountedJob]:
    """The accounted jobs of nacc's ``tag`` (the latest Slurm job of each nacc id)."""
    out: dict[JobId, AccountedJob] = {}
    for record in sorted(records, key=lambda r: int(r.get("job_id", 0))):
        job_id = _nacc_id(record, tag)
        if job_id is None:
            continue
        t = record.get("time") or {}
        state = record.get("state") or {}
        current = state.get("current") if isinstance(state, dict) else state
        out[job_id] = AccountedJob(int(record["job_id"]), job_id, str(current or ""),
                                   int(t.get("start") or 0), int(t.get("end") or 0),
                                   int(t.get("elapsed") or 0), _gpus(record),
                                   str(record.get("account") or ""))  # fmt: skip
    return out


def accounted(client: SlurmRest, tag: str) -> dict[JobId, AccountedJob]:
    """What slurmdbd accounted for nacc's jobs: one ``GET /slurmdb/v0.0.38/jobs``."""
    return parse(client.accounted_jobs(), tag)


def expected_credits(job: AccountedJob, rate: float) -> Decimal:
    """``gpus x elapsed x rate``: what Slurm's accounting says the job should cost."""
    return Decimal(job.gpus * job.elapsed_s) * Decimal(repr(rate)) / Decimal(3600)


@dataclass(frozen=True, slots=True)
class AccountingCheck:
    ok: bool
    said: tuple[Reason, ...]  # one per job, then the verdict (``nacc.i18n.render`` them)
    charged: Decimal  # sum over the compared jobs
    expected: Decimal  # sum of gpus x elapsed x rate


def _credits(value: Decimal) -> str:
    return f"{value:.6f}"


def check(accounted: Mapping[JobId, AccountedJob], charged: Sequence[Charged]) -> AccountingCheck:
    """Each job nacc charged on Slurm against slurmdbd's record of it (see the module
    docstring); a job nacc charged that Slurm never accounted is a problem too."""
    said: list[Reason] = []
    bad = False
    total, want = Decimal(0), Decimal(0)
    for c in sorted(charged, key=lambda c: c.job_id):
        job = accounted.get(JobId(c.job_id))
        if job is None:
            said.append(Reason.of(Code.SLURM_CHECK_NOT_ACCOUNTED, job=c.job_id,
                                  charged=_credits(c.credits)))  # fmt: skip
            bad = True
            continue
        if job.state not in _ENDED_OK:
            said.append(Reason.of(Code.SLURM_CHECK_SKIPPED, job=c.job_id,
                                  slurm_job=job.slurm_id, state=job.state))  # fmt: skip
            continue
        expected = expected_credits(job, c.rate)
        slack = Decimal(job.gpus) * Decimal(repr(c.rate)) / Decimal(3600)  # 1 s of its GPUs
        total, want = total + c.credits, want + expected
        common: dict[str, Param] = {"job": c.job_id, "slurm_job": job.slurm_id, "gpus": job.gpus,
                  "elapsed_s": job.elapsed_s, "charged": _credits(c.credits),
                  "accounted": _credits(expected)}  # fmt: skip
        if job.gpus != c.count or abs(c.credits - expected) > slack:
            bad = True
            said.append(Reason.of(Code.SLURM_CHECK_JOB_OFF, count=c.count, credit_rate=c.rate,
                                  **common))  # fmt: skip
        else:
            said.append(Reason.of(Code.SLURM_CHECK_JOB_OK, **common))
    verdict = Code.SLURM_CHECK_PROBLEM if bad else Code.SLURM_CHECK_OK
    said.append(Reason.of(verdict, charged=_credits(total), accounted=_credits(want),
                          jobs=len(charged)))  # fmt: skip
    return AccountingCheck(not bad, tuple(said), total, want)
