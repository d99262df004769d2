"""The challenges repository on SQLite, PostgreSQL and in memory: a challenge round-trips
(phases, metrics, limits, reset time), names are unique, entries are listed by team and
state in submission order, changes keep what they do not set, a rerun clears scores."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from nacc.domain.challenges import Direction, Metric, Phase, Rule
from nacc.domain.reasons import Code, Reason
from nacc.ports.pages import Conflict
from nacc.ports.store import Store
from nacc.ports.store_challenges import ChallengeSpec, EntryChange, NewEntry
from nacc.ports.store_people import AwardProjectSpec

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)


def _spec(program_id: int, name: str = "llm") -> ChallengeSpec:
    return ChallengeSpec(
        name=name, title="LLM eval", program_id=program_id,
        phases=(Phase("dev", NOW, NOW + timedelta(days=1)),
                Phase("final", NOW + timedelta(days=1), NOW + timedelta(days=2))),
        metrics=(Metric("acc", Direction.MAX), Metric("loss", Direction.MIN)),
        primary_metric="loss", command="python3 eval.py", test_data="/srv/hidden",
        per_day=3, total=10, reset_time=time(9, 30), reset_zone="Asia/Seoul",
        public_fraction=0.25, rule=Rule.LAST, accelerators=2, accelerator_types=("RNGD",),
        time_limit_s=120,
    )  # fmt: skip


def test_challenges_and_entries_round_trip(store: Store) -> None:
    with store.unit() as uow:
        prog = uow.programs.create_program("Global AI Challenge")
        user = uow.people.create_user("officer", "o@nacc.example", NOW)
        evaluation, team, other = (
            uow.awards.create_project(AwardProjectSpec(n, NOW, NOW + timedelta(days=30))).id
            for n in ("evaluation", "team", "other")
        )
        made = uow.challenges.add(_spec(prog.id), evaluation, user.id, NOW)
    with store.unit() as uow:
        got = uow.challenges.get(made.id)
        assert got == made and got.spec.direction is Direction.MIN
        assert got.spec.reset_time == time(9, 30) and got.spec.accelerator_types == ("RNGD",)
        assert [c.id for c in uow.challenges.listed(prog.id)] == [made.id]
        assert uow.challenges.listed(prog.id + 1) == []
    with pytest.raises(Conflict), store.unit() as uow:
        uow.challenges.add(_spec(prog.id), evaluation, user.id, NOW)
    with store.unit() as uow:
        renamed = replace(_spec(prog.id), title="new title", per_day=4)
        edited = uow.challenges.edit(made.id, renamed)
        assert edited is not None and edited.spec == renamed
        assert uow.challenges.edit(999, _spec(prog.id)) is None
        first = uow.challenges.add_entry(NewEntry(made.id, "dev", team, user.id, "m1", NOW))
        uow.challenges.add_entry(NewEntry(made.id, "dev", other, user.id, "m2",
                                          NOW + timedelta(seconds=1)))  # fmt: skip
        third = uow.challenges.add_entry(NewEntry(made.id, "dev", team, user.id, "m3",
                                                  NOW + timedelta(seconds=2)))  # fmt: skip
    with store.unit() as uow:
        assert [e.model_ref for e in uow.challenges.entries(made.id)] == ["m1", "m2", "m3"]
        assert [e.id for e in uow.challenges.entries(made.id, team)] == [first.id, third.id]
        assert first.state == "pending" and first.attempt == 0
        scored = uow.challenges.change(first.id, EntryChange(
            state="scored", attempt=1, job_id="j-1", public={"acc": 0.5, "loss": 1.0},
            private={"acc": 0.4, "loss": 1.2}, finished_at=NOW))  # fmt: skip
        assert scored.public == {"acc": 0.5, "loss": 1.0} and scored.job_id == "j-1"
        why = Reason.of(Code.ENTRY_DISQUALIFIED, reason="leak", name="officer")
        gone = EntryChange(disqualified_at=NOW, disqualified_reason="leak", reason=why)
        out = uow.challenges.change(first.id, gone)
        assert out.state == "scored" and out.private == {"acc": 0.4, "loss": 1.2}
        assert out.reason == why
    with store.unit() as uow:
        assert [e.id for e in uow.challenges.live_entries()] == [first.id + 1, third.id]
        assert [e.id for e in uow.challenges.entries(made.id, states=["scored"])] == [first.id]
        again = uow.challenges.change(first.id, EntryChange(attempt=0, clear_scores=True))
        assert again.public is None and again.reason is None and again.attempt == 0
        assert again.disqualified_reason == "leak" and again.job_id == "j-1"
