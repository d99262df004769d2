"""The datasets repository on SQL (``datasets``, ``dataset_access``, ``job_datasets``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store.tables_datasets import Dataset, DatasetAccess, JobDataset
from nacc.domain.datasets import Copy
from nacc.ports.store_datasets import AccessRow, DatasetRow, NewDataset


def _copies(doc: list[Any]) -> tuple[Copy, ...]:
    return tuple(Copy(str(c["site"]), str(c["path"])) for c in doc)


def _row(r: Dataset) -> DatasetRow:
    return DatasetRow(r.id, r.name, r.owner_org_id, r.size_bytes, r.licence, r.residency,
                      r.sensitivity, _copies(r.copies), tuple(int(s) for s in r.stewards),
                      r.description, r.registered_by, r.registered_at)  # fmt: skip


def _access(r: DatasetAccess) -> AccessRow:
    return AccessRow(r.id, r.dataset_id, r.project_id, r.state, r.purpose, r.requested_by,
                     r.requested_at, r.decided_by, r.decided_at, r.reason)  # fmt: skip


class SqlDatasets:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, new: NewDataset) -> DatasetRow:
        rec = Dataset(
            name=new.name, owner_org_id=new.owner_org_id, size_bytes=new.size_bytes,
            licence=new.licence, residency=new.residency, sensitivity=new.sensitivity,
            copies=[{"site": c.site, "path": c.path} for c in new.copies],
            stewards=list(new.stewards), description=new.description,
            registered_by=new.registered_by, registered_at=new.registered_at,
        )  # fmt: skip
        self.session.add(rec)
        self.session.flush()
        return _row(rec)

    def get(self, dataset_id: int) -> DatasetRow | None:
        rec = self.session.get(Dataset, dataset_id)
        return None if rec is None else _row(rec)

    def by_name(self, name: str) -> DatasetRow | None:
        rec = self.session.scalar(sa.select(Dataset).where(Dataset.name == name))
        return None if rec is None else _row(rec)

    def by_names(self, names: Collection[str]) -> list[DatasetRow]:
        if not names:
            return []
        q = sa.select(Dataset).where(Dataset.name.in_(list(names))).order_by(Dataset.name)
        return [_row(r) for r in self.session.scalars(q)]

    def listed(self) -> list[DatasetRow]:
        return [_row(r) for r in self.session.scalars(sa.select(Dataset).order_by(Dataset.name))]

    def request(
        self, dataset_id: int, project_id: int, purpose: str, by: int, at: datetime
    ) -> AccessRow:
        rec = DatasetAccess(dataset_id=dataset_id, project_id=project_id, state="requested",
                            purpose=purpose, requested_by=by, requested_at=at)  # fmt: skip
        self.session.add(rec)
        self.session.flush()
        return _access(rec)

    def access(self, access_id: int, lock: bool = False) -> AccessRow | None:
        rec = self.session.get(DatasetAccess, access_id, with_for_update=lock)
        return None if rec is None else _access(rec)

    def accesses(
        self, dataset_id: int | None = None, project_id: int | None = None
    ) -> list[AccessRow]:
        q = sa.select(DatasetAccess).order_by(DatasetAccess.id)
        if dataset_id is not None:
            q = q.where(DatasetAccess.dataset_id == dataset_id)
        if project_id is not None:
            q = q.where(DatasetAccess.project_id == project_id)
        return [_access(r) for r in self.session.scalars(q)]

    def decide(
        self, access_id: int, state: str, by: int, at: datetime, reason: str | None
    ) -> AccessRow:
        rec = self.session.get(DatasetAccess, access_id)
        assert rec is not None
        rec.state, rec.decided_by, rec.decided_at, rec.reason = state, by, at, reason
        self.session.flush()
        return _access(rec)

    def approved(self, project_id: int, dataset_ids: Collection[int]) -> set[int]:
        if not dataset_ids:
            return set()
        q = sa.select(DatasetAccess.dataset_id).where(
            DatasetAccess.project_id == project_id, DatasetAccess.state == "approved",
            DatasetAccess.dataset_id.in_(list(dataset_ids)),
        )  # fmt: skip
        return set(self.session.scalars(q))

    def link_job(self, job_id: str, dataset_ids: Sequence[int]) -> None:
        self.session.add_all(JobDataset(job_id=job_id, dataset_id=d) for d in dataset_ids)
        self.session.flush()

    def of_jobs(self, job_ids: Collection[str]) -> Mapping[str, list[DatasetRow]]:
        out: dict[str, list[DatasetRow]] = {}
        ids = list(job_ids)
        for start in range(0, len(ids), 500):  # bounded IN lists
            q = (
                sa.select(JobDataset.job_id, Dataset)
                .join(Dataset, Dataset.id == JobDataset.dataset_id)
                .where(JobDataset.job_id.in_(ids[start : start + 500]))
                .order_by(JobDataset.job_id, Dataset.name)
            )
            for job_id, rec in self.session.execute(q):
                out.setdefault(job_id, []).append(_row(rec))
        return out
