"""The SQL store: SQLAlchemy 2 models, Alembic migrations and repository functions.

SQLite by default, PostgreSQL when ``NACC_DATABASE_URL`` is set (see ``engine``).
Repository functions take a ``Session`` and never commit: the caller owns the transaction.
See ``docs/store.md`` for the whole API.
"""

from nacc.adapters.store.engine import (
    database_lock,
    database_url,
    make_engine,
    make_sessionmaker,
    warm_pool,
)
from nacc.adapters.store.migrate import upgrade
from nacc.adapters.store.repos import Conflict, InvalidReference, Page
from nacc.domain.credits import to_credits

__all__ = [
    "Conflict",
    "InvalidReference",
    "Page",
    "database_lock",
    "database_url",
    "make_engine",
    "make_sessionmaker",
    "to_credits",
    "upgrade",
    "warm_pool",
]
