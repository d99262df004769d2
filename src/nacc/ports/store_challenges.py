"""The challenges repository: challenge tracks (``challenges``) and their entries
(``challenge_entries``).

Rows are frozen views; phases and metrics are stored as lists of plain dicts and turned
into ``nacc.domain.challenges`` values here. An entry's scores are ``{metric: value}``
per split (None until scored); its ``reason`` is the coded reason of its last verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Protocol

from nacc.domain.challenges import Direction, Metric, Phase, Rule
from nacc.domain.reasons import Reason


@dataclass(frozen=True, slots=True)
class ChallengeSpec:
    """What an officer sets (created or edited as a whole)."""

    name: str
    title: str
    program_id: int
    phases: tuple[Phase, ...]
    metrics: tuple[Metric, ...]
    primary_metric: str
    command: str
    test_data: str  # a path on the service host, given to the evaluator, never to teams
    per_day: int
    total: int
    reset_time: time
    reset_zone: str
    public_fraction: float
    rule: Rule
    accelerators: int = 1
    accelerator_types: tuple[str, ...] | None = None
    time_limit_s: int = 600

    @property
    def direction(self) -> Direction:
        return next(m.direction for m in self.metrics if m.name == self.primary_metric)


@dataclass(frozen=True, slots=True)
class ChallengeRow:
    id: int
    spec: ChallengeSpec
    project_id: int  # the evaluation project: its jobs are the challenge's, charged to it
    created_by: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewEntry:
    challenge_id: int
    phase: str
    project_id: int
    submitted_by: int
    model_ref: str
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class EntryRow:
    id: int
    challenge_id: int
    phase: str
    project_id: int
    submitted_by: int
    model_ref: str
    submitted_at: datetime
    state: str
    attempt: int = 0
    job_id: str | None = None
    metrics_path: str | None = None
    public: Mapping[str, float] | None = None
    private: Mapping[str, float] | None = None
    reason: Reason | None = None
    finished_at: datetime | None = None
    disqualified_at: datetime | None = None
    disqualified_reason: str | None = None


@dataclass(frozen=True, slots=True)
class EntryChange:
    """A change of an entry; unset fields stay as they are (``clear_scores`` empties
    scores and reason, for a rerun)."""

    state: str | None = None
    attempt: int | None = None
    job_id: str | None = None
    metrics_path: str | None = None
    public: Mapping[str, float] | None = None
    private: Mapping[str, float] | None = None
    reason: Reason | None = None
    finished_at: datetime | None = None
    disqualified_at: datetime | None = None
    disqualified_reason: str | None = None
    clear_scores: bool = False


class ChallengesRepo(Protocol):
    def add(self, spec: ChallengeSpec, project_id: int, by: int, at: datetime) -> ChallengeRow:
        """Store a challenge (its name is unique: ``nacc.ports.pages.Conflict`` if taken)."""
        ...

    def get(self, challenge_id: int) -> ChallengeRow | None: ...

    def listed(self, program_id: int | None = None) -> list[ChallengeRow]: ...

    def edit(self, challenge_id: int, spec: ChallengeSpec) -> ChallengeRow | None: ...

    def lock_team(self, challenge_id: int, project_id: int) -> None:
        """Hold the team's project row until the unit ends: two submissions of one
        team are counted one after the other."""
        ...

    def add_entry(self, new: NewEntry) -> EntryRow: ...

    def entry(self, entry_id: int) -> EntryRow | None: ...

    def entries(self, challenge_id: int, project_id: int | None = None,
                states: Iterable[str] | None = None) -> list[EntryRow]:  # fmt: skip
        """Entries by submission (then id), optionally one team's or in some states."""
        ...

    def live_entries(self) -> list[EntryRow]:
        """Every pending or running entry of every challenge (what ``settle`` reads)."""
        ...

    def change(self, entry_id: int, change: EntryChange) -> EntryRow: ...


def spec_doc(spec: ChallengeSpec) -> dict[str, Any]:
    """The spec's phases and metrics as the JSON columns hold them."""
    return {
        "phases": [{"name": p.name, "starts_at": p.starts_at.isoformat(),
                    "ends_at": p.ends_at.isoformat()} for p in spec.phases],
        "metrics": [{"name": m.name, "direction": str(m.direction)} for m in spec.metrics],
    }  # fmt: skip


def phases_of(doc: Sequence[Mapping[str, Any]]) -> tuple[Phase, ...]:
    return tuple(Phase(str(p["name"]), datetime.fromisoformat(p["starts_at"]),
                       datetime.fromisoformat(p["ends_at"])) for p in doc)  # fmt: skip


def metrics_of(doc: Sequence[Mapping[str, Any]]) -> tuple[Metric, ...]:
    return tuple(Metric(str(m["name"]), Direction(m["direction"])) for m in doc)
