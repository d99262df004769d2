"""The challenges repository on SQL (``challenges``, ``challenge_entries``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store.repos import insert
from nacc.adapters.store.tables import Project
from nacc.adapters.store.tables_challenges import Challenge, ChallengeEntry
from nacc.domain.challenges import LIVE, Rule
from nacc.domain.reasons import Reason
from nacc.ports.store_challenges import (
    ChallengeRow,
    ChallengeSpec,
    EntryChange,
    EntryRow,
    NewEntry,
    metrics_of,
    phases_of,
    spec_doc,
)


def _spec(r: Challenge) -> ChallengeSpec:
    types = None if r.accelerator_types is None else tuple(str(t) for t in r.accelerator_types)
    return ChallengeSpec(
        r.name, r.title, r.program_id, phases_of(r.phases), metrics_of(r.metrics),
        r.primary_metric, r.command, r.test_data, r.per_day, r.total,
        time.fromisoformat(r.reset_time), r.reset_zone, r.public_fraction, Rule(r.rule),
        r.accelerators, types, r.time_limit_s,
    )  # fmt: skip


def _challenge(r: Challenge) -> ChallengeRow:
    return ChallengeRow(r.id, _spec(r), r.project_id, r.created_by, r.created_at)


def _fill(rec: Challenge, spec: ChallengeSpec) -> None:
    doc = spec_doc(spec)
    rec.name, rec.title, rec.program_id = spec.name, spec.title, spec.program_id
    rec.phases, rec.metrics, rec.primary_metric = doc["phases"], doc["metrics"], spec.primary_metric
    rec.command, rec.test_data = spec.command, spec.test_data
    rec.per_day, rec.total = spec.per_day, spec.total
    rec.reset_time, rec.reset_zone = spec.reset_time.strftime("%H:%M"), spec.reset_zone
    rec.public_fraction, rec.rule = spec.public_fraction, str(spec.rule)
    rec.accelerators, rec.time_limit_s = spec.accelerators, spec.time_limit_s
    rec.accelerator_types = None if spec.accelerator_types is None else list(spec.accelerator_types)


def _entry(r: ChallengeEntry) -> EntryRow:
    reason = None
    if r.reason_code is not None:
        reason = Reason.from_json({"code": r.reason_code, "params": r.reason_params or {}})
    return EntryRow(
        r.id, r.challenge_id, r.phase, r.project_id, r.submitted_by, r.model_ref,
        r.submitted_at, r.state, r.attempt, r.job_id, r.metrics_path, r.public, r.private,
        reason, r.finished_at, r.disqualified_at, r.disqualified_reason,
    )  # fmt: skip


class SqlChallenges:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, spec: ChallengeSpec, project_id: int, by: int, at: datetime) -> ChallengeRow:
        rec = Challenge(project_id=project_id, created_by=by, created_at=at)
        _fill(rec, spec)
        return _challenge(insert(self.session, rec, f"challenge {spec.name!r}"))

    def get(self, challenge_id: int) -> ChallengeRow | None:
        rec = self.session.get(Challenge, challenge_id)
        return None if rec is None else _challenge(rec)

    def listed(self, program_id: int | None = None) -> list[ChallengeRow]:
        q = sa.select(Challenge).order_by(Challenge.id)
        if program_id is not None:
            q = q.where(Challenge.program_id == program_id)
        return [_challenge(r) for r in self.session.scalars(q)]

    def edit(self, challenge_id: int, spec: ChallengeSpec) -> ChallengeRow | None:
        rec = self.session.get(Challenge, challenge_id, with_for_update=True)
        if rec is None:
            return None
        _fill(rec, spec)
        self.session.flush()
        return _challenge(rec)

    def lock_team(self, challenge_id: int, project_id: int) -> None:
        self.session.get(Project, project_id, with_for_update=True)

    def add_entry(self, new: NewEntry) -> EntryRow:
        rec = ChallengeEntry(
            challenge_id=new.challenge_id, phase=new.phase, project_id=new.project_id,
            submitted_by=new.submitted_by, model_ref=new.model_ref,
            submitted_at=new.submitted_at, state="pending", attempt=0,
        )  # fmt: skip
        return _entry(insert(self.session, rec, "entry"))

    def entry(self, entry_id: int) -> EntryRow | None:
        rec = self.session.get(ChallengeEntry, entry_id)
        return None if rec is None else _entry(rec)

    def entries(self, challenge_id: int, project_id: int | None = None,
                states: Iterable[str] | None = None) -> list[EntryRow]:  # fmt: skip
        q = sa.select(ChallengeEntry).where(ChallengeEntry.challenge_id == challenge_id)
        if project_id is not None:
            q = q.where(ChallengeEntry.project_id == project_id)
        if states is not None:
            q = q.where(ChallengeEntry.state.in_(list(states)))
        q = q.order_by(ChallengeEntry.submitted_at, ChallengeEntry.id)
        return [_entry(r) for r in self.session.scalars(q)]

    def live_entries(self) -> list[EntryRow]:
        q = sa.select(ChallengeEntry).where(ChallengeEntry.state.in_([str(s) for s in LIVE]))
        return [_entry(r) for r in self.session.scalars(q.order_by(ChallengeEntry.id))]

    def change(self, entry_id: int, change: EntryChange) -> EntryRow:
        rec = self.session.get(ChallengeEntry, entry_id, with_for_update=True)
        if rec is None:
            raise LookupError(f"no entry {entry_id}")
        if change.clear_scores:
            rec.public = rec.private = rec.reason_code = rec.reason_params = None
            rec.finished_at = None
        for name in ("state", "attempt", "job_id", "metrics_path", "public", "private",
                     "finished_at", "disqualified_at", "disqualified_reason"):  # fmt: skip
            value = getattr(change, name)
            if value is not None:
                setattr(rec, name, dict(value) if name in ("public", "private") else value)
        if change.reason is not None:
            rec.reason_code, rec.reason_params = change.reason.code, change.reason.args
        self.session.flush()
        return _entry(rec)
