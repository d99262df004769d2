"""The people world plus a funded project, built through the store port only (the jobs
and ledger contract tests start from it)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from contract.store.people_world import T0, build_world
from nacc.ledger.accounts import EntryKind
from nacc.ports.store import Store
from nacc.ports.store_jobs import NewJob
from nacc.ports.store_people import AwardProjectSpec
from nacc.service import posting

NOW = T0 + timedelta(days=2)  # inside the project's validity


@dataclass(frozen=True)
class JobsWorld:
    pi_id: int
    project_id: int
    account: str  # the project's ledger account

    def job(self, job_id: str, reserve: str = "0", key: str | None = None) -> NewJob:
        return NewJob(job_id, self.project_id, self.pi_id, "python train.py", 2, "fine-tuning",
                      accelerator_types=("H100",), time_limit_s=3600, idempotency_key=key,
                      reserve=Decimal(reserve))  # fmt: skip

    def new(self, job_id: str, **changes: object) -> NewJob:
        return replace(self.job(job_id), **changes)  # type: ignore[arg-type]


def build_jobs_world(store: Store, funded: str = "100") -> JobsWorld:
    w = build_world(store)
    with store.unit() as uow:
        spec = AwardProjectSpec(
            name="kaist-llm", valid_from=T0, valid_until=T0 + timedelta(days=365),
            proposal_id=w.proposal_id, members={w.pi_id: "pi"},
            tranches=[(Decimal(funded), "at_award")],
        )  # fmt: skip
        proj = uow.awards.create_project(spec)
        account = f"project:{proj.id}"
        uow.ledger.open_account("funding", "funding", None)
        uow.ledger.open_account(account, "project", Decimal(0))
        uow.ledger.open_account("usage", "usage", Decimal(0))
        legs = [("funding", -Decimal(funded)), (account, Decimal(funded))]
        posting.post(uow, posting.entry(EntryKind.TRANSFER, legs, "fund:test", T0, "test"))
    return JobsWorld(w.pi_id, proj.id, account)
