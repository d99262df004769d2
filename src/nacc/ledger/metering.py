"""Metering: turn a stretch of accelerator use into credits.

One credit is one hour of an H100-SXM running the job's class at full speed
(DESIGN.md); ``credit_rate`` (credits per accelerator-hour) comes from the
throughput model.
"""

from __future__ import annotations


def credits_for(count: int, seconds: float, credit_rate: float) -> float:
    """Credits charged for ``count`` accelerators held for ``seconds`` at ``credit_rate``."""
    if count < 0 or seconds < 0 or credit_rate < 0:
        raise ValueError("count, seconds and credit_rate must be non-negative")
    return count * seconds * credit_rate / 3600.0
