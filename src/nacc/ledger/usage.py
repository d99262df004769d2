"""Decayed usage per project (Slurm's PriorityDecayHalfLife), kept in closed form.

Usage U decays with rate lambda = ln 2 / half-life while running jobs add credits at rate
r (credits/s). Between changes of r, U(t) = U0 e^{-lambda dt} + r (1 - e^{-lambda dt}) / lambda.
Keeping (U0, t0, r) per project makes reading U(now) O(1) without summing over jobs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(slots=True)
class _Account:
    value: float = 0.0
    at: float = 0.0
    rate: float = 0.0


class DecayedUsage:
    """Per-project decayed usage in credits."""

    def __init__(self, half_life_s: float) -> None:
        if half_life_s <= 0:
            raise ValueError("half_life_s must be positive")
        self._lam = math.log(2.0) / half_life_s
        self._acc: dict[str, _Account] = {}

    def _advance(self, project: str, now: float) -> _Account:
        acc = self._acc.get(project)
        if acc is None:
            acc = self._acc[project] = _Account(at=now)
        dt = now - acc.at
        if dt > 0:
            decay = math.exp(-self._lam * dt)
            acc.value = acc.value * decay + acc.rate * (1.0 - decay) / self._lam
            acc.at = now
        return acc

    def change_rate(self, project: str, now: float, delta_credits_per_s: float) -> None:
        """A job started (positive delta) or stopped (negative) accruing credits."""
        acc = self._advance(project, now)
        acc.rate = max(0.0, acc.rate + delta_credits_per_s)

    def add(self, project: str, now: float, credits: float) -> None:
        self._advance(project, now).value += credits

    def value(self, project: str, now: float) -> float:
        return self._advance(project, now).value

    def snapshot(self, now: float) -> dict[str, float]:
        # ``_advance`` for every project, inlined (the engine calls this every decision):
        # the same arithmetic in the same order, so the same values to the last bit.
        lam, out = self._lam, {}
        for p, acc in self._acc.items():
            dt = now - acc.at
            if dt > 0:
                decay = math.exp(-lam * dt)
                acc.value = acc.value * decay + acc.rate * (1.0 - decay) / lam
                acc.at = now
            out[p] = acc.value
        return out
