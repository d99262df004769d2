"""Challenge use cases on the in-memory store, the evaluation jobs moved by hand (no
scheduler): the evaluation budget bounds how many evaluations may wait (402, nothing
stored), a lost evaluation is launched again as attempt 2 and then scored from the file
the job was told to write, and a metrics file replaced by a link is not read."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from nacc.adapters.store.memory import MemoryStore
from nacc.domain.challenges import Direction, Metric, Phase, Rule
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Code, Reason
from nacc.ledger.accounts import InsufficientCredits
from nacc.ports.store_challenges import ChallengeSpec, EntryRow
from nacc.ports.store_jobs import JobChange
from nacc.ports.store_people import AwardProjectSpec
from nacc.service import challenge_entries, challenge_runs, challenges
from nacc.service.auth import Principal
from nacc.service.context import Services
from nacc.service.jobs import Pricing

NOW = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)
PRICING = Pricing({("H100-SXM", "inference"): 1.0})
World = tuple[Services, Principal, Principal, int, int]


@pytest.fixture
def world(tmp_path: Path) -> World:
    svc = Services(None, lambda: NOW, workdir=tmp_path / "jobs", store=MemoryStore())
    with svc.unit() as uow:
        prog = uow.programs.create_program("Global AI Challenge")
        ops = uow.people.create_user("ops", "ops@nacc.example", NOW)
        pi = uow.people.create_user("pi", "pi@uni.example", NOW)
        team = uow.awards.create_project(AwardProjectSpec("team", NOW, NOW + timedelta(days=9)))
    data = tmp_path / "hidden"
    data.write_text("hidden")
    spec = ChallengeSpec(
        name="llm", title="LLM", program_id=prog.id,
        phases=(Phase("final", NOW - timedelta(hours=1), NOW + timedelta(days=1)),),
        metrics=(Metric("acc", Direction.MAX),), primary_metric="acc", command="evaluate",
        test_data=str(data), per_day=9, total=9, reset_time=time(0), reset_zone="Asia/Seoul",
        public_fraction=0.5, rule=Rule.BEST, time_limit_s=1800,
    )  # fmt: skip
    officer = Principal(ops.id, "ops", None, frozenset({("operator", "")}))
    member = Principal(pi.id, "pi", None, frozenset({("pi", f"project:{team.id}")}))
    row = challenges.create(svc, officer, spec, Decimal(1), PRICING)  # two half-hour runs
    return svc, officer, member, row.id, team.id


def _end(svc: Services, entry: EntryRow, state: JobState, reason: Reason) -> None:
    assert entry.job_id is not None
    with svc.unit() as uow:
        uow.jobs.transition(entry.job_id, JobChange(JobState.RUNNING, NOW, Reason(Code.STARTED)))
        uow.jobs.transition(entry.job_id, JobChange(state, NOW, reason))


def test_budget_lost_retry_and_scores(
    world: tuple[Services, Principal, Principal, int, int],
) -> None:
    svc, _, member, ch, team = world
    first = challenge_entries.submit(svc, member, ch, team, "model-a", PRICING)
    second = challenge_entries.submit(svc, member, ch, team, "model-b", PRICING)
    with pytest.raises(InsufficientCredits):  # 2 x 0.5 credits held: the budget is spent
        challenge_entries.submit(svc, member, ch, team, "model-c", PRICING)
    with svc.unit() as uow:
        assert len(uow.challenges.entries(ch)) == 2  # the refused one left nothing
        job = uow.jobs.get(first.job_id or "")
    assert job is not None and job.job_class == "inference" and job.project_id != team
    assert "NACC_METRICS_FILE=" in job.command and "NACC_MODEL_REF=model-a" in job.command
    _end(svc, first, JobState.FAILED, Reason(Code.LOST))
    assert challenge_runs.settle(svc, PRICING) == 1
    with svc.unit() as uow:
        retried = uow.challenges.entry(first.id)
    assert retried is not None and retried.attempt == 2 and retried.job_id != first.job_id
    assert retried.state == "pending"
    Path(retried.metrics_path or "").write_text(json.dumps(
        {"public": {"acc": 0.7}, "private": {"acc": 0.6}}))  # fmt: skip
    _end(svc, retried, JobState.COMPLETED, Reason(Code.COMPLETED))
    # the second entry's metrics file is a link to another file: not read
    target = Path(retried.metrics_path or "").parent / "elsewhere.json"
    target.write_text('{"public": {"acc": 1}, "private": {"acc": 1}}')
    os.symlink(target, second.metrics_path or "")
    _end(svc, second, JobState.COMPLETED, Reason(Code.COMPLETED))
    assert challenge_runs.settle(svc, PRICING) == 2
    with svc.unit() as uow:
        scored = uow.challenges.entry(first.id)
        linked = uow.challenges.entry(second.id)
    assert scored is not None and scored.state == "scored" and scored.public == {"acc": 0.7}
    assert linked is not None and linked.state == "invalid"
    assert linked.reason is not None and "link" in str(linked.reason.get("problem"))
    board = challenge_entries.leaderboard(svc, ch)
    assert [(r.rank, r.team, r.score) for r in board.rows] == [(1, team, 0.7)]
    assert board.split == "public" and board.rows[0].private is None
