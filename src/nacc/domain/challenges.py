"""Challenge tracks: the pure rules (no clock reads, no IO).

A challenge belongs to a program. Teams (projects) submit entries during a phase; each
entry is evaluated by the challenge's command on hidden test data, and the evaluator
writes its metrics as JSON for two splits, ``public`` and ``private``. This module says:

* whether a metrics document is sound (``read_metrics``: every declared metric in both
  splits, each a finite number), else a coded reason;
* which day of quota ``now`` falls in (``quota_day``: the day starts at a stated local
  time in a stated zone, e.g. 00:00 Asia/Seoul) and whether one more entry fits
  (``check_quota``);
* which entry stands for each team and in what order (``rank``): the ranking rule picks
  the team's entry by its *public* score (best or last), so a team cannot pick by the
  hidden split; the private board ranks those same entries by their private score;
* what an ended evaluation job means for its entry (``verdict``).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from nacc.domain.errors import Conflict, NaccError
from nacc.domain.reasons import Code, Reason

SPLITS = ("public", "private")
MAX_METRICS_BYTES = 64 * 1024
RETRIES = 1  # a platform failure (time-out, lost, launch refused) is retried once


class Direction(StrEnum):
    MAX = "max"
    MIN = "min"


class Rule(StrEnum):
    BEST = "best"  # the team's entry with the best public score
    LAST = "last"  # the team's latest scored entry


class EntryState(StrEnum):
    PENDING = "pending"  # its evaluation job waits
    RUNNING = "running"
    SCORED = "scored"
    INVALID = "invalid"  # the evaluator's metrics were refused (reason says why)
    FAILED = "failed"  # the evaluator exited non-zero: it refused the submission
    PLATFORM_FAILED = "platform_failed"  # lost, timed out or refused twice
    CANCELLED = "cancelled"


LIVE = frozenset({EntryState.PENDING, EntryState.RUNNING})
COUNTED = frozenset(
    {EntryState.PENDING, EntryState.RUNNING, EntryState.SCORED, EntryState.INVALID,
     EntryState.FAILED}
)  # fmt: skip
"""States that use quota: in flight or judged. Cancelled and platform-failed do not."""


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    direction: Direction


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    starts_at: datetime
    ends_at: datetime

    def open_at(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


def phase_at(phases: Sequence[Phase], now: datetime) -> Phase | None:
    return next((p for p in phases if p.open_at(now)), None)


def check_phases(phases: Sequence[Phase]) -> str | None:
    """Why the phases are not well formed (None when they are): each ends after it
    starts, names distinct, in order and not overlapping."""
    names = [p.name for p in phases]
    if len(set(names)) != len(names):
        return "phase names must be distinct"
    for p in phases:
        if not p.starts_at < p.ends_at:
            return f"phase {p.name!r} must end after it starts"
    for a, b in itertools.pairwise(phases):
        if b.starts_at < a.ends_at:
            return f"phase {b.name!r} starts before phase {a.name!r} ends"
    return None


# --- metrics ---------------------------------------------------------------------------


class MetricsRefused(NaccError):
    """The evaluator's metrics document was refused; ``reason`` says why (coded)."""


def _refused(code: Code, **params: str | int | float) -> MetricsRefused:
    return MetricsRefused(str(Reason.of(code, **params)), code=code, params=params)


def read_metrics(raw: bytes, metrics: Sequence[Metric]) -> dict[str, dict[str, float]]:
    """``{"public": {metric: value}, "private": {...}}`` from the evaluator's file, with
    exactly the declared metrics (extra keys are dropped), or ``MetricsRefused``."""
    if len(raw) > MAX_METRICS_BYTES:
        raise _refused(Code.METRICS_TOO_LARGE, size=len(raw), limit=MAX_METRICS_BYTES)
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=lambda c: c)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _refused(Code.METRICS_NOT_JSON, problem=str(error)[:200]) from None
    if not isinstance(doc, dict):
        raise _refused(Code.METRICS_NOT_JSON, problem="the document is not a JSON object")
    out: dict[str, dict[str, float]] = {}
    for split in SPLITS:
        part = doc.get(split)
        if not isinstance(part, dict):
            raise _refused(Code.METRICS_MISSING, split=split, metric="*")
        out[split] = {m.name: _number(part, split, m.name) for m in metrics}
    return out


