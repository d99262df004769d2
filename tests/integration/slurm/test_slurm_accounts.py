"""Awards enforced inside Slurm (a lab with slurmdbd and enforced association limits):
a project's available credits become its Slurm account's GrpTRESMins on gres/gpu; a job
submitted around nacc (``sbatch -A``) beyond it stays pending with Slurm's
``AssocGrpGRESMinutes`` (nacc's ``slurm_pending_limit``), as does one nacc submits; when
the balance grows, a new sync lets both start."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nacc.adapters.dispatch.slurm import SlurmDispatcher, parse_url
from nacc.adapters.dispatch.slurm_accounts import SlurmAccounts, account_name, gpu_minutes
from nacc.adapters.dispatch.slurm_states import pending_reason
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code
from nacc.ports import Launch, Payload
from support.slurm_lab import Lab
from support.waiting import wait_until

POOL = Pool(PoolId("kisti-h100"), "kisti", "daejeon", "H100", 16, 8, "slurm")
RATE = 60.0  # credits per GPU-hour: one credit is one GPU-minute


def test_gpu_minutes_are_credits_over_the_rate() -> None:
    assert gpu_minutes(Decimal("10"), RATE) == 10
    assert gpu_minutes(Decimal("10.99"), RATE) == 10  # rounded down: never more than awarded
    assert gpu_minutes(Decimal("-5"), RATE) == 0
    with pytest.raises(ValueError, match="rate"):
        gpu_minutes(Decimal(1), 0.0)


def _state(lab: Lab, sid: str) -> str:
    return lab.run("squeue", "-h", "-t", "all", "-j", sid, "-o", "%T %r").strip()


@pytest.mark.slurm_slow  # the accounting lab: its database takes 10-25 s
def test_a_job_beyond_the_award_waits_in_slurm_until_the_balance_grows(
    dbd_conf: Lab, tmp_path: Path
) -> None:
    tmp_path.chmod(0o755)
    tag = f"a{uuid.uuid4().hex[:8]}"
    accounts = SlurmAccounts(tag)
    account = account_name(tag, "p1")
    (limit,) = accounts.sync({"p1": Decimal("10")}, RATE)  # 10 GPU-minutes
    assert (limit.account, limit.gpu_minutes) == (account, 10)
    assert accounts.limits()[account] == 10  # what sacctmgr shows
    assert accounts.sync({"p1": Decimal("10")}, RATE)[0].gpu_minutes == 10  # idempotent

    around = dbd_conf.run("sbatch", "--parsable", "-A", account, "-t", "10",
                          "--gres=gpu:h100:2", "--wrap", "sleep 1").strip()  # 20 > 10  # fmt: skip
    url = f"{dbd_conf.url}?tag={tag}&accounts=1&workdir={tmp_path}"
    d = SlurmDispatcher(parse_url(urlsplit(url)))
    spec = JobSpec(JobId("big"), time.time(), 2, JobClass.VISION, 60.0, "p1", time_limit_s=600.0)
    d.launch(Launch(spec, POOL, 2, time.time(), 60.0, 0.0, Payload("sleep 1")))
    assert f"Account={account}" in dbd_conf.run("scontrol", "-o", "show", "job",
                                                str(d.slurm_id(spec.id)))  # fmt: skip
    wait_until(lambda: _state(dbd_conf, around) == "PENDING AssocGrpGRESMinutes", 30,
               "Slurm to hold the job submitted around nacc")  # fmt: skip
    assert pending_reason("AssocGrpGRESMinutes").code == Code.SLURM_PENDING_LIMIT

    def nacc_reason() -> str | None:
        d.poll(time.time())
        why = d.pending_reasons().get(spec.id)
        said = None if why is None else f"{why.code} {why.get('reason')}"
        return said if said and "None" not in said else None  # considered by the scheduler

    got = wait_until(nacc_reason, 30, "nacc's job to wait on the limit")
    assert got == f"{Code.SLURM_PENDING_LIMIT} AssocGrpGRESMinutes"

    (raised,) = accounts.sync({"p1": Decimal("60")}, RATE)  # the balance grew
    assert raised.gpu_minutes == raised.used_minutes + 60
    wait_until(lambda: _state(dbd_conf, around).split()[0] in ("RUNNING", "COMPLETED"), 60,
               "the job around nacc to start once the limit allows it")  # fmt: skip
    wait_until(lambda: [o for o in d.poll(time.time()) if o.job_id == spec.id and o.ended], 60,
               "nacc's job to run and end")  # fmt: skip
