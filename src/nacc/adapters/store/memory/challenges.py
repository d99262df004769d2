"""The challenges repository in memory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from nacc.domain.challenges import LIVE
from nacc.ports.pages import Conflict
from nacc.ports.store_challenges import ChallengeRow, ChallengeSpec, EntryChange, EntryRow, NewEntry


@dataclass
class ChallengesTables:
    challenges: dict[int, ChallengeRow] = field(default_factory=dict)
    entries: dict[int, EntryRow] = field(default_factory=dict)


class MemChallenges:
    def __init__(self, tables: ChallengesTables) -> None:
        self.t = tables

    def add(self, spec: ChallengeSpec, project_id: int, by: int, at: datetime) -> ChallengeRow:
        if any(c.spec.name == spec.name for c in self.t.challenges.values()):
            raise Conflict(f"challenge {spec.name!r}", "already exists")  # the SQL unique key
        row = ChallengeRow(len(self.t.challenges) + 1, spec, project_id, by, at)
        self.t.challenges[row.id] = row
        return row

    def get(self, challenge_id: int) -> ChallengeRow | None:
        return self.t.challenges.get(challenge_id)

    def listed(self, program_id: int | None = None) -> list[ChallengeRow]:
        rows = sorted(self.t.challenges.values(), key=lambda c: c.id)
        return [c for c in rows if program_id is None or c.spec.program_id == program_id]

    def edit(self, challenge_id: int, spec: ChallengeSpec) -> ChallengeRow | None:
        row = self.t.challenges.get(challenge_id)
        if row is not None:
            row = self.t.challenges[challenge_id] = replace(row, spec=spec)
        return row

    def lock_team(self, challenge_id: int, project_id: int) -> None:
        return None  # units are serialised already

    def add_entry(self, new: NewEntry) -> EntryRow:
        row = EntryRow(len(self.t.entries) + 1, new.challenge_id, new.phase, new.project_id,
                       new.submitted_by, new.model_ref, new.submitted_at, "pending")  # fmt: skip
        self.t.entries[row.id] = row
        return row

    def entry(self, entry_id: int) -> EntryRow | None:
        return self.t.entries.get(entry_id)

    def entries(self, challenge_id: int, project_id: int | None = None,
                states: Iterable[str] | None = None) -> list[EntryRow]:  # fmt: skip
        wanted = None if states is None else set(states)
        rows = [e for e in self.t.entries.values() if e.challenge_id == challenge_id
                and (project_id is None or e.project_id == project_id)
                and (wanted is None or e.state in wanted)]  # fmt: skip
        return sorted(rows, key=lambda e: (e.submitted_at, e.id))

    def live_entries(self) -> list[EntryRow]:
        return sorted((e for e in self.t.entries.values() if e.state in LIVE),
                      key=lambda e: e.id)  # fmt: skip

    def change(self, entry_id: int, change: EntryChange) -> EntryRow:
        row = self.t.entries[entry_id]
        if change.clear_scores:
            row = replace(row, public=None, private=None, reason=None, finished_at=None)
        names = ("state", "attempt", "job_id", "metrics_path", "public", "private", "reason",
                 "finished_at", "disqualified_at", "disqualified_reason")  # fmt: skip
        fields = {k: getattr(change, k) for k in names if getattr(change, k) is not None}
        row = self.t.entries[entry_id] = replace(row, **fields)
        return row
