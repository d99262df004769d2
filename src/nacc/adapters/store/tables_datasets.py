"""The tables of the dataset catalog (revision 0009_datasets), beside ``tables``.

Imported at the end of ``nacc.adapters.store.tables`` so ``Base.metadata`` holds them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nacc.adapters.store.tables import Base, _fk, one_of
from nacc.adapters.store.types import json_doc

RESIDENCIES = ("domestic", "any")
SENSITIVITIES = ("public", "restricted", "personal", "confidential")
ACCESS_STATES = ("requested", "approved", "refused", "revoked")


class Dataset(Base):
    """A catalog entry; ``copies`` is ``[{"site": ..., "path": ...}]``, ``stewards`` the
    user ids of the owner organisation who decide access requests."""

    __tablename__ = "datasets"
    __table_args__ = (
        sa.CheckConstraint(one_of("residency", RESIDENCIES), name="residency"),
        sa.CheckConstraint(one_of("sensitivity", SENSITIVITIES), name="sensitivity"),
        sa.CheckConstraint("size_bytes >= 0", name="size"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    owner_org_id: Mapped[int] = _fk("organisations.id")
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    licence: Mapped[str] = mapped_column(sa.String(200))
    residency: Mapped[str] = mapped_column(sa.String(16))
    sensitivity: Mapped[str] = mapped_column(sa.String(16))
    copies: Mapped[list[Any]] = mapped_column(json_doc())
    stewards: Mapped[list[Any]] = mapped_column(json_doc())
    description: Mapped[str] = mapped_column(sa.String(2000))
    registered_by: Mapped[int] = _fk("users.id", index=False)
    registered_at: Mapped[datetime]


class DatasetAccess(Base):
    """A project's request to use a dataset, and the owner's decision."""

    __tablename__ = "dataset_access"
    __table_args__ = (sa.CheckConstraint(one_of("state", ACCESS_STATES), name="state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = _fk("datasets.id")
    project_id: Mapped[int] = _fk("projects.id")
    state: Mapped[str] = mapped_column(sa.String(16))
    purpose: Mapped[str] = mapped_column(sa.String(2000))
    requested_by: Mapped[int] = _fk("users.id", index=False)
    requested_at: Mapped[datetime]
    decided_by: Mapped[int | None] = _fk("users.id", nullable=True, index=False)
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(sa.String(2000))


class JobDataset(Base):
    """A dataset a job uses (named at submission)."""

    __tablename__ = "job_datasets"
    job_id: Mapped[str] = mapped_column(sa.ForeignKey("jobs.id"), primary_key=True)
    dataset_id: Mapped[int] = mapped_column(sa.ForeignKey("datasets.id"), primary_key=True,
                                            index=True)  # fmt: skip