def _number(part: Mapping[str, object], split: str, name: str) -> float:
    if name not in part:
        raise _refused(Code.METRICS_MISSING, split=split, metric=name)
    value = part[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _refused(Code.METRICS_NOT_FINITE, split=split, metric=name, value=repr(value)[:50])
    return float(value)


# --- quota -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuotaDay:
    starts_at: datetime
    resets_at: datetime


def quota_day(now: datetime, reset: time, zone: str) -> QuotaDay:
    """The quota day holding ``now``: from the last ``reset`` (local time in ``zone``)
    to the next, as aware datetimes."""
    local = now.astimezone(ZoneInfo(zone))
    start = datetime.combine(local.date(), reset, tzinfo=local.tzinfo)
    if start > local:
        start = datetime.combine(local.date() - timedelta(days=1), reset, tzinfo=local.tzinfo)
    nxt = datetime.combine(start.date() + timedelta(days=1), reset, tzinfo=local.tzinfo)
    return QuotaDay(start, nxt)


class QuotaExhausted(NaccError):
    """A team has used its entries for the day; ``retry_after_s`` until the reset."""

    code = Code.CHALLENGE_QUOTA_DAY

    def __init__(self, limit: int, day: QuotaDay, now: datetime) -> None:
        wait = max(1, math.ceil((day.resets_at - now).total_seconds()))
        reset = day.resets_at.isoformat()
        super().__init__(
            f"this team has used its {limit} entries for the day; the quota resets at "
            f"{reset} (in {wait} s)",
            params={"limit": limit, "resets_at": reset, "retry_after_s": wait},
        )
        self.retry_after_s = wait
        self.resets_at = day.resets_at


class TotalExhausted(Conflict):
    """A team has used every entry the challenge allows (409: it never resets)."""

    code = Code.CHALLENGE_QUOTA_TOTAL

    def __init__(self, limit: int) -> None:
        super().__init__(f"this team has used all {limit} entries of the challenge",
                         params={"limit": limit})  # fmt: skip


def check_quota(used_today: int, used_total: int, per_day: int, total: int, day: QuotaDay,
                now: datetime) -> None:  # fmt: skip
    """Refuse one more entry beyond either limit (the total first: it never resets)."""
    if used_total >= total:
        raise TotalExhausted(total)
    if used_today >= per_day:
        raise QuotaExhausted(per_day, day, now)


# --- ranking ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scored:
    """A scored, not disqualified entry as ranking sees it."""

    entry_id: int
    team: int
    submitted_at: datetime
    public: float
    private: float


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    entry: Scored
    score: float


def _key(direction: Direction, value: float) -> float:
    return -value if direction is Direction.MAX else value


def chosen(entries: Sequence[Scored], rule: Rule, direction: Direction) -> list[Scored]:
    """Each team's entry by ``rule`` on the public score (ties: the earlier entry)."""
    by_team: dict[int, Scored] = {}
    for e in sorted(entries, key=lambda e: (e.submitted_at, e.entry_id)):
        held = by_team.get(e.team)
        better = held is None or _key(direction, e.public) < _key(direction, held.public)
        if rule is Rule.LAST or better:
            by_team[e.team] = e
    return list(by_team.values())


def rank(entries: Sequence[Scored], rule: Rule, direction: Direction,
         private: bool) -> list[Standing]:  # fmt: skip
    """The board: each team's chosen entry ordered by the shown split's score (ties share
    a rank; listed by earlier entry), competition ranking (1, 1, 3)."""
    picked = chosen(entries, rule, direction)

    def score(e: Scored) -> float:
        return e.private if private else e.public

    picked.sort(key=lambda e: (_key(direction, score(e)), e.submitted_at, e.entry_id))
    board: list[Standing] = []
    for i, e in enumerate(picked):
        same = board and board[-1].score == score(e)
        board.append(Standing(board[-1].rank if same else i + 1, e, score(e)))
    return board


# --- what an ended evaluation job means ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """``state`` None: read the metrics file (the job completed); ``retry``: launch again."""

    state: EntryState | None
    reason: Reason | None = None
    retry: bool = False


_PLATFORM = frozenset({Code.TIMEOUT, Code.TIMEOUT_WHILE_DOWN, Code.LOST, Code.LOST_WHILE_DOWN,
                       Code.LOST_AFTER_RESTART, Code.LAUNCH_FAILED, Code.KILLED_BY_SIGNAL,
                       Code.REJECTED_NO_POOL, Code.SLURM_ENDED, Code.K8S_ENDED})  # fmt: skip


def verdict(job_state: str, job_reason: Reason | None, exit_code: int | None,
            attempt: int) -> Verdict:  # fmt: skip
    """What an ended evaluation job (``job_state`` terminal) means for its entry."""
    if job_state == "completed":
        return Verdict(None)
    if job_state == "cancelled":
        return Verdict(EntryState.CANCELLED, Reason(Code.EVALUATION_CANCELLED))
    code = job_reason.code if job_reason is not None else Code.LOST
    if job_state == "failed" and code == Code.EXIT_CODE:
        return Verdict(EntryState.FAILED,
                       Reason.of(Code.EVALUATION_EXIT, exit_code=exit_code or 0))  # fmt: skip
    if code not in _PLATFORM and job_state == "failed":
        code = Code.LOST
    why = Reason.of(Code.EVALUATION_PLATFORM, cause=code, attempts=attempt)
    if attempt <= RETRIES:
        return Verdict(None, why, retry=True)
    return Verdict(EntryState.PLATFORM_FAILED, why)
