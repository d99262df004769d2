"""Challenge entries: a team submits, officers rerun and disqualify, anyone reads the
leaderboard.

* **Submit** (the team's PI or members, scoped ``project:<id>``): only while a phase is
  open; the team's project row is locked while its quota is counted, so two submissions
  at once cannot both take the last entry. Over the day's limit: ``QuotaExhausted``
  (the API's 429 with ``Retry-After`` and the reset time); over the total: 409. The
  entry and its evaluation job are stored in one unit of work.
* **Rerun** (officers): a new evaluation of the same entry; it uses no more quota.
* **Disqualify** (officers): with a reason; the entry leaves the leaderboard.
* **Leaderboard** (anyone, signed in or not): one row per team, its entry chosen by the
  ranking rule on the public score; while the phase is open the board shows public
  scores only, once it has closed it ranks by the private scores (and shows both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from nacc.domain.challenges import (
    COUNTED,
    LIVE,
    EntryState,
    Phase,
    Scored,
    Standing,
    check_quota,
    phase_at,
    quota_day,
    rank,
)
from nacc.domain.errors import Conflict, InputError, NotFound
from nacc.domain.reasons import Code, Reason
from nacc.ports.store import UnitOfWork
from nacc.ports.store_challenges import ChallengeRow, EntryChange, EntryRow, NewEntry
from nacc.service import audit
from nacc.service.auth import Principal, require
from nacc.service.challenge_runs import launch
from nacc.service.challenges import get, officer
from nacc.service.context import Services
from nacc.service.jobs import Pricing
from nacc.service.programs import OFFICERS, officer_scope

TEAM = ("pi", "member")


@dataclass(frozen=True, slots=True)
class Quota:
    per_day: int
    used_today: int
    total: int
    used_total: int
    resets_at: datetime


def _quota(uow: UnitOfWork, ch: ChallengeRow, project_id: int, now: datetime) -> Quota:
    day = quota_day(now, ch.spec.reset_time, ch.spec.reset_zone)
    counted = uow.challenges.entries(ch.id, project_id, [str(s) for s in COUNTED])
    today = sum(1 for e in counted if day.starts_at <= e.submitted_at < day.resets_at)
    return Quota(ch.spec.per_day, today, ch.spec.total, len(counted), day.resets_at)


def quota(svc: Services, who: Principal, challenge_id: int, project_id: int) -> Quota:
    require(who, *TEAM, *OFFICERS, scope=f"project:{project_id}")
    ch = get(svc, challenge_id)
    with svc.unit() as uow:
        return _quota(uow, ch, project_id, svc.clock())


def submit(svc: Services, who: Principal, challenge_id: int, project_id: int, model_ref: str,
           pricing: Pricing) -> EntryRow:  # fmt: skip
    require(who, *TEAM, scope=f"project:{project_id}")
    ch = get(svc, challenge_id)
    now = svc.clock()
    phase = phase_at(ch.spec.phases, now)
    if phase is None:
        raise Conflict(f"challenge {ch.spec.name!r} takes entries only during a phase "
                       f"({_phases(ch.spec.phases)}); it is now {now.isoformat()}")  # fmt: skip
    if project_id == ch.project_id:
        raise InputError("project_id", "the challenge's evaluation project is not a team")
    with svc.unit() as uow:
        funds = uow.projects.funds(project_id)
        if funds is None:
            raise NotFound("project", project_id)
        uow.challenges.lock_team(ch.id, project_id)
        used = _quota(uow, ch, project_id, now)
        day = quota_day(now, ch.spec.reset_time, ch.spec.reset_zone)
        check_quota(used.used_today, used.used_total, ch.spec.per_day, ch.spec.total, day, now)
        entry = uow.challenges.add_entry(
            NewEntry(ch.id, phase.name, project_id, who.user_id, model_ref, now)
        )
        return launch(svc, uow, ch, entry, who.user_id, pricing)


def _phases(phases: Sequence[Phase]) -> str:
    return "; ".join(f"{p.name} {p.starts_at.isoformat()} to {p.ends_at.isoformat()}"
                     for p in phases)  # fmt: skip


def entries(svc: Services, who: Principal, challenge_id: int,
            project_id: int | None) -> tuple[ChallengeRow, list[EntryRow], bool]:  # fmt: skip
    """A team's entries (its PI and members), or every entry (officers; ``project_id``
    None). The flag says whether the caller is an officer (who sees private scores)."""
    ch = get(svc, challenge_id)
    is_officer = officer(who, ch)
    if project_id is None and not is_officer:
        require(who, *OFFICERS, scope=officer_scope(ch.spec.program_id))
    if project_id is not None and not is_officer:
        require(who, *TEAM, scope=f"project:{project_id}")
    with svc.unit() as uow:
        return ch, uow.challenges.entries(ch.id, project_id), is_officer


def entry_of(svc: Services, ch: ChallengeRow, entry_id: int) -> EntryRow:
    with svc.unit() as uow:
        row = uow.challenges.entry(entry_id)
    if row is None or row.challenge_id != ch.id:
        raise NotFound("entry", entry_id)
    return row


def rerun(svc: Services, who: Principal, challenge_id: int, entry_id: int,
          pricing: Pricing) -> EntryRow:  # fmt: skip
    ch = get(svc, challenge_id)
    require(who, *OFFICERS, scope=officer_scope(ch.spec.program_id))
    now = svc.clock()
    with svc.unit() as uow:
        row = uow.challenges.entry(entry_id)
        if row is None or row.challenge_id != ch.id:
            raise NotFound("entry", entry_id)
        if row.state in LIVE:
            raise Conflict(f"entry {entry_id} is being evaluated ({row.state})")
        row = uow.challenges.change(row.id, EntryChange(attempt=0, clear_scores=True))
        audit.record(uow, who, now, "challenge.rerun", f"entry:{entry_id}")
        return launch(svc, uow, ch, row, who.user_id, pricing)


def disqualify(svc: Services, who: Principal, challenge_id: int, entry_id: int,
               reason: str) -> EntryRow:  # fmt: skip
    ch = get(svc, challenge_id)
    require(who, *OFFICERS, scope=officer_scope(ch.spec.program_id))
    if not reason.strip():
        raise InputError("reason", "a disqualification needs a reason")
    now = svc.clock()
    with svc.unit() as uow:
        row = uow.challenges.entry(entry_id)
        if row is None or row.challenge_id != ch.id:
            raise NotFound("entry", entry_id)
        why = Reason.of(Code.ENTRY_DISQUALIFIED, reason=reason, name=who.name)
        row = uow.challenges.change(row.id, EntryChange(
            disqualified_at=now, disqualified_reason=reason, reason=why))  # fmt: skip
        audit.record(uow, who, now, "challenge.disqualify", f"entry:{entry_id}", reason=reason)
        return row


# --- the leaderboard -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    rank: int
    team: int
    team_name: str
    entry_id: int
    submitted_at: datetime
    score: float
    metrics: dict[str, float]  # the shown split's
    public: dict[str, float] | None  # both, once the phase has closed
    private: dict[str, float] | None


@dataclass(frozen=True, slots=True)
class Board:
    challenge: ChallengeRow
    phase: Phase
    closed: bool
    split: str  # "public" while the phase is open, "private" after
    rows: list[Row]


def _phase(ch: ChallengeRow, name: str | None, now: datetime) -> Phase:
    phases = ch.spec.phases
    if name is not None:
        found = next((p for p in phases if p.name == name), None)
        if found is None:
            raise InputError("phase", f"no phase {name!r}; phases: "
                             f"{', '.join(p.name for p in phases)}")  # fmt: skip
        return found
    started = [p for p in phases if p.starts_at <= now]
    return started[-1] if started else phases[0]


def leaderboard(svc: Services, challenge_id: int, phase: str | None = None) -> Board:
    """The board of ``phase`` (default: the open phase, else the last one started)."""
    ch = get(svc, challenge_id)
    now = svc.clock()
    shown = _phase(ch, phase, now)
    closed = now >= shown.ends_at
    primary = ch.spec.primary_metric
    with svc.unit() as uow:
        rows = [e for e in uow.challenges.entries(ch.id, states=[EntryState.SCORED])
                if e.phase == shown.name and e.disqualified_at is None
                and primary in (e.public or {}) and primary in (e.private or {})]  # fmt: skip
        # (an entry scored before an edit added the primary metric is left out: rerun it)
        by_id = {e.id: e for e in rows}
        scored = [Scored(e.id, e.project_id, e.submitted_at, (e.public or {})[primary],
                         (e.private or {})[primary]) for e in rows]  # fmt: skip
        board = rank(scored, ch.spec.rule, ch.spec.direction, private=closed)
        names = {s.entry.team: _team_name(uow, s.entry.team) for s in board}
    out = [_row(s, by_id[s.entry.entry_id], names[s.entry.team], closed) for s in board]
    return Board(ch, shown, closed, "private" if closed else "public", out)


def _team_name(uow: UnitOfWork, project_id: int) -> str:
    proj = uow.awards.get_project(project_id)
    return proj.name if proj is not None else f"project {project_id}"


def _row(s: Standing, e: EntryRow, name: str, closed: bool) -> Row:
    public, private = dict(e.public or {}), dict(e.private or {})
    return Row(s.rank, e.project_id, name, e.id, e.submitted_at, s.score,
               private if closed else public, public if closed else None,
               private if closed else None)  # fmt: skip


def private_visible(ch: ChallengeRow, entry: EntryRow, now: datetime, is_officer: bool) -> bool:
    """Whether ``entry``'s private scores may be shown: to officers, or once its phase
    has closed."""
    if is_officer:
        return True
    phase = next((p for p in ch.spec.phases if p.name == entry.phase), None)
    return phase is not None and now >= phase.ends_at
