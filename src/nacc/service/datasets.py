"""Datasets in the service: the catalog, access requests and their decisions, and the
check a job naming datasets must pass.

- **Register** (``register``): operators and program officers (global roles) for any
  organisation; any user for their own organisation (they become a steward). The copies
  are checked against the live fleet's sites (``nacc.domain.datasets.check_copies``):
  a domestic-only dataset has copies only at domestic sites.
- **Request access** (``request_access``): the project's PI or members (or operators);
  one open or approved request per project and dataset.
- **Decide** (``decide``): the dataset's stewards (users of the owner organisation, the
  owner's admins for this dataset), program officers and operators; a refusal needs a
  reason; a decision stands (deciding again is a 409).
- **Revoke** (``revoke``): the same people withdraw an approval, with a reason; the
  project's jobs submitted from then on that name the dataset get the 403 (jobs submitted
  before are not stopped: pending ones still start). The project may ask again.
- **Use** (``check_use``): in the job's own unit of work, every named dataset must exist
  (422 ``body.datasets``) and the project must hold an approved request for it (403
  ``dataset_access_required``).

Every registration, request and decision is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nacc.domain.datasets import (
    AccessState,
    Copy,
    Residency,
    Sensitivity,
    Used,
    check_copies,
    env_key,
)
from nacc.domain.errors import Conflict, Forbidden, InputError, NotFound
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code
from nacc.ports.store import UnitOfWork
from nacc.ports.store_datasets import AccessRow, DatasetRow, NewDataset
from nacc.service import audit
from nacc.service.auth import Principal, require
from nacc.service.context import Services

CURATORS = ("program_officer", "operator")  # global roles that may register and decide


@dataclass(frozen=True, slots=True)
class Registration:
    name: str
    owner_org_id: int
    size_bytes: int
    licence: str
    residency: str
    sensitivity: str
    copies: tuple[Copy, ...]
    stewards: tuple[int, ...] = ()
    description: str = ""


def site_domestic(pools: Sequence[Pool]) -> dict[str, bool]:
    """Each site of the fleet -> whether it is in the center's country."""
    return {p.site: p.domestic_site for p in pools}


def _curator(who: Principal) -> bool:
    return any(who.has(role) for role in CURATORS)


def register(svc: Services, who: Principal, pools: Sequence[Pool], ask: Registration) -> DatasetRow:
    if not _curator(who) and who.organisation_id != ask.owner_org_id:
        raise Forbidden(
            f"{who.name} may register datasets of their own organisation only "
            f"(operators and program officers: of any)",
        )
    check_copies(ask.name, Residency(ask.residency), ask.copies, site_domestic(pools))
    Sensitivity(ask.sensitivity)
    now = svc.clock()
    stewards = list(dict.fromkeys(ask.stewards))
    if not _curator(who) and who.user_id not in stewards:
        stewards.append(who.user_id)
    with svc.unit() as uow:
        if uow.people.get_organisation(ask.owner_org_id) is None:
            raise InputError("body.owner_org_id", f"no organisation {ask.owner_org_id}")
        for uid in stewards:
            user = uow.people.get_user(uid)
            if user is None or user.organisation_id != ask.owner_org_id:
                problem = f"user {uid} is not in organisation {ask.owner_org_id}"
                raise InputError("body.stewards", problem)
        key = env_key(ask.name)
        for other in uow.datasets.listed():
            if other.name == ask.name or env_key(other.name) == key:
                raise Conflict(f"dataset {other.name!r} exists (its variable is {key})")
        row = uow.datasets.add(NewDataset(
            ask.name, ask.owner_org_id, ask.size_bytes, ask.licence, ask.residency,
            ask.sensitivity, ask.copies, tuple(stewards), ask.description, who.user_id, now,
        ))  # fmt: skip
        audit.record(uow, who, now, "dataset.register", f"dataset:{row.id}",
                     residency=ask.residency, owner=ask.owner_org_id)  # fmt: skip
        return row


def listed(svc: Services) -> list[DatasetRow]:
    with svc.unit() as uow:
        return uow.datasets.listed()


def get(svc: Services, name: str) -> DatasetRow:
    with svc.unit() as uow:
        return _dataset(uow, name)


def _dataset(uow: UnitOfWork, name: str) -> DatasetRow:
    row = uow.datasets.by_name(name)
    if row is None:
        raise NotFound("dataset", name)
    return row


def request_access(
    svc: Services, who: Principal, name: str, project_id: int, purpose: str
) -> AccessRow:
    require(who, "pi", "member", "operator", scope=f"project:{project_id}")
    now = svc.clock()
    with svc.unit() as uow:
        row = _dataset(uow, name)
        if uow.projects.funds(project_id) is None:
            raise NotFound("project", project_id)
        for earlier in uow.datasets.accesses(row.id, project_id):
            if earlier.state in (AccessState.REQUESTED, AccessState.APPROVED):
                raise Conflict(f"project {project_id} already has request {earlier.id} for "
                               f"{name} ({earlier.state})")  # fmt: skip
        access = uow.datasets.request(row.id, project_id, purpose, who.user_id, now)
        audit.record(uow, who, now, "dataset.request", f"dataset:{row.id}",
                     project=project_id, access=access.id)  # fmt: skip
        return access


