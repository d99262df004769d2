"""The simulated dispatcher: completion times come from the throughput model."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nacc import ports
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobSpec
from nacc.scheduling.view import RateModel
from nacc.sim.kernel import Kernel

Wake = Callable[[float, str, Any], "int | None"]  # the event's number, where it has one


@dataclass(slots=True)
class _Run:
    start: float
    setup: float
    rate: float
    remaining: float
    epoch: int
    event: int | None  # the kernel's number for its completion (None: a test's clock)


class SimDispatcher:
    """Runs jobs on virtual hardware; a job ends when its remaining work is done.

    Each end is announced through ``wake(at, "finish", (job id, epoch))`` (the kernel's
    ``schedule`` in the simulator; a test's fake clock in the live path), and reported
    by ``poll`` once ``on_finish`` was called for it. ``truth`` gives the job as it really
    is (its true work, and the hardware that work is measured on) where the engine's spec
    holds only the request (``nacc.engine.driver.as_requested``: the live path stores the
    time limit, not the work); the backend then runs the true job, resumes it where it
    stopped, and, like a real backend, reports no progress in the engine's units.
    """

    unsupported: Mapping[str, str] = {}

    def __init__(
        self,
        kernel: Kernel | Wake,
        rates: RateModel,
        seed: int = 0,
        runtime_noise: float = 0.0,
        truth: Callable[[JobSpec], JobSpec] | None = None,
    ) -> None:
        """``runtime_noise`` is the coefficient of variation of a lognormal factor on each
        run's speed (real jobs do not run exactly at the modelled rate); 0 disables it."""
        self._wake: Wake = kernel.schedule if isinstance(kernel, Kernel) else kernel
        # a run stopped early withdraws its completion from the kernel's heap, so the
        # simulator is not woken for nothing (the callback path checks the epoch instead)
        self._cancel = kernel.cancel if isinstance(kernel, Kernel) else None
        self._truth = truth
        self._left: dict[JobId, float] = {}
        self._rates = rates
        self._rng = random.Random(seed)
        self._sigma = runtime_noise
        self._runs: dict[JobId, _Run] = {}
        self._epoch = 0
        self._done: list[ports.Observation] = []

    def launch(self, launch: ports.Launch) -> ports.Launched | None:
        spec = launch.spec if self._truth is None else self._truth(launch.spec)
        rate = self._rates.rate(spec, launch.pool.accel_type)
        if rate is None or rate <= 0:
            raise ValueError(f"{launch.spec.id} cannot run on {launch.pool.accel_type}")
        if self._sigma > 0:
            rate *= self._rng.lognormvariate(0.0, self._sigma)
        self._epoch += 1
        remaining = launch.remaining_work
        if self._truth is not None:
            remaining = self._left.get(spec.id, spec.work)
        end = launch.at + launch.setup_s + remaining / rate
        event = self._wake(end, "finish", (launch.spec.id, self._epoch))
        run = _Run(launch.at, launch.setup_s, rate, remaining, self._epoch, event)
        self._runs[launch.spec.id] = run
        return None

    def stop(self, job_id: JobId, at: float) -> float | None:
        run = self._runs.pop(job_id, None)
        if run is None:  # it ended but was not polled yet: drop the pending report
            self._done = [o for o in self._done if o.job_id != job_id]
            return None
        if self._cancel is not None and run.event is not None:
            self._cancel(run.event)
        progressed = min(run.remaining, max(0.0, at - run.start - run.setup) * run.rate)
        if self._truth is not None:
            self._left[job_id] = run.remaining - progressed
            return None
        return progressed

    def on_finish(self, job_id: JobId, epoch: int, at: float) -> bool:
        """Kernel callback: a completion wake-up; False (and ignored) if that run was
        stopped meanwhile (preempted or timed out)."""
        run = self._runs.get(job_id)
        if run is None or run.epoch != epoch:
            return False
        del self._runs[job_id]
        self._left.pop(job_id, None)
        self._done.append(ports.Observation(job_id, at, ports.Outcome.SUCCEEDED))
        return True

    def poll(self, now: float) -> Sequence[ports.Observation]:
        done, self._done = self._done, []
        return done
