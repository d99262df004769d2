"""Datasets: the catalog, projects' access requests and the owner's decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, status
from pydantic import BaseModel, Field

from nacc.api.bounds import Id, IdPath, Label, NulFree, Text
from nacc.api.deps import CallerDep, ServicesDep
from nacc.api.problems import LIST, READ, WRITE
from nacc.api.schemas import Strict
from nacc.api.schemas_jobs import DatasetName
from nacc.domain.datasets import NAME_PATTERN, Copy, env_key
from nacc.ports.store_datasets import AccessRow, DatasetRow
from nacc.service import datasets as use

router = APIRouter(tags=["datasets"])

NamePath = Annotated[str, Path(min_length=1, max_length=64, pattern=NAME_PATTERN,
                                description="a dataset's name")]  # fmt: skip
DataPath = Annotated[str, Field(min_length=1, max_length=1000, pattern=r"^/[^\x00]*$"), NulFree]


class CopyIn(Strict):
    site: Label = Field(min_length=1, description="a site of the fleet")
    path: DataPath = Field(description="absolute path of the copy at that site")


class DatasetIn(Strict):
    """A catalog entry: ``domestic`` data only at (and only processed at) domestic sites."""

    name: DatasetName
    owner_org_id: Id
    size_bytes: int = Field(ge=0, le=2**62, strict=True)
    licence: Label = Field(min_length=1, description="SPDX id or the licence's name")
    residency: Literal["domestic", "any"]
    sensitivity: Literal["public", "restricted", "personal", "confidential"]
    copies: list[CopyIn] = Field(min_length=1, max_length=64)
    stewards: list[Id] = Field(
        default_factory=list, max_length=64,
        description="users of the owner organisation who decide access",
    )  # fmt: skip
    description: Text = ""


class CopyOut(BaseModel):
    site: str
    path: str


class DatasetOut(BaseModel):
    id: int
    name: str
    env: str = Field(description="the variable a job finds its path in")
    owner_org_id: int
    size_bytes: int
    licence: str
    residency: str
    sensitivity: str
    copies: list[CopyOut]
    stewards: list[int]
    description: str
    registered_by: int
    registered_at: datetime


class AccessIn(Strict):
    project_id: Id
    purpose: Text = ""


class DecisionIn(Strict):
    reason: Text | None = None


class AccessOut(BaseModel):
    id: int
    dataset_id: int
    project_id: int
    state: str
    purpose: str
    requested_by: int
    requested_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    reason: str | None


def _out(r: DatasetRow) -> DatasetOut:
    return DatasetOut(
        id=r.id, name=r.name, env=env_key(r.name), owner_org_id=r.owner_org_id,
        size_bytes=r.size_bytes, licence=r.licence, residency=r.residency,
        sensitivity=r.sensitivity, copies=[CopyOut(site=c.site, path=c.path) for c in r.copies],
        stewards=list(r.stewards), description=r.description, registered_by=r.registered_by,
        registered_at=r.registered_at,
    )  # fmt: skip


def _access(a: AccessRow) -> AccessOut:
    return AccessOut(
        id=a.id, dataset_id=a.dataset_id, project_id=a.project_id, state=a.state,
        purpose=a.purpose, requested_by=a.requested_by, requested_at=a.requested_at,
        decided_by=a.decided_by, decided_at=a.decided_at, reason=a.reason,
    )  # fmt: skip


@router.post("/datasets", status_code=status.HTTP_201_CREATED, responses=WRITE)
def register(body: DatasetIn, request: Request, svc: ServicesDep, who: CallerDep) -> DatasetOut:
    """Register a dataset (operators and officers: of any organisation; anyone: of their
    own, becoming a steward). A copy at an unknown site, or domestic data at a site
    abroad, is a 422 naming the copy."""
    ask = use.Registration(
        body.name, body.owner_org_id, body.size_bytes, body.licence, body.residency,
        body.sensitivity, tuple(Copy(c.site, c.path) for c in body.copies),
        tuple(body.stewards), body.description,
    )  # fmt: skip
    return _out(use.register(svc, who, request.app.state.pools, ask))


@router.get("/datasets", responses=LIST)
def list_datasets(svc: ServicesDep, who: CallerDep) -> list[DatasetOut]:
    """The catalog by name (anyone signed in)."""
    return [_out(r) for r in use.listed(svc)]


@router.get("/datasets/{name}", responses=READ)
def get_dataset(name: NamePath, svc: ServicesDep, who: CallerDep) -> DatasetOut:
    return _out(use.get(svc, name))


@router.post("/datasets/{name}/access", status_code=status.HTTP_201_CREATED, responses=WRITE)
def request_access(name: NamePath, body: AccessIn, svc: ServicesDep, who: CallerDep) -> AccessOut:
    """Ask for a project's access (its PI or members); one open or approved request
    per project (409 otherwise)."""
    return _access(use.request_access(svc, who, name, body.project_id, body.purpose))


@router.get("/datasets/{name}/access", responses=READ)
def list_access(name: NamePath, svc: ServicesDep, who: CallerDep) -> list[AccessOut]:
    """Requests for the dataset: all for its stewards, officers and operators; those of
    the caller's projects for anyone else."""
    return [_access(a) for a in use.accesses(svc, who, name)]


class RevokeIn(Strict):
    reason: Text = Field(min_length=1, description="why the approval is withdrawn")


@router.post("/datasets/{name}/access/{access_id}/revoke", responses=WRITE)
def revoke(
    name: NamePath, access_id: IdPath, body: RevokeIn, svc: ServicesDep, who: CallerDep
) -> AccessOut:
    """Withdraw an approved request (with a ``reason``): the dataset's stewards, program
    officers, operators. The project's jobs submitted from then on that name the dataset
    get a 403; a request not approved is a 409. Audited (``dataset.revoke``)."""
    return _access(use.revoke(svc, who, name, access_id, body.reason))


@router.post("/datasets/{name}/access/{access_id}/{decision}", responses=WRITE)
def decide(
    name: NamePath, access_id: IdPath, decision: Literal["approve", "refuse"],
    svc: ServicesDep, who: CallerDep, body: DecisionIn | None = None,
) -> AccessOut:  # fmt: skip
    """Approve or refuse (with a ``reason``) a request: the dataset's stewards, program
    officers, operators. A decided request is a 409."""
    reason = body.reason if body is not None else None
    return _access(use.decide(svc, who, name, access_id, decision == "approve", reason))
