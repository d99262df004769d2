"""Awards enforced by the backends themselves, kept in step with nacc's balances.

A backend that can (``nacc.ports.AccountLimits`` with ``enforces_limits``: a Slurm URL
with ``accounts=1``) holds each project's spendable credits as a limit of its own, so
work submitted around nacc under the project's account is held there too. The live
scheduler runs ``LimitSync`` after each step: at most every ``every_s`` it reads every
project's ledger balance (one unit of work, three statements), and pushes to each such
backend only the projects whose balance moved since the last push there — charges
(metering), awards, tranche releases, refunds and block fees all move the balance, so
one rule covers them, batched once per cycle, never per job. A push that fails is tried
again at the next cycle (nothing is recorded as pushed). With ``background`` (the live
service's) the pushes run in a thread of their own, one at a time, so Slurm's commands
(about 0.3 s per limit changed, bench/slurm_limits.py) never hold up a step.

The rate that turns credits into the backend's accelerator time is the lowest credit
rate of any job class on the backend's pools' accelerator types (credits per
accelerator-hour): Slurm then never holds a job nacc itself would fund.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from decimal import Decimal

from nacc.catalog.throughput import ThroughputModel
from nacc.domain.jobs import JobClass
from nacc.domain.pools import Pool
from nacc.ports import AccountLimits, Dispatcher
from nacc.ports.store import UnitOfWork

log = logging.getLogger("nacc.live")


def spendable(uow: UnitOfWork) -> dict[str, Decimal]:
    """Every project's ledger balance (``project id -> credits``): what it may still
    spend, live jobs' reservations not deducted (the backend counts its running jobs
    against the limit itself)."""
    ids = [b.project_id for b in uow.projects.reservation_books()]
    found = uow.ledger.balances([f"project:{i}" for i in ids])
    return {str(i): found.get(f"project:{i}", Decimal(0)) for i in ids}


def lowest_rate(pools: Sequence[Pool], rates: ThroughputModel) -> float | None:
    """The lowest class credit rate on the pools' accelerator types (None: no rate)."""
    found = [r for p in pools for c in JobClass
             if (r := rates.class_credit_rate(c, p.accel_type)) is not None and r > 0]  # fmt: skip
    return min(found) if found else None


class LimitSync:
    """The after-step hook (see the module docstring). ``backends``: each backend with
    the pools it serves; ``unit``: a unit of work (``Services.unit``); ``clock``: epoch
    seconds."""

    def __init__(
        self,
        backends: Sequence[tuple[Dispatcher, Sequence[Pool]]],
        rates: ThroughputModel,
        unit: Callable[[], AbstractContextManager[UnitOfWork]],
        clock: Callable[[], float],
        every_s: float,
        background: bool = False,
    ) -> None:
        self._targets: list[tuple[AccountLimits, float]] = []
        for backend, pools in backends:
            rate = lowest_rate(pools, rates)
            if isinstance(backend, AccountLimits) and backend.enforces_limits and rate:
                self._targets.append((backend, rate))
        self._unit, self._clock, self.every_s = unit, clock, every_s
        self._pushed: list[dict[str, Decimal]] = [{} for _ in self._targets]
        self._last = float("-inf")
        self.pushes = 0  # syncs made (for tests and benchmarks)
        self.background = background
        self._worker: threading.Thread | None = None

    @property
    def active(self) -> bool:
        return bool(self._targets)

    def __call__(self) -> None:
        now = self._clock()
        if not self._targets or now - self._last < self.every_s:
            return
        if self._worker is not None and self._worker.is_alive():
            return  # the last push still runs: the next look after it ends
        self._last = now
        with self._unit() as uow:
            balances = spendable(uow)
        if self.background:  # Slurm's commands take ~0.3 s a change: off the step
            self._worker = threading.Thread(target=self._push_all, args=(balances,),
                                            name="nacc-limits", daemon=True)  # fmt: skip
            self._worker.start()
        else:
            self._push_all(balances)

    def close(self, timeout_s: float = 60.0) -> None:
        """Wait for a push in its thread to end (the service stops)."""
        if self._worker is not None:
            self._worker.join(timeout_s)

    def _push_all(self, balances: Mapping[str, Decimal]) -> None:
        for (backend, rate), pushed in zip(self._targets, self._pushed, strict=True):
            self._push(backend, rate, pushed, balances)

    def _push(self, backend: AccountLimits, rate: float, pushed: dict[str, Decimal],
              balances: Mapping[str, Decimal]) -> None:  # fmt: skip
        moved = {p: c for p, c in balances.items() if pushed.get(p) != c}
        if not moved:
            return
        try:
            backend.sync_limits(moved, rate)
        except Exception:  # unreachable: the same projects are pushed next cycle
            log.exception("pushing %d projects' limits to %s failed", len(moved),
                          getattr(backend, "name", backend))  # fmt: skip
            return
        pushed.update(moved)
        self.pushes += 1
