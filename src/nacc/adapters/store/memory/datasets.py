"""The datasets repository in memory."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from nacc.ports.store_datasets import AccessRow, DatasetRow, NewDataset


@dataclass
class DatasetsTables:
    datasets: dict[int, DatasetRow] = field(default_factory=dict)
    access: dict[int, AccessRow] = field(default_factory=dict)
    jobs: dict[str, list[int]] = field(default_factory=dict)


class MemDatasets:
    def __init__(self, tables: DatasetsTables) -> None:
        self.t = tables

    def add(self, new: NewDataset) -> DatasetRow:
        if self.by_name(new.name) is not None:
            raise ValueError(f"dataset {new.name!r} exists")  # the SQL unique key
        row = DatasetRow(len(self.t.datasets) + 1, new.name, new.owner_org_id, new.size_bytes,
                         new.licence, new.residency, new.sensitivity, new.copies, new.stewards,
                         new.description, new.registered_by, new.registered_at)  # fmt: skip
        self.t.datasets[row.id] = row
        return row

    def get(self, dataset_id: int) -> DatasetRow | None:
        return self.t.datasets.get(dataset_id)

    def by_name(self, name: str) -> DatasetRow | None:
        return next((d for d in self.t.datasets.values() if d.name == name), None)

    def by_names(self, names: Collection[str]) -> list[DatasetRow]:
        return sorted((d for d in self.t.datasets.values() if d.name in names),
                      key=lambda d: d.name)  # fmt: skip

    def listed(self) -> list[DatasetRow]:
        return sorted(self.t.datasets.values(), key=lambda d: d.name)

    def request(
        self, dataset_id: int, project_id: int, purpose: str, by: int, at: datetime
    ) -> AccessRow:
        row = AccessRow(len(self.t.access) + 1, dataset_id, project_id, "requested", purpose,
                        by, at)  # fmt: skip
        self.t.access[row.id] = row
        return row

    def access(self, access_id: int, lock: bool = False) -> AccessRow | None:
        return self.t.access.get(access_id)

    def accesses(
        self, dataset_id: int | None = None, project_id: int | None = None
    ) -> list[AccessRow]:
        return [a for _, a in sorted(self.t.access.items())
                if (dataset_id is None or a.dataset_id == dataset_id)
                and (project_id is None or a.project_id == project_id)]  # fmt: skip

    def decide(
        self, access_id: int, state: str, by: int, at: datetime, reason: str | None
    ) -> AccessRow:
        row = replace(self.t.access[access_id], state=state, decided_by=by, decided_at=at,
                      reason=reason)  # fmt: skip
        self.t.access[access_id] = row
        return row

    def approved(self, project_id: int, dataset_ids: Collection[int]) -> set[int]:
        return {a.dataset_id for a in self.t.access.values()
                if a.project_id == project_id and a.state == "approved"
                and a.dataset_id in dataset_ids}  # fmt: skip

    def link_job(self, job_id: str, dataset_ids: Sequence[int]) -> None:
        self.t.jobs.setdefault(job_id, []).extend(dataset_ids)

    def of_jobs(self, job_ids: Collection[str]) -> Mapping[str, list[DatasetRow]]:
        out: dict[str, list[DatasetRow]] = {}
        for job_id in job_ids:
            rows = [self.t.datasets[d] for d in self.t.jobs.get(job_id, [])]
            if rows:
                out[job_id] = sorted(rows, key=lambda d: d.name)
        return out
