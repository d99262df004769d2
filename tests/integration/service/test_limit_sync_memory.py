"""``LimitSync`` (awards pushed to backends that enforce them) on the in-memory store,
with a recording backend: the first push carries every project, later ones only those
whose balance moved, at most every ``every_s``; a failed push is made again; backends
that do not enforce limits get nothing; the rate is the lowest class rate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from nacc.adapters.store.memory import MemoryStore
from nacc.bootstrap import default_model
from nacc.domain.ids import JobId, PoolId
from nacc.domain.pools import Pool
from nacc.ledger.accounts import EntryKind
from nacc.ports import Launch, Launched, Observation
from nacc.service import demo, posting
from nacc.service.context import Services
from nacc.service.live_accounts import LimitSync, lowest_rate, spendable
from support.waiting import wait_until

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POOL = Pool(PoolId("p"), "s", "r", "H100-SXM", 8, 8, "slurm")


class Recording:
    """A backend that enforces limits and records what it was asked to push."""

    unsupported: Mapping[str, str] = {}

    def __init__(self, enforces: bool = True) -> None:
        self.enforces_limits = enforces
        self.pushed: list[tuple[dict[str, Decimal], float]] = []
        self.fail = False

    def sync_limits(self, available: Mapping[str, Decimal], rate: float) -> int:
        if self.fail:
            raise OSError("slurmdbd unreachable")
        self.pushed.append((dict(available), rate))
        return len(available)

    def launch(self, launch: Launch) -> Launched | None:
        return None

    def stop(self, job_id: JobId, at: float) -> float | None:
        return None

    def poll(self, now: float) -> Sequence[Observation]:
        return ()


@pytest.fixture
def svc() -> Services:
    svc = Services(None, lambda: NOW, store=MemoryStore())
    demo.seed(svc)
    return svc


def _grant(svc: Services, project: str, credits: str, cause: str) -> None:
    with svc.unit() as uow:
        legs = [("funding", -Decimal(credits)), (f"project:{project}", Decimal(credits))]
        uow.ledger.open_account("funding", "funding", None)
        posting.post(uow, posting.entry(EntryKind.TRANSFER, legs, cause, NOW, "grant"))


def test_pushes_every_project_then_only_those_whose_balance_moved(svc: Services) -> None:
    clock = [0.0]
    backend, idle = Recording(), Recording(enforces=False)
    sync = LimitSync([(backend, [POOL]), (idle, [POOL])], default_model(), svc.unit,
                     lambda: clock[0], every_s=5.0)  # fmt: skip
    with svc.unit() as uow:
        balances = spendable(uow)
    assert balances and any(v > 0 for v in balances.values())
    sync()
    assert backend.pushed == [(balances, 1.0)] and idle.pushed == []
    clock[0] = 6.0
    sync()  # nothing moved: nothing pushed
    assert len(backend.pushed) == 1
    project = sorted(balances)[0]
    _grant(svc, project, "2.5", "test-grant:1")
    clock[0] = 7.0
    sync()  # within every_s of the last look: not yet
    assert len(backend.pushed) == 1
    clock[0] = 12.0
    backend.fail = True
    sync()  # the push fails: made again at the next look
    backend.fail = False
    clock[0] = 18.0
    sync()
    assert backend.pushed[-1] == ({project: balances[project] + Decimal("2.5")}, 1.0)
    assert sync.pushes == 2


def test_no_hook_without_a_backend_that_enforces_limits(svc: Services) -> None:
    sync = LimitSync([(Recording(enforces=False), [POOL])], default_model(), svc.unit,
                     lambda: 0.0, every_s=1.0)  # fmt: skip
    assert not sync.active


def test_the_rate_is_the_lowest_class_rate_of_the_pools() -> None:
    assert lowest_rate([POOL], default_model()) == 1.0
    assert lowest_rate([], default_model()) is None


def test_in_the_background_one_push_at_a_time(svc: Services) -> None:
    backend = Recording()
    sync = LimitSync([(backend, [POOL])], default_model(), svc.unit, lambda: 0.0, every_s=0.0,
                     background=True)  # fmt: skip
    sync()
    wait_until(lambda: sync.pushes == 1, 30, "the push in its thread")
    sync()  # nothing moved since
    assert sync._worker is not None
    sync._worker.join(30)
    assert len(backend.pushed) == 1
