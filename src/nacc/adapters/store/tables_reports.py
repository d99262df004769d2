"""The daily usage summary (revision 0017_usage_days), beside ``tables``.

Imported at the end of ``nacc.adapters.store.tables`` so ``Base.metadata`` holds it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nacc.adapters.store.tables import Base


class UsageDayRow(Base):
    """A job's metered intervals that start on one UTC ``day`` on one accelerator type,
    summed: what the reports read instead of the intervals. Kept by triggers on
    ``usage_intervals`` in the transaction that writes them (migration 0017)."""

    __tablename__ = "usage_days"
    job_id: Mapped[str] = mapped_column(sa.ForeignKey("jobs.id"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True, index=True)
    accelerator_type: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    credits: Mapped[Decimal]
    accelerator_seconds: Mapped[float] = mapped_column(sa.Float)  # sum of (end - start) x count
    intervals: Mapped[int]
