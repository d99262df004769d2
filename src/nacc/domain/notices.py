"""Notices: what nacc tells people about their awards, and when (pure rules).

A notice has a ``Kind`` and a ``key`` naming the event it reports; the outbox keeps one
row per (key, person, channel), so a sweep run twice, or by two processes, sends each
notice once. The rules here decide which events have happened at ``now``:

- ``thresholds_reached``: 50, 80 and 100 % of the credits released so far used
  (``used = released - balance``); the key names how many tranches were released, so a
  new tranche starts the count again;
- ``expiry_due``: 30 and 7 days before a project's validity ends;
- ``report_state``: a progress report is *due* from 7 days before its date and
  *overdue* once the date has passed without it being accepted;
- ``blocking_report``: tranche n+1 is not released while report n, or an earlier one,
  is overdue (NAIRR's reports at 1, 3 and 9 months, ``REPORT_MONTHS``);
- ``retry_after``: a failed delivery is retried after 30 s, 1, 2, 4, 8 min, ... (at most
  an hour), ``MAX_ATTEMPTS`` times in all;
- ``signature``: the HMAC-SHA256 a webhook's receiver checks.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from nacc.domain.errors import Conflict
from nacc.domain.reasons import Code


class Kind(StrEnum):
    BALANCE_50 = "balance_50"
    BALANCE_80 = "balance_80"
    BALANCE_100 = "balance_100"
    EXPIRY_30 = "expiry_30"
    EXPIRY_7 = "expiry_7"
    REPORT_DUE = "report_due"
    REPORT_OVERDUE = "report_overdue"
    PROPOSAL_DECIDED = "proposal_decided"
    CREDITS_RETURNED = "credits_returned"
    JOB_ENDED = "job_ended"  # opt-in: not in DEFAULT_KINDS
    TEST = "test"


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


LANGS = ("en", "ko")
# what a person gets without saying otherwise: every kind but job ends
DEFAULT_KINDS: tuple[Kind, ...] = tuple(k for k in Kind if k is not Kind.JOB_ENDED)
THRESHOLDS = (50, 80, 100)
EXPIRY_DAYS = (30, 7)
REPORT_MONTHS = (1, 3, 9)
REPORT_DUE_AHEAD = timedelta(days=7)
MAX_ATTEMPTS = 6
SIGNATURE_HEADER = "X-Nacc-Signature"


@dataclass(frozen=True, slots=True)
class Report:
    """A progress report of a project: number ``seq``, due at ``due_at``."""

    seq: int
    due_at: datetime
    accepted_at: datetime | None


def thresholds_reached(released: Decimal, balance: Decimal) -> list[int]:
    """The thresholds (percent of ``released``) that use has reached."""
    if released <= 0:
        return []
    used = released - balance
    return [pct for pct in THRESHOLDS if used * 100 >= released * pct]


def balance_kind(pct: int) -> Kind:
    return Kind(f"balance_{pct}")


def expiry_due(valid_until: datetime, now: datetime) -> list[int]:
    """The tightest of the 30- and 7-day warnings due at ``now`` (a project found with 5
    days left gets the 7-day one only); none once the validity has ended."""
    if now >= valid_until:
        return []
    due = [d for d in EXPIRY_DAYS if valid_until - now <= timedelta(days=d)]
    return [min(due)] if due else []


def add_months(start: datetime, months: int) -> datetime:
    """``start`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def report_schedule(valid_from: datetime, valid_until: datetime) -> list[datetime]:
    """Due dates of the reports at 1, 3 and 9 months that fall inside the validity."""
    dues = [add_months(valid_from, m) for m in REPORT_MONTHS]
    return [d for d in dues if d < valid_until]


def report_state(r: Report, now: datetime) -> Kind | None:
    """``REPORT_OVERDUE``, ``REPORT_DUE`` (within 7 days of its date) or None."""
    if r.accepted_at is not None:
        return None
    if now >= r.due_at:
        return Kind.REPORT_OVERDUE
    if now >= r.due_at - REPORT_DUE_AHEAD:
        return Kind.REPORT_DUE
    return None


def blocking_report(reports: Sequence[Report], tranche_seq: int, now: datetime) -> Report | None:
    """The first overdue report among 1..tranche_seq-1, which keeps tranche
    ``tranche_seq`` from being released; None when nothing blocks it."""
    for r in sorted(reports, key=lambda r: r.seq):
        if r.seq < tranche_seq and report_state(r, now) is Kind.REPORT_OVERDUE:
            return r
    return None


def returnable(balance: Decimal, committed: Decimal) -> Decimal:
    """What returns to the program at expiry: the balance less what live jobs still
    hold (they are charged as they end), never below zero."""
    return max(Decimal(0), balance - committed)


def retry_after(attempts: int) -> timedelta | None:
    """The wait before attempt ``attempts + 1``, or None when no attempt is left."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, body): the value of ``X-Nacc-Signature``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class ReportOverdue(Conflict):
    """A tranche is held because an earlier progress report is overdue."""

    code = Code.REPORT_OVERDUE

    def __init__(self, project: int, tranche: int, report: Report) -> None:
        due = report.due_at.isoformat()
        super().__init__(
            f"tranche {tranche} of project {project} is held: progress report {report.seq} "
            f"was due on {due} and has not been accepted",
            params={"project": project, "report": report.seq, "due": due, "tranche": tranche},
        )


class AwardEnded(Conflict):
    """A project's validity is over: no more tranches."""

    code = Code.AWARD_ENDED

    def __init__(self, project: int, valid_until: datetime) -> None:
        until = valid_until.isoformat()
        super().__init__(
            f"project {project} ended on {until}; its tranches are no longer released",
            params={"project": project, "valid_until": until},
        )
