"""The table of capacity blocks (revision 0008_reserve), beside ``tables``.

Imported at the end of ``nacc.adapters.store.tables`` so ``Base.metadata`` holds it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nacc.adapters.store.tables import Base, _fk, one_of
from nacc.adapters.store.types import json_doc

CHARGE_MODES = ("capacity", "use_plus_idle")


class CapacityBlock(Base):
    """``count`` accelerators of ``pool_id`` kept for ``projects`` over [start, end)."""

    __tablename__ = "capacity_blocks"
    __table_args__ = (
        sa.CheckConstraint(one_of("charge", CHARGE_MODES), name="charge"),
        sa.CheckConstraint("count >= 1", name="count"),
        sa.CheckConstraint("start_at < end_at", name="window"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    pool_id: Mapped[str] = mapped_column(sa.String(100), index=True)
    count: Mapped[int]
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    projects: Mapped[list[Any]] = mapped_column(json_doc())
    charge: Mapped[str] = mapped_column(sa.String(16))
    idle_fee: Mapped[float] = mapped_column(sa.Float)
    booked_by: Mapped[int] = _fk("users.id", index=False)
    booked_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
