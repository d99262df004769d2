"""The datasets repository: the catalog (``datasets``), projects' access to each
(``dataset_access``) and which datasets each job uses (``job_datasets``).

A row is what is stored; ``to_used`` turns a dataset into the pure
``nacc.domain.datasets.Used`` that placement and the job's environment are made from."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from nacc.domain.datasets import Copy, Residency, Used


@dataclass(frozen=True, slots=True)
class NewDataset:
    name: str
    owner_org_id: int
    size_bytes: int
    licence: str
    residency: str
    sensitivity: str
    copies: tuple[Copy, ...]
    stewards: tuple[int, ...]
    description: str
    registered_by: int
    registered_at: datetime


@dataclass(frozen=True, slots=True)
class DatasetRow:
    id: int
    name: str
    owner_org_id: int
    size_bytes: int
    licence: str
    residency: str
    sensitivity: str
    copies: tuple[Copy, ...]
    stewards: tuple[int, ...]
    description: str
    registered_by: int
    registered_at: datetime

    def to_used(self) -> Used:
        return Used(self.name, Residency(self.residency), self.copies)


@dataclass(frozen=True, slots=True)
class AccessRow:
    id: int
    dataset_id: int
    project_id: int
    state: str  # requested | approved | refused | revoked
    purpose: str
    requested_by: int
    requested_at: datetime
    decided_by: int | None = None
    decided_at: datetime | None = None
    reason: str | None = None


class DatasetsRepo(Protocol):
    def add(self, new: NewDataset) -> DatasetRow: ...

    def get(self, dataset_id: int) -> DatasetRow | None: ...

    def by_name(self, name: str) -> DatasetRow | None: ...

    def by_names(self, names: Collection[str]) -> list[DatasetRow]: ...

    def listed(self) -> list[DatasetRow]:
        """The catalog by name."""
        ...

    def request(
        self, dataset_id: int, project_id: int, purpose: str, by: int, at: datetime
    ) -> AccessRow: ...

    def access(self, access_id: int, lock: bool = False) -> AccessRow | None: ...

    def accesses(
        self, dataset_id: int | None = None, project_id: int | None = None
    ) -> list[AccessRow]:
        """Requests (of a dataset, of a project, or all) by id."""
        ...

    def decide(
        self, access_id: int, state: str, by: int, at: datetime, reason: str | None
    ) -> AccessRow: ...

    def approved(self, project_id: int, dataset_ids: Collection[int]) -> set[int]:
        """Which of ``dataset_ids`` the project has an approved request for."""
        ...

    def link_job(self, job_id: str, dataset_ids: Sequence[int]) -> None: ...

    def of_jobs(self, job_ids: Collection[str]) -> Mapping[str, list[DatasetRow]]:
        """The datasets each of ``job_ids`` uses (jobs using none are left out)."""
        ...
