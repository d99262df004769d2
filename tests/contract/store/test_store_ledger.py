"""The ledger through the store port, posted by ``nacc.ledger``'s rules
(``nacc.service.posting``): entries once per cause with their kind and job, refusals
that change nothing, exact balances, usage, and ``ledger verify`` — the same on SQLite,
PostgreSQL and in memory."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from contract.store.jobs_world import NOW, JobsWorld, build_jobs_world
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Code, Reason
from nacc.ledger.accounts import CauseConflict, Entry, EntryKind, InsufficientCredits, InvalidEntry
from nacc.ports.pages import InvalidReference
from nacc.ports.store import Store
from nacc.ports.store_jobs import JobChange, UsageView
from nacc.service import posting
from nacc.service.context import Services
from nacc.service.reports import verify_ledger

D = Decimal


@pytest.fixture
def world(store: Store) -> JobsWorld:
    return build_jobs_world(store)


def _charge(w: JobsWorld, amount: str, cause: str = "job:j-1:usage:0-60") -> Entry:
    legs = [(w.account, -D(amount)), ("usage", D(amount))]
    return posting.entry(EntryKind.USAGE, legs, cause, NOW, "use", job="j-1")


def test_post_once_per_cause_with_kind_and_job(store: Store, world: JobsWorld) -> None:
    with store.unit() as uow:
        assert posting.post(uow, _charge(world, "2.5"))
        assert not posting.post(uow, _charge(world, "2.5"))  # a retry: no-op
    with store.unit() as uow:
        with pytest.raises(CauseConflict):
            posting.post(uow, _charge(world, "3"))
        entry = uow.ledger.by_cause("job:j-1:usage:0-60")
        assert entry is not None
        assert (entry.kind, entry.job, entry.at, entry.memo) == ("usage", "j-1", NOW, "use")
        assert entry.legs == ((world.account, D("-2.5")), ("usage", D("2.5")))
        assert uow.ledger.balance(world.account) == D("97.5")
        assert uow.ledger.balances([world.account, "usage", "funding"]) == {
            world.account: D("97.5"), "usage": D("2.5"), "funding": D(-100),
        }  # fmt: skip
        assert uow.ledger.job_usage("j-1") == (D("2.5"), D(0))
        page = uow.ledger.journal("usage", limit=5)
        assert page.total == 1 and [e.cause for e in page.items] == ["job:j-1:usage:0-60"]
        assert uow.ledger.journal().total == 2


def test_refusals_change_nothing(store: Store, world: JobsWorld) -> None:
    bad = [(world.account, D(-1)), ("usage", D(2))]
    with store.unit() as uow:
        with pytest.raises(InvalidEntry, match="sum to"):
            posting.post(uow, posting.entry(EntryKind.TRANSFER, bad, "x", NOW))
        with pytest.raises(InvalidEntry, match="name its job"):
            jobless = [(world.account, D(-1)), ("usage", D(1))]
            posting.post(uow, posting.entry(EntryKind.USAGE, jobless, "y", NOW))
        unknown = [("program:nope", D(-1)), (world.account, D(1))]
        with pytest.raises(InvalidReference, match="program:nope"):
            posting.post(uow, posting.entry(EntryKind.TRANSFER, unknown, "z", NOW))
        with pytest.raises(InsufficientCredits) as info:
            posting.post(uow, _charge(world, "100.000000001"))
        assert info.value.shortfall == D("0.000000001")
        assert [uow.ledger.by_cause(c) for c in ("x", "y", "z")] == [None] * 3
        assert uow.ledger.by_cause("job:j-1:usage:0-60") is None
        # usage already run is kept below the floor: its reservation was checked before
        assert posting.post(uow, _charge(world, "100.000000001"), enforce_overdraft=False)
        assert uow.ledger.balance(world.account) == D("-0.000000001")


def test_overdraft_lets_a_project_go_below_zero(store: Store, world: JobsWorld) -> None:
    with store.unit() as uow:
        uow.ledger.set_overdraft(world.account, D(10))
        account = uow.ledger.get_account(world.account)
        assert account is not None and account.overdraft == D(10) and account.kind == "project"
        assert posting.post(uow, _charge(world, "110"))
        with pytest.raises(InsufficientCredits):
            posting.post(uow, _charge(world, "0.1", cause="job:j-1:usage:60-120"))


def test_refunds_cannot_exceed_the_jobs_charges(store: Store, world: JobsWorld) -> None:
    back = [("usage", D(-3)), (world.account, D(3))]
    with store.unit() as uow:
        posting.post(uow, _charge(world, "2"))
        with pytest.raises(InvalidEntry, match="exceeds its charges"):
            posting.post(uow, posting.entry(EntryKind.REFUND, back, "r1", NOW, job="j-1"))
        one = [("usage", D(-1)), (world.account, D(1))]
        assert posting.post(uow, posting.entry(EntryKind.REFUND, one, "r2", NOW, job="j-1"))
        assert uow.ledger.job_usage("j-1") == (D(2), D(1))


def test_usage_is_recorded_once(store: Store, world: JobsWorld) -> None:
    start = NOW + timedelta(hours=1)
    first = UsageView("j-1", start, start + timedelta(minutes=30), "H100", 2, D("1.0"))
    with store.unit() as uow:
        uow.jobs.create(world.job("j-1"), NOW)
        assert uow.ledger.record_usage(first)[1]
        again, created = uow.ledger.record_usage(UsageView("j-1", start, start, "B200", 1, D(9)))
        assert not created and again == first
        later = UsageView("j-1", start + timedelta(hours=1), start + timedelta(hours=2), "B200",
                          2, D("0.1"))  # fmt: skip
        uow.ledger.record_usage(later)
    with store.unit() as uow:
        assert uow.ledger.usage_for_job("j-1") == [first, later]
        assert uow.ledger.metered_by_job() == {"j-1": D("1.1")}


def test_ledger_verify_on_every_store(store: Store, world: JobsWorld) -> None:
    svc = Services(None, lambda: NOW, store=store)
    with store.unit() as uow:
        uow.jobs.create(world.job("j-1", reserve="5"), NOW)
        uow.jobs.transition("j-1", JobChange(JobState.RUNNING, NOW, Reason(Code.STARTED)))
        uow.ledger.record_usage(UsageView("j-1", NOW, NOW + timedelta(minutes=1), "H100", 2,
                                          D("1.25")))  # fmt: skip
        posting.post(uow, _charge(world, "1.25"), enforce_overdraft=False)
        uow.jobs.draw_reservation("j-1", D("1.25"))
    report = verify_ledger(svc, page=1)
    assert report.ok, str(report)
    with store.unit() as uow:  # metered but not charged: verify says so
        uow.ledger.record_usage(UsageView("j-1", NOW + timedelta(minutes=1),
                                          NOW + timedelta(minutes=2), "H100", 2, D(1)))  # fmt: skip
    report = verify_ledger(svc)
    assert not report.ok and "j-1" in str(report)
