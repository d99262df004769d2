"""Reasons for what a backend reports: an end it gave no reason for, a launch it did not
take (refused, or its own failure: either way that job fails, not the engine's step)."""

from __future__ import annotations

from nacc import ports
from nacc.domain.reasons import Code, Reason


def outcome_reason(obs: ports.Observation) -> Reason:
    """The reason for an end a backend reported without one of its own."""
    if obs.outcome is ports.Outcome.SUCCEEDED:
        return Reason(Code.COMPLETED)
    if obs.outcome is ports.Outcome.TIMED_OUT:
        return Reason(Code.TIMEOUT)
    if obs.outcome is ports.Outcome.LOST:
        return Reason(Code.LOST)
    if obs.exit_code is not None:
        return Reason.of(Code.EXIT_CODE, exit_code=obs.exit_code)
    return Reason(Code.LOST)


def launch_refusal(error: Exception) -> Reason:
    """Why a launch failed: the backend's own reason when it refused, else its error."""
    if isinstance(error, ports.LaunchRefused):
        return error.reason
    return Reason.of(Code.LAUNCH_FAILED, message=f"{type(error).__name__}: {error}")
