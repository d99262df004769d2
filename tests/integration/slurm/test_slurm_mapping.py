"""Slurm's words for states and reasons the lab tests cannot cause cheaply (association
limits need accounting with limits set, NODE_FAIL a dying node), as nacc reads them.
Pure functions over the fields of a v0.0.38 ``GET /jobs`` record; no Slurm needed."""

from __future__ import annotations

import pytest

from nacc.adapters.dispatch.slurm_states import ended, pending_reason
from nacc.domain.ids import JobId
from nacc.domain.reasons import Code
from nacc.i18n import render
from nacc.ports import Outcome


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("Priority", Code.SLURM_PENDING_PRIORITY),
        ("Resources", Code.SLURM_PENDING_RESOURCES),
        ("AssocGrpGRES", Code.SLURM_PENDING_LIMIT),
        ("AssocGrpGRESMinutes", Code.SLURM_PENDING_LIMIT),
        ("QOSMaxGRESPerUser", Code.SLURM_PENDING_LIMIT),
        ("PartitionDown", Code.SLURM_PENDING_PARTITION),
        ("ReqNodeNotAvail, UnavailableNodes:n1", Code.SLURM_PENDING_PARTITION),
        ("Dependency", Code.SLURM_PENDING_HELD),
        ("JobHeldUser", Code.SLURM_PENDING_HELD),
        ("", Code.SLURM_PENDING_SCHEDULING),
        ("SomethingNew", Code.SLURM_PENDING_OTHER),
    ],
)
def test_pending_reasons_keep_slurms_word(word: str, code: Code) -> None:
    reason = pending_reason(word)
    assert reason.code == code and reason.get("reason") == (word or "None")
    for lang in ("en", "ko"):
        assert render(reason, lang).startswith("Slurm")


@pytest.mark.parametrize("state", ["NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "PREEMPTED"])
def test_other_ends_fail_with_slurms_state(state: str) -> None:
    record = {"job_state": state, "exit_code": 0, "end_time": 200, "state_reason": "x"}
    obs = ended(JobId("j"), record, now=300.0)
    assert obs is not None and obs.outcome is Outcome.FAILED and obs.at == 200.0
    assert obs.reason is not None and obs.reason.args == {"state": state, "reason": "x"}


def test_a_job_not_ended_has_no_end_and_a_missing_end_time_is_now() -> None:
    assert ended(JobId("j"), {"job_state": "RUNNING"}, 5.0) is None
    obs = ended(JobId("j"), {"job_state": "COMPLETED", "end_time": 0}, 5.0)
    assert obs is not None and obs.at == 5.0 and obs.ok
