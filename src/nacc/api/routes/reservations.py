"""Capacity blocks (advance reservations): an officer books, lists and cancels them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field

from nacc.api.bounds import IdPath, Moment
from nacc.api.deps import CallerDep, ServicesDep
from nacc.api.problems import LIST, READ, WRITE, declare
from nacc.api.schemas import Strict
from nacc.ports.store_reservations import BlockRow
from nacc.service import reservations as use

router = APIRouter(tags=["reservations"])
PAID = declare(401, 402, 403, 404, 409, 422)  # 402: a capacity block's share not covered

Name = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class ReservationIn(Strict):
    """A block: ``count`` accelerators of a pool (or of the first pool of an accelerator
    type with room) for ``projects`` over [start, end); charged for its whole capacity,
    or for use plus ``idle_fee`` x the credit rate per idle accelerator-hour."""

    name: str = Name
    pool_id: str | None = Field(default=None, min_length=1, max_length=100)
    accelerator: str | None = Field(default=None, min_length=1, max_length=64)
    count: int = Field(ge=1, le=1_000_000)
    start: Moment
    end: Moment
    projects: list[int] = Field(min_length=1, max_length=100)
    charge: Literal["capacity", "use_plus_idle"] = "capacity"
    idle_fee: float = Field(default=0.0, ge=0.0, le=1.0)


class ReservationOut(BaseModel):
    id: int
    name: str
    pool_id: str
    count: int
    start: datetime
    end: datetime
    projects: list[int]
    charge: str
    idle_fee: float
    booked_by: int
    booked_at: datetime
    cancelled_at: datetime | None


def _out(r: BlockRow) -> ReservationOut:
    return ReservationOut(
        id=r.id, name=r.name, pool_id=r.pool_id, count=r.count, start=r.start, end=r.end,
        projects=[int(p) for p in r.projects], charge=r.charge, idle_fee=r.idle_fee,
        booked_by=r.booked_by, booked_at=r.booked_at, cancelled_at=r.cancelled_at,
    )  # fmt: skip


@router.post("/reservations", status_code=status.HTTP_201_CREATED, responses=PAID)
def book(body: ReservationIn, request: Request, svc: ServicesDep, who: CallerDep) -> ReservationOut:
    """Book a block (officers, operators). An overlap beyond the pool's capacity is a 409
    with code ``block_conflict`` naming the blocks already booked over that time; a
    ``capacity`` block is charged to its projects now (402 if a share is not covered)."""
    ask = use.Booking(body.name, body.count, body.start, body.end, tuple(body.projects),
                      body.pool_id, body.accelerator, body.charge, body.idle_fee)  # fmt: skip
    app = request.app.state
    return _out(use.book(svc, who, app.pools, ask, app.pricing.rates))


@router.get("/reservations", responses=LIST)
def list_reservations(
    svc: ServicesDep, who: CallerDep, include_cancelled: bool = False
) -> list[ReservationOut]:
    """Booked blocks by start; cancelled ones with ``include_cancelled``."""
    return [_out(r) for r in use.listed(svc, include_cancelled)]


@router.get("/reservations/{reservation_id}", responses=READ)
def get_reservation(reservation_id: IdPath, svc: ServicesDep, who: CallerDep) -> ReservationOut:
    return _out(use.get(svc, reservation_id))


@router.post("/reservations/{reservation_id}/cancel", responses=WRITE)
def cancel(
    reservation_id: IdPath, request: Request, svc: ServicesDep, who: CallerDep
) -> ReservationOut:
    """Cancel a block (officers, operators): its capacity is free for every job again,
    and a ``capacity`` block's part not begun is refunded."""
    app = request.app.state
    return _out(use.cancel(svc, who, reservation_id, app.pools, app.pricing.rates))
