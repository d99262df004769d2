"""EASY-backfill reservations: when could a blocked gang start, and what may backfill."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nacc.domain.ids import PoolId
from nacc.scheduling.calendar import CapacityCalendar


@dataclass(slots=True)
class Reservation:
    """The blocked job will start on ``pool_id`` at ``shadow_s``; ``extra`` accelerators of
    that pool stay free at that time even after it starts (EASY's "extra nodes")."""

    pool_id: PoolId
    shadow_s: float
    extra: int

    def admits(self, pool_id: PoolId, count: int, end_s: float) -> bool:
        """Can a backfill job (``count`` accelerators until ``end_s``) go on ``pool_id``
        without delaying the reserved job?"""
        return pool_id != self.pool_id or end_s <= self.shadow_s or count <= self.extra

    def consume(self, pool_id: PoolId, count: int, end_s: float) -> None:
        """Record a backfilled start: it uses extra accelerators if it outlives the shadow."""
        if pool_id == self.pool_id and end_s > self.shadow_s:
            self.extra -= count


def reserve(cal: CapacityCalendar, need: int, pools: Iterable[PoolId]) -> Reservation | None:
    """The reservation at the earliest (pool, time) the calendar has ``need`` accelerators
    free, assuming running jobs end at their time limits (the EASY assumption)."""
    slot = cal.earliest_start(need, pools)
    return None if slot is None else Reservation(slot.pool_id, slot.start_s, slot.spare)
