"""What a Slurm job record (slurmrestd v0.0.38 ``GET /jobs``) means to nacc.

Slurm's ``job_state`` becomes an ``Outcome`` (or "still pending/running"), its
``exit_code`` (a wait status: code << 8 | signal) an exit code or a signal, and its
``state_reason`` for a pending job one of nacc's reason codes (the raw reason is kept as
the ``reason`` parameter, so nothing Slurm said is lost).
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from typing import Any

from nacc.domain.ids import JobId
from nacc.domain.reasons import Code, Reason
from nacc.ports import Observation, Outcome

ACTIVE = frozenset({"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED",
                    "REQUEUED", "RESIZING", "SIGNALING", "STAGE_OUT", "REQUEUE_HOLD",
                    "REQUEUE_FED", "RESV_DEL_HOLD", "STOPPED"})  # fmt: skip
"""States of a job that has not ended (it may still run, or run again)."""

STARTED = frozenset({"RUNNING", "COMPLETING", "SUSPENDED", "SIGNALING", "STAGE_OUT"})

_PRIORITY = frozenset({"Priority", "PartitionConfig"})
_RESOURCES = frozenset({"Resources", "Licenses", "BurstBufferResources", "NodeDown"})
_HELD = frozenset({"Dependency", "DependencyNeverSatisfied", "JobHeldUser", "JobHeldAdmin",
                   "BeginTime", "Reservation", "ReqNodeNotAvail, Reserved for maintenance",
                   "JobArrayTaskLimit", "BurstBufferStageIn"})  # fmt: skip
_PARTITION = frozenset({"PartitionDown", "PartitionInactive", "PartitionNodeLimit",
                        "PartitionTimeLimit", "ReqNodeNotAvail", "BadConstraints",
                        "Nodes_required_for_job_are_DOWN,_DRAINED_or_reserved_for_jobs_in_"
                        "higher_priority_partitions", "InvalidAccount", "InvalidQOS"})  # fmt: skip


def pending_reason(state_reason: str) -> Reason:
    """Slurm's reason a job waits, as a nacc reason (``reason`` = Slurm's own word)."""
    word = state_reason or "None"
    if word in _PRIORITY:
        code = Code.SLURM_PENDING_PRIORITY
    elif word in _RESOURCES:
        code = Code.SLURM_PENDING_RESOURCES
    elif word.startswith(("AssocGrp", "AssocMax", "QOSGrp", "QOSMax", "MaxCpuPer", "MaxGRES")):
        code = Code.SLURM_PENDING_LIMIT
    elif word in _PARTITION or word.startswith(("Partition", "ReqNodeNotAvail", "Nodes_")):
        code = Code.SLURM_PENDING_PARTITION
    elif word in _HELD or word.startswith("JobHeld"):
        code = Code.SLURM_PENDING_HELD
    elif word == "None":  # not yet considered by the scheduler
        code = Code.SLURM_PENDING_SCHEDULING
    else:
        code = Code.SLURM_PENDING_OTHER
    return Reason.of(code, reason=word)


def _int(value: Any) -> int | None:
    """A v0.0.38 number: plain, or ``{"set": bool, "number": n}`` in some fields."""
    if isinstance(value, dict):
        return int(value["number"]) if value.get("set", True) and "number" in value else None
    return int(value) if isinstance(value, int | float) else None


def when(record: Mapping[str, Any], field: str, default: float) -> float:
    """A time field (epoch seconds); ``default`` when Slurm has not set it (0)."""
    value = _int(record.get(field))
    return float(value) if value else default


def ended(job_id: JobId, record: Mapping[str, Any], now: float) -> Observation | None:
    """How the job ended, at Slurm's end time; None while it has not ended."""
    state = str(record.get("job_state") or "")
    if state in ACTIVE or not state:
        return None
    at = when(record, "end_time", now)
    status = _int(record.get("exit_code")) or 0
    code, sig = (status >> 8) & 0xFF, status & 0x7F
    if state == "COMPLETED":
        return Observation(job_id, at, Outcome.SUCCEEDED, 0, None)
    if state == "TIMEOUT":
        limit = _int(record.get("time_limit"))
        ran = at - when(record, "start_time", at)
        why = Reason.of(Code.TIMEOUT, limit_s=float(limit or 0) * 60.0, ran_s=round(ran, 3))
        return Observation(job_id, at, Outcome.TIMED_OUT, None, why)
    if state == "FAILED" and sig:
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else "?"
        why = Reason.of(Code.KILLED_BY_SIGNAL, signal=sig, name=name)
        return Observation(job_id, at, Outcome.FAILED, None, why)
    if state == "FAILED" and code:
        why = Reason.of(Code.EXIT_CODE, exit_code=code)
        return Observation(job_id, at, Outcome.FAILED, code, why)
    slurm_reason = str(record.get("state_reason") or record.get("state_description") or "")
    why = Reason.of(Code.SLURM_ENDED, state=state, reason=slurm_reason or "None")
    return Observation(job_id, at, Outcome.FAILED, code or None, why)
