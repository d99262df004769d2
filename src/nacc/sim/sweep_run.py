"""Running a sweep's cells: serially in this process, or as Ray tasks.

On Ray, ``ray.init()`` starts an embedded local Ray (its workers are this machine's
cores) unless an address is given (``--address`` or ``RAY_ADDRESS``: a running cluster).
Each cell is one task; results come back as they finish and are written at once, so an
interrupted sweep resumes from the cells written. Ray is imported only here, only when
asked for.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from nacc.sim.sweep import Cell, run_cell

Done = Callable[[dict[str, Any]], None]


def run_serial(cells: Sequence[Cell], done: Done) -> None:
    for cell in cells:
        done(run_cell(cell))


def _ray_env() -> None:
    # Ray 2.60 turns on token authentication and usage stats by default: neither is wanted
    # for a local sweep (docs/simulator.md, "Sweeps")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def run_ray(cells: Sequence[Cell], done: Done, address: str | None = None,
            num_cpus: int | None = None) -> dict[str, Any]:  # fmt: skip
    """Run ``cells`` as Ray tasks (one CPU each); returns what Ray said about the cluster."""
    _ray_env()
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "logging_level": "warning"}  # fmt: skip
        if address:
            kwargs["address"] = address
        elif num_cpus:
            kwargs["num_cpus"] = num_cpus
        ray.init(**kwargs)
    try:
        resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
        nodes: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]
        info = {"cpus": resources.get("CPU", 0.0), "nodes": sum(1 for n in nodes if n.get("Alive"))}
        task = ray.remote(num_cpus=1, max_retries=1)(run_cell)
        for result in _as_done(ray, [task.remote(c) for c in cells]):
            done(result)
        return info
    finally:
        if started_here:
            ray.shutdown()


def _as_done(ray: Any, pending: list[Any]) -> Iterator[dict[str, Any]]:
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        for ref in ready:
            yield ray.get(ref)