def may_decide(who: Principal, row: DatasetRow) -> bool:
    return _curator(who) or who.user_id in row.stewards


def accesses(svc: Services, who: Principal, name: str) -> list[AccessRow]:
    """Stewards, officers and operators: every request for the dataset; anyone else:
    those of the projects they are on."""
    with svc.unit() as uow:
        row = _dataset(uow, name)
        found = uow.datasets.accesses(row.id)
    if may_decide(who, row):
        return found
    readers = ("pi", "member")
    return [a for a in found if any(who.has(r, f"project:{a.project_id}") for r in readers)]


def decide(
    svc: Services, who: Principal, name: str, access_id: int, approve: bool, reason: str | None
) -> AccessRow:
    if not approve and not (reason or "").strip():
        raise InputError("body.reason", "a refusal needs a reason")
    state = AccessState.APPROVED if approve else AccessState.REFUSED
    return _settle(svc, who, name, access_id, AccessState.REQUESTED, state, reason,
                   "decide its access requests")  # fmt: skip


def revoke(svc: Services, who: Principal, name: str, access_id: int, reason: str) -> AccessRow:
    """Withdraw an approved request (its stewards, program officers, operators)."""
    if not reason.strip():
        raise InputError("body.reason", "a revocation needs a reason")
    return _settle(svc, who, name, access_id, AccessState.APPROVED, AccessState.REVOKED, reason,
                   "revoke its approvals")  # fmt: skip


_ACTION = {AccessState.APPROVED: "approve", AccessState.REFUSED: "refuse",
           AccessState.REVOKED: "revoke"}  # fmt: skip
_NOT_IN = {AccessState.REQUESTED: "was already decided", AccessState.APPROVED: "is not approved"}


def _settle(svc: Services, who: Principal, name: str, access_id: int, was: AccessState,
            state: AccessState, reason: str | None, what: str) -> AccessRow:  # fmt: skip
    """Move request ``access_id`` of dataset ``name`` from ``was`` to ``state``, audited;
    only the dataset's stewards, program officers and operators may."""
    now = svc.clock()
    with svc.unit() as uow:
        row = _dataset(uow, name)
        access = uow.datasets.access(access_id, lock=True)
        if access is None or access.dataset_id != row.id:
            raise NotFound("dataset access request", access_id)
        if not may_decide(who, row):
            raise Forbidden(f"only {name}'s stewards, program officers and operators {what}; "
                            f"{who.name} is none of them")  # fmt: skip
        if access.state != was:
            raise Conflict(f"request {access_id} {_NOT_IN[was]} ({access.state})")
        done = uow.datasets.decide(access_id, state, who.user_id, now, reason)
        audit.record(uow, who, now, f"dataset.{_ACTION[state]}", f"dataset:{row.id}",
                     project=access.project_id, access=access_id)  # fmt: skip
        return done


def job_datasets(svc: Services, job_ids: Sequence[str]) -> dict[str, list[str]]:
    """The names of the datasets each of ``job_ids`` names (for pages that already
    checked the reader may see the jobs)."""
    if not job_ids:
        return {}
    with svc.unit() as uow:
        found = uow.datasets.of_jobs(job_ids)
    return {j: [r.name for r in rows] for j, rows in found.items()}


def check_use(uow: UnitOfWork, project_id: int, names: Sequence[str]) -> list[DatasetRow]:
    """The datasets a job of ``project_id`` names, if each exists and the project may
    use it (in the job's unit of work)."""
    if not names:
        return []
    wanted = list(dict.fromkeys(names))
    rows = uow.datasets.by_names(wanted)
    known = {r.name for r in rows}
    missing = [n for n in wanted if n not in known]
    if missing:
        raise InputError("body.datasets", f"no dataset {', '.join(missing)} in the catalog")
    allowed = uow.datasets.approved(project_id, [r.id for r in rows])
    for r in rows:
        if r.id not in allowed:
            raise Forbidden(
                f"project {project_id} has no approved access to dataset {r.name}",
                code=Code.DATASET_ACCESS_REQUIRED,
                params={"dataset": r.name, "project": project_id},
            )
    return rows


def datasets_of(uow: UnitOfWork, job_ids: Sequence[str]) -> dict[str, list[Used]]:
    """What the live scheduler needs of the datasets each of ``job_ids`` uses."""
    if not job_ids:
        return {}
    return {j: [r.to_used() for r in rows] for j, rows in uow.datasets.of_jobs(job_ids).items()}
