"""``nacc ledger verify --slurm``'s lines are codes (``slurm_accounting.check``) rendered
in the CLI's language: each job and the verdict, in English and Korean."""

from __future__ import annotations

from decimal import Decimal

from nacc import i18n
from nacc.adapters.dispatch.slurm_accounting import AccountedJob, Charged, check
from nacc.domain.ids import JobId
from nacc.domain.reasons import Code


def _job(n: int, elapsed: int, state: str = "COMPLETED") -> AccountedJob:
    return AccountedJob(100 + n, JobId(f"j{n}"), state, 1000, 1000 + elapsed, elapsed, 2, "a")


def test_each_job_and_the_verdict_in_english_and_korean() -> None:
    found = {JobId("j1"): _job(1, 60), JobId("j2"): _job(2, 60), JobId("j3"): _job(3, 0, "RUNNING")}
    right = Charged("j1", Decimal(2) * 60 * Decimal(3) / 3600, 2, 3.0)  # 2 GPUs x 60 s x 3/h
    off = Charged("j2", Decimal(1), 2, 3.0)
    result = check(found, [right, off, Charged("j3", Decimal(0), 2, 3.0),
                           Charged("j4", Decimal(1), 1, 3.0)])  # fmt: skip
    assert not result.ok
    assert [r.code for r in result.said] == [
        Code.SLURM_CHECK_JOB_OK, Code.SLURM_CHECK_JOB_OFF, Code.SLURM_CHECK_SKIPPED,
        Code.SLURM_CHECK_NOT_ACCOUNTED, Code.SLURM_CHECK_PROBLEM]  # fmt: skip
    en = [i18n.render(r, "en") for r in result.said]
    ko = [i18n.render(r, "ko") for r in result.said]
    assert en[0].startswith("ok j1: Slurm job 101 2 GPUs x ") and en[0].endswith(
        "charged 0.100000 = 0.100000"
    )
    assert en[-1].startswith("PROBLEM: charged ")
    assert ko[0].startswith("정상 j1: Slurm 작업 101") and ko[1].startswith("문제 j2")
    assert ko[2].startswith("건너뜀 j3") and "Slurm 회계에 작업이 없어요" in ko[3]
    assert ko[-1].startswith("문제: 과금 ")
    assert all(text != str(r) for text, r in zip(ko, result.said, strict=True))  # all found
    ok = check(found, [right])
    assert ok.ok and i18n.render(ok.said[-1], "ko").startswith("정상: 과금 0.100000")
