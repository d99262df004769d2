"""Column types that behave the same on SQLite and PostgreSQL.

* ``UTCDateTime``: aware datetimes only, stored as UTC (``timestamptz`` on PostgreSQL, an
  ISO text on SQLite) and always read back aware in UTC.
* ``Credits``: exact amounts with 9 decimals. PostgreSQL stores ``NUMERIC(24, 9)``;
  SQLite has no exact decimal type (its NUMERIC keeps only 15 significant digits), so
  there the amount is stored as an integer count of nano-credits, which ``SUM`` adds
  exactly (up to about 9.2e9 credits per value or sum).
* ``JSONDoc``: ``JSONB`` on PostgreSQL, ``JSON`` text elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from nacc.domain.credits import to_credits

NANO = Decimal("0.000000001")
_SCALE = 10**9


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A point in time; naive datetimes are refused so no local time slips in."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: pass an aware (UTC) datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Credits(sa.TypeDecorator[Decimal]):
    """An exact credit amount (9 decimals); see the module docstring for SQLite."""

    impl = sa.Numeric(24, 9)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.Numeric(24, 9, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = to_credits(value)
        if dialect.name == "sqlite":
            return int(amount * _SCALE)
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / _SCALE).quantize(NANO)
        return to_credits(value)


def json_doc() -> TypeEngine[Any]:
    """JSON column type: JSONB on PostgreSQL."""
    return sa.JSON().with_variant(JSONB(), "postgresql")
