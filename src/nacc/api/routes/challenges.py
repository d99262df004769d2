"""Challenge tracks: officers create and edit challenges, teams submit entries, anyone
reads the public leaderboard (docs/programs.md, "Challenges")."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request, status
from fastapi.responses import JSONResponse

from nacc import i18n
from nacc.api.bounds import IdPath
from nacc.api.deps import CallerDep, ServicesDep
from nacc.api.lang import request_language
from nacc.api.problems import PUBLIC, READ, WRITE, declare, problem
from nacc.api.schemas_challenges import (
    BoardOut,
    BoardRowOut,
    ChallengeIn,
    ChallengeOut,
    ChallengeSettings,
    ChallengeSetupOut,
    DisqualifyIn,
    EntryIn,
    EntryOut,
    MetricOut,
    PhaseOut,
    QuotaOut,
)
from nacc.domain.challenges import Direction, Metric, Phase, QuotaExhausted, Rule
from nacc.ports.store_challenges import ChallengeRow, ChallengeSpec, EntryRow
from nacc.service import challenge_entries as entries
from nacc.service import challenges as use
from nacc.service.jobs import Pricing

router = APIRouter(tags=["challenges"])
SUBMIT = {**WRITE, **declare(402, 429)}
PhaseQ = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
ProjectQ = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a team's project")]


def _pricing(request: Request) -> Pricing:
    found: Pricing = request.app.state.pricing
    return found


def _spec(body: ChallengeSettings, name: str, program_id: int) -> ChallengeSpec:
    return ChallengeSpec(
        name=name, title=body.title, program_id=program_id,
        phases=tuple(Phase(p.name, p.starts_at, p.ends_at) for p in body.phases),
        metrics=tuple(Metric(m.name, Direction(m.direction)) for m in body.metrics),
        primary_metric=body.primary_metric, command=body.command, test_data=body.test_data,
        per_day=body.per_day, total=body.total, reset_time=time.fromisoformat(body.reset_time),
        reset_zone=body.reset_zone, public_fraction=body.public_fraction, rule=Rule(body.rule),
        accelerators=body.accelerators,
        accelerator_types=None if body.accelerator_types is None else tuple(body.accelerator_types),
        time_limit_s=body.time_limit_s,
    )  # fmt: skip


def _out(r: ChallengeRow) -> ChallengeOut:
    s = r.spec
    return ChallengeOut(
        id=r.id, name=s.name, title=s.title, program_id=s.program_id,
        phases=[PhaseOut(name=p.name, starts_at=p.starts_at, ends_at=p.ends_at) for p in s.phases],
        metrics=[MetricOut(name=m.name, direction=str(m.direction)) for m in s.metrics],
        primary_metric=s.primary_metric, per_day=s.per_day, total=s.total,
        reset_time=s.reset_time.strftime("%H:%M"), reset_zone=s.reset_zone,
        public_fraction=s.public_fraction, rule=str(s.rule),
    )  # fmt: skip


def _setup(r: ChallengeRow, balance: Decimal) -> ChallengeSetupOut:
    s = r.spec
    types = None if s.accelerator_types is None else list(s.accelerator_types)
    return ChallengeSetupOut(**_out(r).model_dump(), command=s.command, test_data=s.test_data,
                             accelerators=s.accelerators, accelerator_types=types,
                             time_limit_s=s.time_limit_s, project_id=r.project_id,
                             budget_balance=balance)  # fmt: skip


def _entry(e: EntryRow, private: bool, officer: bool, lang: str) -> EntryOut:
    reason = e.reason
    return EntryOut(
        id=e.id, challenge_id=e.challenge_id, phase=e.phase, project_id=e.project_id,
        model_ref=e.model_ref, state=e.state, attempt=e.attempt, submitted_at=e.submitted_at,
        finished_at=e.finished_at, public=None if e.public is None else dict(e.public),
        private=dict(e.private) if private and e.private is not None else None,
        reason_code=None if reason is None else reason.code,
        reason_params=None if reason is None else reason.args,
        reason=None if reason is None else i18n.render(reason, lang),
        disqualified_at=e.disqualified_at, disqualified_reason=e.disqualified_reason,
        job_id=e.job_id if officer else None,
    )  # fmt: skip


@router.post("/challenges", status_code=status.HTTP_201_CREATED, responses=WRITE)
def create(body: ChallengeIn, request: Request, svc: ServicesDep,
           who: CallerDep) -> ChallengeSetupOut:  # fmt: skip
    """Create a challenge of a program (its officers, operators); its evaluation budget
    is minted from funding into the challenge's evaluation project."""
    budget = Decimal(str(body.budget_credits)).quantize(Decimal("1e-9"))
    row = use.create(svc, who, _spec(body, body.name, body.program_id), budget, _pricing(request))
    return _setup(row, budget)


@router.get("/challenges", responses=PUBLIC)
def list_challenges(svc: ServicesDep, program_id: ProjectQ = None) -> list[ChallengeOut]:
    """Every challenge (no sign-in needed)."""
    return [_out(r) for r in use.listed(svc, program_id)]


@router.get("/challenges/{challenge_id}", responses=declare(404, 422))
def get_challenge(challenge_id: IdPath, svc: ServicesDep) -> ChallengeOut:
    """A challenge as anyone may see it (no sign-in needed)."""
    return _out(use.get(svc, challenge_id))


