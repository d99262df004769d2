"""The reservations repository in memory."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime

from nacc.adapters.store.memory.jobs import JobsTables
from nacc.ports.store_reservations import BlockRow, NewBlock


@dataclass
class ReservationsTables:
    blocks: dict[int, BlockRow] = field(default_factory=dict)


class MemReservations:
    def __init__(self, tables: ReservationsTables, jobs: JobsTables | None = None) -> None:
        self.t = tables
        self.jobs = jobs

    def add(self, new: NewBlock) -> BlockRow:
        if self.by_name(new.name) is not None:
            raise ValueError(f"capacity block {new.name!r} exists")  # the SQL unique key
        row = BlockRow(len(self.t.blocks) + 1, new.name, new.pool_id, new.count, new.start,
                       new.end, new.projects, new.charge, new.idle_fee, new.booked_by,
                       new.booked_at)  # fmt: skip
        self.t.blocks[row.id] = row
        return row

    def get(self, block_id: int) -> BlockRow | None:
        return self.t.blocks.get(block_id)

    def by_name(self, name: str) -> BlockRow | None:
        return next((b for b in self.t.blocks.values() if b.name == name), None)

    def booked(self, include_cancelled: bool = False) -> list[BlockRow]:
        rows = [b for b in self.t.blocks.values() if include_cancelled or b.cancelled_at is None]
        return sorted(rows, key=lambda b: (b.start, b.id))

    def cancel(self, block_id: int, at: datetime) -> BlockRow | None:
        row = self.t.blocks.get(block_id)
        if row is not None and row.cancelled_at is None:
            row = self.t.blocks[block_id] = replace(row, cancelled_at=at)
        return row

    def used_accelerator_s(
        self, pool_id: str, projects: Collection[str], start: datetime, end: datetime
    ) -> float:
        if self.jobs is None:
            return 0.0
        total = 0.0
        for u in self.jobs.usage.values():
            job = self.jobs.jobs.get(u.job_id)
            if job is None or job.pool_id != pool_id or str(job.project_id) not in projects:
                continue
            total += u.count * max(
                0.0, (min(u.end_at, end) - max(u.start_at, start)).total_seconds()
            )
        return total
