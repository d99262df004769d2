"""The reservations repository on SQL (``capacity_blocks``)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store.tables import Job, UsageInterval
from nacc.adapters.store.tables_reservations import CapacityBlock
from nacc.ports.store_reservations import BlockRow, NewBlock


def _row(r: CapacityBlock) -> BlockRow:
    return BlockRow(r.id, r.name, r.pool_id, r.count, r.start_at, r.end_at,
                    tuple(str(p) for p in r.projects), r.charge, r.idle_fee, r.booked_by,
                    r.booked_at, r.cancelled_at)  # fmt: skip


class SqlReservations:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, new: NewBlock) -> BlockRow:
        rec = CapacityBlock(
            name=new.name, pool_id=new.pool_id, count=new.count, start_at=new.start,
            end_at=new.end, projects=list(new.projects), charge=new.charge,
            idle_fee=new.idle_fee, booked_by=new.booked_by, booked_at=new.booked_at,
        )  # fmt: skip
        self.session.add(rec)
        self.session.flush()
        return _row(rec)

    def get(self, block_id: int) -> BlockRow | None:
        rec = self.session.get(CapacityBlock, block_id)
        return None if rec is None else _row(rec)

    def by_name(self, name: str) -> BlockRow | None:
        rec = self.session.scalar(sa.select(CapacityBlock).where(CapacityBlock.name == name))
        return None if rec is None else _row(rec)

    def booked(self, include_cancelled: bool = False) -> list[BlockRow]:
        q = sa.select(CapacityBlock).order_by(CapacityBlock.start_at, CapacityBlock.id)
        if not include_cancelled:
            q = q.where(CapacityBlock.cancelled_at.is_(None))
        return [_row(r) for r in self.session.scalars(q)]

    def cancel(self, block_id: int, at: datetime) -> BlockRow | None:
        rec = self.session.get(CapacityBlock, block_id, with_for_update=True)
        if rec is None:
            return None
        if rec.cancelled_at is None:
            rec.cancelled_at = at
            self.session.flush()
        return _row(rec)

    def used_accelerator_s(
        self, pool_id: str, projects: Collection[str], start: datetime, end: datetime
    ) -> float:
        ids = [int(p) for p in projects if p.isdigit()]
        if not ids:
            return 0.0
        q = (
            sa.select(UsageInterval.start_at, UsageInterval.end_at, UsageInterval.count)
            .join(Job, Job.id == UsageInterval.job_id)
            .where(Job.pool_id == pool_id, Job.project_id.in_(ids),
                   UsageInterval.end_at > start, UsageInterval.start_at < end)
        )  # fmt: skip
        return sum(count * max(0.0, (min(e, end) - max(s, start)).total_seconds())
                   for s, e, count in self.session.execute(q))  # fmt: skip
