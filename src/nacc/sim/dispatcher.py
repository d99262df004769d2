"""The simulated dispatcher: completion times come from the throughput model."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nacc import ports
from nacc.domain.ids import JobId
from nacc.scheduling.view import RateModel
from nacc.sim.kernel import Kernel


@dataclass(slots=True)
class _Run:
    start: float
    setup: float
    rate: float
    remaining: float
    epoch: int


class SimDispatcher:
    """Runs jobs on virtual hardware; a job ends when its remaining work is done."""

    unsupported: Mapping[str, str] = {}

    def __init__(
        self, kernel: Kernel, rates: RateModel, seed: int = 0, runtime_noise: float = 0.0
    ) -> None:
        """``runtime_noise`` is the coefficient of variation of a lognormal factor on each
        run's speed (real jobs do not run exactly at the modelled rate); 0 disables it."""
        self._kernel = kernel
        self._rates = rates
        self._rng = random.Random(seed)
        self._sigma = runtime_noise
        self._runs: dict[JobId, _Run] = {}
        self._epoch = 0
        self._done: list[ports.Observation] = []

    def launch(self, launch: ports.Launch) -> None:
        rate = self._rates.rate(launch.spec, launch.pool.accel_type)
        if rate is None or rate <= 0:
            raise ValueError(f"{launch.spec.id} cannot run on {launch.pool.accel_type}")
        if self._sigma > 0:
            rate *= self._rng.lognormvariate(0.0, self._sigma)
        self._epoch += 1
        run = _Run(launch.at, launch.setup_s, rate, launch.remaining_work, self._epoch)
        self._runs[launch.spec.id] = run
        end = launch.at + launch.setup_s + launch.remaining_work / rate
        self._kernel.schedule(end, "finish", (launch.spec.id, run.epoch))

    def stop(self, job_id: JobId, at: float) -> float | None:
        run = self._runs.pop(job_id, None)
        if run is None:  # it ended but was not polled yet: drop the pending report
            self._done = [o for o in self._done if o.job_id != job_id]
            return None
        progressed = max(0.0, at - run.start - run.setup) * run.rate
        return min(run.remaining, progressed)

    def on_finish(self, job_id: JobId, epoch: int, at: float) -> None:
        """Kernel callback: a completion wake-up (ignored if the run was preempted)."""
        run = self._runs.get(job_id)
        if run is not None and run.epoch == epoch:
            del self._runs[job_id]
            self._done.append(ports.Observation(job_id, at, True))

    def poll(self, now: float) -> Sequence[ports.Observation]:
        done, self._done = self._done, []
        return done
