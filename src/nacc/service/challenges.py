"""Challenge tracks, the officer's side: create, edit, read.

A challenge belongs to a program; its officers (``program_officer`` global or scoped
``program:<id>``, and operators) create and edit it. Creating one also creates its
**evaluation project** ``challenge <name> evaluation`` and funds it: ``budget_credits``
are minted into ``program:challenge-<id>`` (a ``funding`` entry, cause
``fund:challenge:<id>``) and awarded at once to the evaluation project (an ``award``
entry, cause ``challenge:<id>:evaluation-budget``). Every evaluation runs as a job of
that project, so it is metered and charged like any job, to the challenge's program and
never to the team. Entries and evaluations: ``nacc.service.challenge_entries`` and
``nacc.service.challenge_runs``.

The command and the hidden test data's path are shown only to officers (``setup``).
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nacc.domain.challenges import check_phases
from nacc.domain.errors import InputError, NotFound
from nacc.ledger.accounts import FUNDING, EntryKind, program, project
from nacc.ports.store import UnitOfWork
from nacc.ports.store_challenges import ChallengeRow, ChallengeSpec
from nacc.ports.store_people import AwardProjectSpec
from nacc.service import audit, award_ledger
from nacc.service.auth import Principal, require
from nacc.service.context import Services
from nacc.service.jobs import Pricing
from nacc.service.programs import OFFICERS, duplicate_is_conflict, officer_scope

EVALUATION_CLASS = "inference"  # so every inference accelerator, the NPUs too, qualifies
VALID_AFTER_LAST_PHASE = timedelta(days=365)  # reruns after the last phase still run


def budget_account(challenge_id: int) -> str:
    return program(f"challenge-{challenge_id}").key


def check_spec(spec: ChallengeSpec, pricing: Pricing) -> None:
    """Refuse a spec that cannot run (naming the field)."""
    problem = check_phases(spec.phases)
    if problem is not None:
        raise InputError("body.phases", problem)
    names = [m.name for m in spec.metrics]
    if len(set(names)) != len(names):
        raise InputError("body.metrics", "metric names must be distinct")
    if spec.primary_metric not in names:
        raise InputError("body.primary_metric",
                         f"{spec.primary_metric!r} is not one of the metrics {names}")  # fmt: skip
    if spec.total < spec.per_day:
        raise InputError("body.total", f"must be at least per_day ({spec.per_day})")
    try:
        ZoneInfo(spec.reset_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError("body.reset_zone", f"unknown time zone {spec.reset_zone!r} "
                         "(an IANA name such as Asia/Seoul)") from None  # fmt: skip
    if not os.path.isabs(spec.test_data) or not os.path.exists(spec.test_data):
        raise InputError("body.test_data",
                         f"{spec.test_data!r} is not an absolute path that exists on the "
                         "service host")  # fmt: skip
    if pricing.worst_rate(EVALUATION_CLASS, spec.accelerator_types) is None:
        raise InputError("body.accelerator_types",
                         f"no accelerator of {list(spec.accelerator_types or ['any'])} in "
                         f"this fleet runs {EVALUATION_CLASS}")  # fmt: skip


def create(svc: Services, who: Principal, spec: ChallengeSpec, budget: Decimal,
           pricing: Pricing) -> ChallengeRow:  # fmt: skip
    require(who, *OFFICERS, scope=officer_scope(spec.program_id))
    check_spec(spec, pricing)
    now = svc.clock()
    with svc.unit() as uow, duplicate_is_conflict():
        if uow.programs.get_program(spec.program_id) is None:
            raise NotFound("program", spec.program_id)
        until = max(p.ends_at for p in spec.phases) + VALID_AFTER_LAST_PHASE
        proj = uow.awards.create_project(
            AwardProjectSpec(f"challenge {spec.name} evaluation", now, until)
        )
        row = uow.challenges.add(spec, proj.id, who.user_id, now)
        _fund(uow, row, budget, now)
        audit.record(uow, who, now, "challenge.create", f"challenge:{row.id}",
                     program_id=spec.program_id, budget=str(budget))  # fmt: skip
        return row


def _fund(uow: UnitOfWork, row: ChallengeRow, budget: Decimal, now: datetime) -> None:
    account, team = budget_account(row.id), project(str(row.project_id)).key
    award_ledger.open_account(uow, FUNDING.key, "funding", None)
    award_ledger.open_account(uow, account, "program", Decimal(0))
    award_ledger.open_account(uow, team, "project", Decimal(0))
    if budget <= 0:
        return
    memo = f"evaluation budget of challenge {row.id} {row.spec.name!r}"
    award_ledger.post(uow, EntryKind.FUNDING, f"fund:challenge:{row.id}", now, memo,
                      [(FUNDING.key, -budget), (account, budget)])  # fmt: skip
    award_ledger.post(uow, EntryKind.AWARD, f"challenge:{row.id}:evaluation-budget", now,
                      memo, [(account, -budget), (team, budget)])  # fmt: skip


def edit(svc: Services, who: Principal, challenge_id: int, spec: ChallengeSpec,
         pricing: Pricing) -> ChallengeRow:  # fmt: skip
    """Replace the challenge's settings (its name and program stay)."""
    old = get(svc, challenge_id)
    require(who, *OFFICERS, scope=officer_scope(old.spec.program_id))
    spec = replace(spec, name=old.spec.name, program_id=old.spec.program_id)
    check_spec(spec, pricing)
    now = svc.clock()
    with svc.unit() as uow:
        row = uow.challenges.edit(challenge_id, spec)
        if row is None:
            raise NotFound("challenge", challenge_id)
        audit.record(uow, who, now, "challenge.edit", f"challenge:{row.id}")
        return row


def get(svc: Services, challenge_id: int) -> ChallengeRow:
    with svc.unit() as uow:
        row = uow.challenges.get(challenge_id)
    if row is None:
        raise NotFound("challenge", challenge_id)
    return row


def setup(svc: Services, who: Principal, challenge_id: int) -> tuple[ChallengeRow, Decimal]:
    """The whole challenge (command, test data) and what is left of its evaluation
    budget: officers only."""
    row = get(svc, challenge_id)
    require(who, *OFFICERS, scope=officer_scope(row.spec.program_id))
    with svc.unit() as uow:
        return row, award_ledger.balance(uow, project(str(row.project_id)).key)


def listed(svc: Services, program_id: int | None = None) -> list[ChallengeRow]:
    with svc.unit() as uow:
        return uow.challenges.listed(program_id)


def officer(who: Principal | None, row: ChallengeRow) -> bool:
    return who is not None and any(who.has(r, officer_scope(row.spec.program_id)) for r in OFFICERS)
