"""Running a sweep's cells: serially in this process, or as Ray tasks.

On Ray, ``ray.init()`` starts an embedded local Ray (its workers are this machine's
cores) unless an address is given (``--address`` or ``RAY_ADDRESS``: a running cluster).
Ray is imported only here, only when asked for. What keeps Ray's overhead small
(docs/benchmarks.md, "Sweeps on Ray"):

1. the driver reads and parses the trace once, while Ray starts (a thread beside
   ``ray.init``), and cuts each seed's window of jobs (a *sample*, ~100 KB for 1,500 jobs);
   each sample goes into the object store once (``ray.put``) and every cell of that seed
   gets a reference, so no worker reads the trace;
2. as soon as Ray is up, one warm-up task per CPU imports the simulator in the workers,
   while the driver is still cutting samples;
3. each cell is one task (cells take 0.1-2 s, Ray's per-task cost is ~1 ms), so the
   workers stay busy to the end; results come back as they finish and are written at
   once, so an interrupted sweep resumes from the cells written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from nacc.sim.sweep import Cell, Sample, run_cell, sample_of, simulate_cell

Done = Callable[[dict[str, Any]], None]


def run_serial(cells: Sequence[Cell], done: Done) -> None:
    for cell in cells:
        done(run_cell(cell))


def _ray_env() -> None:
    # Ray 2.60 turns on token authentication and usage stats by default: neither is wanted
    # for a local sweep (docs/simulator.md, "Sweeps")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def samples(cells: Sequence[Cell]) -> dict[tuple[Any, ...], Sample]:
    """One sample per distinct ``sample_key`` (the trace is read once, on first use)."""
    found: dict[tuple[Any, ...], Sample] = {}
    for cell in cells:
        if cell.sample_key not in found:
            found[cell.sample_key] = sample_of(cell)
    return found


def warm_up() -> int:
    """A Ray worker's first task: load what a cell needs (this module brings the simulator
    and the policies; then the rate model and the LP solver the ``gavel`` policy uses), so
    the cells' own tasks find them loaded. Returns the worker's pid."""
    import highspy  # noqa: F401

    from nacc.catalog.throughput import default_model

    default_model()
    return os.getpid()


def run_ray(cells: Sequence[Cell], done: Done, address: str | None = None,
            num_cpus: int | None = None) -> dict[str, Any]:  # fmt: skip
    """Run ``cells`` as Ray tasks (one CPU each); returns what Ray said about the cluster."""
    _ray_env()
    import ray

    started_here = not ray.is_initialized()
    with ThreadPoolExecutor(1) as reader:
        prepared = reader.submit(samples, cells)  # parses the trace while Ray starts
        if started_here:
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                      "logging_level": "warning"}  # fmt: skip
            if address:
                kwargs["address"] = address
            elif num_cpus:
                kwargs["num_cpus"] = num_cpus
            ray.init(**kwargs)
        try:
            return _on_ray(ray, cells, done, prepared.result)
        finally:
            if started_here:
                ray.shutdown()


def _on_ray(ray: Any, cells: Sequence[Cell], done: Done,
            prepared: Callable[[], dict[tuple[Any, ...], Sample]]) -> dict[str, Any]:  # fmt: skip
    resources: dict[str, float] = ray.cluster_resources()
    nodes: list[dict[str, Any]] = ray.nodes()
    cpus = resources.get("CPU", 0.0)
    info = {"cpus": cpus, "nodes": sum(1 for n in nodes if n.get("Alive"))}
    warm = ray.remote(num_cpus=1)(warm_up)
    warming = [warm.remote() for _ in range(max(1, min(len(cells), int(cpus))))]
    refs = {key: ray.put(sample) for key, sample in prepared().items()}
    task = ray.remote(num_cpus=1, max_retries=1)(simulate_cell)
    pending = [task.remote(c, refs[c.sample_key]) for c in cells]
    for result in _as_done(ray, pending):
        done(result)
    ray.get(warming)
    return info


def _as_done(ray: Any, pending: list[Any]) -> Iterator[dict[str, Any]]:
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        for ref in ready:
            yield ray.get(ref)
