"""Reasons as codes with parameters: why a job waits, why it ended, why a request failed.

A reason is stored and passed around as ``Reason(code, params)``; it becomes English or
Korean text only at the edge (API ``Accept-Language``, CLI ``--lang``) from the message
catalogs, so reasons can be counted, filtered and translated. Every code in ``Code`` has
a message in every catalog (a test checks it).

Parameters are plain values (str, int, float, bool) so a reason survives JSON and the
database unchanged: ``Reason.of(Code.WAITING_FOR_CAPACITY, pool="gj-h100", needed=4, free=2)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Param = str | int | float | bool


class Code(StrEnum):
    """Every reason nacc gives. Add here, then to each catalog (``nacc.i18n``)."""

    # lifecycle
    SUBMITTED = "submitted"
    STARTED = "started"
    COMPLETED = "completed"
    READOPTED = "readopted"
    # why a job waits (pending)
    WAITING_FOR_CAPACITY = "waiting_for_capacity"
    WAITING_AT_HEAD = "waiting_at_head"
    WAITING_FOR_PRIORITY = "waiting_for_priority"
    WAITING_FOR_SHARE = "waiting_for_share"
    RESERVED = "reserved"
    POLICY_NOTE = "policy_note"  # a policy's own words (params: text), until it gives a code
    # why a job ended or moved
    EXIT_CODE = "exit_code"
    SIGNALLED = "signalled"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    PREEMPTED = "preempted"
    LOST = "lost"
    FAILED = "failed"
    LAUNCH_FAILED = "launch_failed"
    PREEMPT_UNSUPPORTED = "preempt_unsupported"
    REJECTED_NO_POOL = "rejected_no_pool"


@dataclass(frozen=True, slots=True)
class Reason:
    """A code and its parameters (sorted by name, so equal reasons compare equal)."""

    code: str
    params: tuple[tuple[str, Param], ...] = ()

    @classmethod
    def of(cls, code: str, /, **params: Param) -> Reason:
        return cls(str(code), tuple(sorted(params.items())))

    @property
    def args(self) -> dict[str, Param]:
        return dict(self.params)

    def get(self, name: str, default: Param | None = None) -> Param | None:
        for key, value in self.params:
            if key == name:
                return value
        return default

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reason:
        params = data.get("params") or {}
        return cls.of(str(data["code"]), **{str(k): v for k, v in params.items()})

    def __str__(self) -> str:
        """A language-neutral form for logs and tests: ``code{k=v, ...}``."""
        if not self.params:
            return self.code
        inner = ", ".join(f"{k}={v}" for k, v in self.params)
        return f"{self.code}{{{inner}}}"
