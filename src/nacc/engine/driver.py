"""The driver: when the engine observes, stops jobs at their limits, and decides.

One ``Driver.step(now, changed)`` is one control cycle, the same in the simulator and
the live service; they differ only in who calls it and when:

1. observe every backend (ends become lifecycle transitions);
2. stop running jobs that reached their time limit (``timeout``, charged to the limit);
3. decide if due — event-driven policies (``on_events``) after a change, at most once
   per ``cycle_s``; round-based ones (``round_s``) every round while there is something
   to decide (pending jobs, or running ones if ``rounds_when_idle``);
4. give the first pending jobs an expected start where the policy gave none (by time
   limits on the capacity calendar).

``next_wakeup()`` says when the driver next has something to do on its own (a round, a
deferred cycle, a time limit): the simulator schedules an event then; the live loop
ticks on a timer and may sleep until then.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from nacc.domain.ids import JobId
from nacc.domain.jobs import JobSpec
from nacc.engine.engine import Engine
from nacc.engine.records import JobRecord
from nacc.scheduling.calendar import expected_starts
from nacc.scheduling.placement import ACCEPTABLE_SPEED

DEFAULT_LIMIT_S = 3600.0
REQUEST_REFERENCE = "H100-SXM"
"""What a request's time limit is measured on (the engine's work unit for a live job)."""


def as_requested(spec: JobSpec, default_limit_s: float = DEFAULT_LIMIT_S) -> JobSpec:
    """What a scheduler knows of a job before it runs: its request, not its work. The
    live service stores no work, so the engine takes the time limit (or
    ``default_limit_s``) as the work, in seconds on ``REQUEST_REFERENCE``
    (``nacc.service.live.spec_of``); the simulator does the same when it is not
    clairvoyant, and its backend keeps the true job."""
    limit = spec.time_limit_s or default_limit_s
    return replace(spec, work=limit, time_limit_s=limit, workload=None,
                   reference_type=REQUEST_REFERENCE)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DriverConfig:
    """``cycle_s``: event-driven decisions at most this often (0: after every change);
    ``enforce_time_limits``: stop jobs at their limit (live: always; the simulator:
    off by default, as traces' limits are assumptions); ``default_limit_s``: the limit
    assumed for a job without one when estimating starts; ``estimate_starts``: how many
    jobs at the head of the queue get an expected start (0: none)."""

    cycle_s: float = 0.0
    enforce_time_limits: bool = True
    default_limit_s: float = DEFAULT_LIMIT_S
    estimate_starts: int = 0

    def __post_init__(self) -> None:
        if self.cycle_s < 0:
            raise ValueError(f"cycle_s must be >= 0, got {self.cycle_s}")
        if self.default_limit_s <= 0:
            raise ValueError(f"default_limit_s must be > 0, got {self.default_limit_s}")
        if self.estimate_starts < 0:
            raise ValueError(f"estimate_starts must be >= 0, got {self.estimate_starts}")


class Driver:
    """Runs one engine's control cycles."""

    def __init__(self, engine: Engine, config: DriverConfig | None = None) -> None:
        self.engine = engine
        self.policy = engine.policy
        self.config = config or DriverConfig()
        self.last_decision = -float("inf")
        self.last_round: float | None = None
        self.round_at: float | None = None
        self.cycle_at: float | None = None
        self.estimates: dict[JobId, float] = {}
        self.decisions = 0
        self._refusals_seen = 0
        self.wake_at: float | None = None  # a policy's own next decision (block start/end)

    def step(self, now: float, changed: bool = False) -> bool:
        """One control cycle at ``now``; ``changed``: jobs arrived or left since the last
        step (ends the backends report count too). Returns whether the policy ran."""
        engine = self.engine
        # 1. Observe.
        changed = engine.observe_backends(now) > 0 or changed
        # 2. Time limits.
        if self.config.enforce_time_limits:
            changed = engine.enforce_limits(now) > 0 or changed
        # 3. Decide if due.
        decide = self._due(now, changed)
        if decide:
            engine.decide(now)
            self.last_decision = now
            self.decisions += 1
            self._redecide_after_refusals()
        self._next_round(now)
        self._policy_wake(now)
        # 4. Expected starts.
        if decide and self.config.estimate_starts:
            self._estimate(now)
        return decide

    def next_wakeup(self) -> float | None:
        """The next time the driver must step though nothing arrives or ends."""
        times = [t for t in (self.round_at, self.cycle_at, self.wake_at) if t is not None]
        if self.config.enforce_time_limits:
            deadline = self.engine.next_deadline()
            if deadline is not None:
                times.append(deadline)
        return min(times) if times else None

    def _due(self, now: float, changed: bool) -> bool:
        due = False
        if self.wake_at is not None and now >= self.wake_at:
            due, self.wake_at = True, None
        if self.round_at is not None and now >= self.round_at:
            due, self.round_at, self.last_round = True, None, now
        if self.cycle_at is not None and now >= self.cycle_at:
            due, self.cycle_at = True, None
        if changed and self.policy.on_events:
            at = self.last_decision + self.config.cycle_s
            if now >= at:
                return True
            if self.cycle_at is None:
                self.cycle_at = at
        return due

    def _policy_wake(self, now: float) -> None:
        """A policy with ``next_wake(now)`` (``scheduling.blocks.Blocked``: a block starts
        or ends) decides then though nothing arrives or ends."""
        wake = getattr(self.policy, "next_wake", None)
        if wake is not None:
            at = wake(now)
            self.wake_at = at if isinstance(at, int | float) else None

    def _redecide_after_refusals(self) -> None:
        """A launch the backend refused gave back what the plan had counted on (and the
        jobs that waited behind it were told there was no room): an event-driven policy
        decides again at its next cycle, though nothing else arrives or ends."""
        refusals = self.engine.launch_refusals
        if refusals == self._refusals_seen:
            return
        self._refusals_seen = refusals
        if self.policy.on_events and self.cycle_at is None:
            self.cycle_at = self.last_decision + self.config.cycle_s

    def _next_round(self, now: float) -> None:
        """Keep a round due while the policy has something to decide; the first round
        comes at the first arrival."""
        round_s, engine = self.policy.round_s, self.engine
        if round_s is None or self.round_at is not None:
            return
        if engine.pending or (self.policy.rounds_when_idle and engine.running):
            last = self.last_round
            self.round_at = now if last is None else max(now, last + round_s)

    def _estimate(self, now: float) -> None:
        """Expected starts for the head of the queue where the policy gave none."""
        engine, n = self.engine, self.config.estimate_starts
        head: list[JobRecord] = []
        for rec in engine.pending.values():
            if len(head) >= n:
                break
            head.append(rec)
        missing = [rec for rec in head if rec.expected_start_s is None]
        if not missing:
            self.estimates = {}
            return
        view = engine.snapshot(now)
        self.estimates = expected_starts(view, missing, self.config.default_limit_s,
                                         ACCEPTABLE_SPEED)  # fmt: skip

    def expected_start(self, job_id: JobId) -> float | None:
        """The policy's expected start for a pending job, else the driver's estimate."""
        rec = self.engine.pending.get(job_id)
        if rec is None:
            return None
        return (
            rec.expected_start_s if rec.expected_start_s is not None else self.estimates.get(job_id)
        )