@router.get("/challenges/{challenge_id}/setup", responses=READ)
def get_setup(challenge_id: IdPath, svc: ServicesDep, who: CallerDep) -> ChallengeSetupOut:
    """The whole challenge, with its command and hidden test data (officers)."""
    return _setup(*use.setup(svc, who, challenge_id))


@router.put("/challenges/{challenge_id}", responses=WRITE)
def edit(challenge_id: IdPath, body: ChallengeSettings, request: Request, svc: ServicesDep,
         who: CallerDep) -> ChallengeSetupOut:  # fmt: skip
    """Replace a challenge's settings (officers); name and program stay."""
    use.edit(svc, who, challenge_id, _spec(body, "", 0), _pricing(request))
    return _setup(*use.setup(svc, who, challenge_id))


@router.post("/challenges/{challenge_id}/entries", status_code=status.HTTP_201_CREATED,
             responses=SUBMIT)  # fmt: skip
def submit(challenge_id: IdPath, body: EntryIn, request: Request, svc: ServicesDep,
           who: CallerDep) -> EntryOut:  # fmt: skip
    """Submit an entry (the team's PI or members) during an open phase. Over the day's
    quota: 429 with ``Retry-After`` and ``params.resets_at``; over the total: 409."""
    row = entries.submit(svc, who, challenge_id, body.project_id, body.model_ref,
                         _pricing(request))  # fmt: skip
    return _entry(row, False, False, request_language(request))


@router.get("/challenges/{challenge_id}/entries", responses=READ)
def list_entries(challenge_id: IdPath, request: Request, svc: ServicesDep, who: CallerDep,
                 project_id: ProjectQ = None) -> list[EntryOut]:  # fmt: skip
    """A team's entries (its PI, members) or every entry (officers, without
    ``project_id``); private scores only to officers or after the phase closes."""
    ch, rows, officer = entries.entries(svc, who, challenge_id, project_id)
    now, lang = svc.clock(), request_language(request)
    return [_entry(e, entries.private_visible(ch, e, now, officer), officer, lang) for e in rows]


@router.get("/challenges/{challenge_id}/quota", responses=READ)
def get_quota(challenge_id: IdPath, svc: ServicesDep, who: CallerDep,
              project_id: Annotated[int, Query(ge=1, le=2**31 - 1)]) -> QuotaOut:  # fmt: skip
    """What a team has used today and in all, and when the day's quota resets."""
    q = entries.quota(svc, who, challenge_id, project_id)
    return QuotaOut(per_day=q.per_day, used_today=q.used_today, total=q.total,
                    used_total=q.used_total, resets_at=q.resets_at)  # fmt: skip


@router.post("/challenges/{challenge_id}/entries/{entry_id}/rerun", responses={**WRITE,
             **declare(402)})  # fmt: skip
def rerun(challenge_id: IdPath, entry_id: IdPath, request: Request, svc: ServicesDep,
          who: CallerDep) -> EntryOut:  # fmt: skip
    """Evaluate an entry again (officers); it uses no more of the team's quota."""
    row = entries.rerun(svc, who, challenge_id, entry_id, _pricing(request))
    return _entry(row, True, True, request_language(request))


@router.post("/challenges/{challenge_id}/entries/{entry_id}/disqualify", responses=WRITE)
def disqualify(challenge_id: IdPath, entry_id: IdPath, body: DisqualifyIn, request: Request,
               svc: ServicesDep, who: CallerDep) -> EntryOut:  # fmt: skip
    """Disqualify an entry with a reason (officers): it leaves the leaderboard."""
    row = entries.disqualify(svc, who, challenge_id, entry_id, body.reason)
    return _entry(row, True, True, request_language(request))


@router.get("/challenges/{challenge_id}/leaderboard", responses=declare(404, 422))
def leaderboard(challenge_id: IdPath, svc: ServicesDep, phase: PhaseQ = None) -> BoardOut:
    """The public leaderboard (no sign-in needed): public scores while the phase is
    open, ranked by private scores once it has closed."""
    b = entries.leaderboard(svc, challenge_id, phase)
    s = b.challenge.spec
    rows = [BoardRowOut(rank=r.rank, team=r.team, team_name=r.team_name, entry_id=r.entry_id,
                        submitted_at=r.submitted_at, score=r.score, metrics=r.metrics,
                        public=r.public, private=r.private) for r in b.rows]  # fmt: skip
    return BoardOut(challenge_id=b.challenge.id, name=s.name, title=s.title, phase=b.phase.name,
                    phase_starts_at=b.phase.starts_at, phase_ends_at=b.phase.ends_at,
                    closed=b.closed, split=b.split,
                    primary_metric=s.primary_metric, direction=str(s.direction),
                    rule=str(s.rule), rows=rows)  # fmt: skip


def install(app: FastAPI) -> None:
    """Answer ``QuotaExhausted`` with 429, ``Retry-After`` and the reset time."""

    async def over_quota(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, QuotaExhausted)
        lang = request_language(request)
        reason = exc.reason
        detail = str(exc) if lang == i18n.DEFAULT_LANGUAGE else i18n.message(reason, lang)
        response = problem(429, "challenge-quota", i18n.title(reason, lang), detail or str(exc),
                           code=exc.code, params=exc.params)  # fmt: skip
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

    app.add_exception_handler(QuotaExhausted, over_quota)
