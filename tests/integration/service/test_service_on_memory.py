"""The use cases on the in-memory store, no database: the demo's whole program cycle
(calls funded, awards posted tranche by tranche), job submission with reservations,
refusals, cancellation with a coded reason, and ``ledger verify``."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from nacc.adapters.store.memory import MemoryStore
from nacc.domain.reasons import Code, Reason
from nacc.ledger.accounts import InsufficientCredits
from nacc.service import demo, project_views
from nacc.service import jobs as use
from nacc.service.auth import Principal
from nacc.service.context import Services
from nacc.service.reports import scheduler_health, verify_ledger

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PRICING = use.Pricing({("H100-SXM", "inference"): 1.0})


@pytest.fixture
def svc() -> Services:
    svc = Services(None, lambda: NOW, store=MemoryStore())
    demo.seed(svc)
    return svc


def _pi_of_a_project(svc: Services) -> tuple[Principal, int]:
    with svc.unit() as uow:
        users = uow.people.list_users(100, 0).items
        for user in users:
            scopes = [s for r, s in uow.people.roles_of(user.id) if r == "pi"]
            if scopes:
                roles = frozenset(uow.people.roles_of(user.id))
                who = Principal(user.id, user.name, user.organisation_id, roles)
                return who, int(scopes[0].split(":")[1])
    raise AssertionError("the demo made no project")


def test_demo_programs_and_awards_run_on_memory(svc: Services) -> None:
    who, project_id = _pi_of_a_project(svc)
    balance = project_views.get_balance(svc, who, project_id)
    assert balance.balance > 0 and balance.committed_credits == 0
    assert verify_ledger(svc).ok


def test_jobs_reserve_refuse_and_cancel_on_memory(svc: Services) -> None:
    who, project_id = _pi_of_a_project(svc)
    free = project_views.get_balance(svc, who, project_id).available_credits
    hours = int(free) // 2  # one H100-SXM credit per hour: two such jobs fit, three do not
    req = use.JobRequest("true", 1, "inference", time_limit_s=hours * 3600)
    first, created = use.submit(svc, who, project_id, req, PRICING)
    assert created and first.reserved_credits == Decimal(hours)
    keyed = use.JobRequest("true", 1, "inference", time_limit_s=hours * 3600,
                           idempotency_key="k")  # fmt: skip
    second, _ = use.submit(svc, who, project_id, keyed, PRICING)
    again, created = use.submit(svc, who, project_id, keyed, PRICING)
    assert not created and again.id == second.id
    with pytest.raises(InsufficientCredits) as info:
        use.submit(svc, who, project_id, req, PRICING)
    assert "held by the project's pending and running jobs" in str(info.value)
    assert use.list_jobs(svc, who, project_id, 50, 0).total == 2
    cancelled = use.request_cancel(svc, who, first.id)
    assert cancelled.reason == Reason.of(Code.CANCEL_REQUESTED, name=who.name)
    assert cancelled.reason_text == f"cancel requested by {who.name}"
    assert verify_ledger(svc).ok
    assert scheduler_health(svc).state == "absent"
