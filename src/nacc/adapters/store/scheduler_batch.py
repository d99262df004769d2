"""One scheduler tick's writes worked out in memory, for both store adapters.

Given the stored state of the jobs a tick touches (``Stored``, read once, locked on
PostgreSQL) and which of its charges were posted now, ``plan_tick`` says what to write:
each touched job's final column values (several moves of one job in a tick fold into one
row update), the ``job_events`` rows, the changes of projects' committed credits, and the
moves refused. The SQL adapter turns the plan into a few batched statements; the
in-memory adapter applies it to its rows. Rules (``nacc.ports.store_scheduler``): a
posted charge draws the job's reservation down by its credits, never below zero; a move
must start from the job's current state along the lifecycle table; a move to an end
state releases what is left of the reservation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from nacc.domain.errors import InvalidTransition
from nacc.domain.lifecycle import TERMINAL, JobState, check
from nacc.ports.store_scheduler import Charge, Move, TickResult

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Stored:
    """The columns of a job row that a tick's writes read or change."""

    id: str
    project_id: int
    state: JobState
    reserved_credits: Decimal
    pool_id: str | None = None
    device_ids: tuple[str, ...] | None = None
    exit_code: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    log_path: str | None = None
    reason: str = ""
    reason_code: str = ""
    reason_params: Mapping[str, Any] | None = None


@dataclass
class TickPlan:
    """What to write: ``moved`` (final rows of jobs that changed state), ``drawn_only``
    (new reservations of jobs only charged), ``events`` rows, ``committed`` (project id →
    change of its committed credits, negative)."""

    moved: dict[str, Stored] = field(default_factory=dict)
    drawn_only: dict[str, Decimal] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    committed: dict[int, Decimal] = field(default_factory=dict)
    drawn: Decimal = ZERO
    released: Decimal = ZERO
    refused: list[tuple[Move, str]] = field(default_factory=list)

    def result(self, posted: Iterable[str]) -> TickResult:
        return TickResult(tuple(posted), self.drawn, self.released, tuple(self.refused))


def touched(moves: Sequence[Move], charges: Sequence[Charge]) -> list[str]:
    """The ids of the jobs a tick writes, sorted (the order rows are locked in)."""
    return sorted({m.job_id for m in moves} | {c.job_id for c in charges})


def plan_tick(
    stored: Mapping[str, Stored], moves: Sequence[Move], posted: Sequence[Charge]
) -> TickPlan:
    """The writes of one tick: ``posted`` are the charges written now (not retries)."""
    plan = TickPlan()
    rows = dict(stored)
    for charge in posted:
        _draw(plan, rows, charge)
    for move in moves:
        _move(plan, rows, move)
    for job_id, row in rows.items():
        if row is stored.get(job_id):
            continue
        if job_id in plan.moved:
            plan.moved[job_id] = row
        else:
            plan.drawn_only[job_id] = row.reserved_credits
    return plan


def _draw(plan: TickPlan, rows: dict[str, Stored], charge: Charge) -> None:
    row = rows.get(charge.job_id)
    if row is None:
        return
    drawn = min(row.reserved_credits, max(ZERO, charge.credits))
    if drawn:
        rows[row.id] = dataclasses.replace(row, reserved_credits=row.reserved_credits - drawn)
        _commit(plan, row.project_id, -drawn)
        plan.drawn += drawn


def _commit(plan: TickPlan, project_id: int, change: Decimal) -> None:
    plan.committed[project_id] = plan.committed.get(project_id, ZERO) + change


def _move(plan: TickPlan, rows: dict[str, Stored], move: Move) -> None:
    row = rows.get(move.job_id)
    why = _refusal(row, move)
    if why is not None:
        plan.refused.append((move, why))
        return
    assert row is not None
    new = _applied(row, move)
    if move.dst in TERMINAL and row.reserved_credits:  # release what it did not spend
        _commit(plan, row.project_id, -row.reserved_credits)
        plan.released += row.reserved_credits
    rows[row.id] = new
    plan.moved[row.id] = new
    plan.events.append(_event(move))


def _refusal(row: Stored | None, move: Move) -> str | None:
    if row is None:
        return f"no job {move.job_id!r}"
    if row.state is not move.src:
        return f"job {move.job_id} is {row.state.value}, not {move.src.value}"
    try:
        check(move.src, move.dst)
    except InvalidTransition as error:
        return str(error)
    return None


def _applied(row: Stored, move: Move) -> Stored:
    """``row`` after ``move`` (built directly: ``dataclasses.replace`` cost more, per job
    and tick, than the rest of the plan)."""
    started = move.dst is JobState.RUNNING and row.started_at is None
    ended = move.dst in TERMINAL
    return Stored(
        id=row.id,
        project_id=row.project_id,
        state=move.dst,
        reserved_credits=ZERO if ended else row.reserved_credits,  # an end releases it
        pool_id=row.pool_id if move.pool_id is None else move.pool_id,
        device_ids=row.device_ids if move.device_ids is None else move.device_ids,
        exit_code=row.exit_code if move.exit_code is None else move.exit_code,
        started_at=move.at if started else row.started_at,
        finished_at=move.at if ended else row.finished_at,
        log_path=row.log_path if move.log_path is None else move.log_path,
        reason=move.text,
        reason_code=move.reason.code,
        reason_params=dict(move.reason.params) or None,
    )


def _event(move: Move) -> dict[str, Any]:
    return {
        "job_id": move.job_id,
        "at": move.at,
        "src": move.src.value,
        "dst": move.dst.value,
        "cause": move.text,
        "code": move.reason.code,
        "params": move.reason.args or None,
    }


def legs_problem(charge: Charge) -> str | None:
    """Why a charge's legs cannot be written (the service checked the entry with the
    ledger's rules; this guards the store's own invariant: legs sum to zero)."""
    if len(charge.legs) < 2:
        return f"charge {charge.cause!r} needs at least two legs"
    total = sum((leg.amount for leg in charge.legs), ZERO)
    if total != ZERO:
        return f"charge {charge.cause!r}: legs sum to {total}, not 0"
    return None
