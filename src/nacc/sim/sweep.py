"""A sweep: a grid of scenarios x policies x loads x seeds, one simulation per cell.

``sweep.yaml`` names the scenarios, the trace, the policies, the loads (arrival-rate
multipliers, ``load_scale``) and the seeds. A cell's seed picks which ``jobs`` consecutive
jobs of the trace it replays (seed 0: the first; seed s: a window starting at a random job
drawn from ``random.Random(s)``), so seeds are different samples of the same workload,
and seeds the runtime noise when ``runtime_noise`` > 0. An optional ``program_mix`` puts
each project's jobs in a program (``nacc.sim.mix``), so cells report waits per program; a
scenario's ``share_tree`` must declare the mix's programs.

Each cell's result is written to ``OUT/cells/<key>.json`` as soon as it is done, with the
hash of what it was run from (the scenario's and the trace's contents included); a rerun
skips every cell whose file is there with the same hash (resumable), so an interrupted
sweep loses at most the cells in flight. Running the cells (serially or on Ray) is
``nacc.sim.sweep_run``; tables and plots are ``nacc.sim.sweep_report``.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from nacc.catalog.throughput import default_model
from nacc.domain.errors import InputError, NaccError
from nacc.domain.pools import Pool
from nacc.domain.reservations import Block
from nacc.scenario import load_scenario
from nacc.scenario.share_tree import TreeData
from nacc.sim import metrics, mix
from nacc.sim.experiment import SimConfig
from nacc.sim.study import (
    Loaded,
    StudyInput,
    check_tree_programs,
    load,
    run_policy,
    validate_policies,
)
from nacc.sim.traces import ReadOptions, TraceRead

KEYS = ("name", "scenarios", "trace", "policies", "loads", "seeds", "runtime_noise",
        "program_mix", "out")  # fmt: skip
FORMAT = 2  # of a cell's result: 2 added waits by program
PROGRAM_FIELDS = ("jobs", "never_started", "p50_wait_s", "p95_wait_s")


@dataclass(frozen=True, slots=True)
class Cell:
    """One simulation of the grid."""

    scenario: str  # path, as resolved
    trace: str
    fmt: str
    jobs: int
    policy: str
    load: float
    seed: int
    runtime_noise: float = 0.0
    program_mix: mix.Mix = ()  # the sweep's program_mix: programs by project
    inputs: str = ""  # a hash of the scenario's and the trace's contents

    @property
    def key(self) -> str:
        return f"{Path(self.scenario).stem}__{self.policy}__load{self.load:g}__seed{self.seed}"

    @property
    def sample_key(self) -> tuple[Any, ...]:
        """What the cell's jobs depend on: cells with the same key replay the same sample."""
        return (self.scenario, self.trace, self.fmt, self.jobs, self.seed, self.program_mix)

    def digest(self) -> str:
        """What the cell's result depends on (and the code's result format)."""
        text = json.dumps([self.scenario, self.trace, self.fmt, self.jobs, self.policy,
                           self.load, self.seed, self.runtime_noise, self.program_mix,
                           self.inputs, FORMAT])  # fmt: skip
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Sweep:
    name: str
    cells: tuple[Cell, ...]
    out: Path


def _fail(path: Path, key: str, expected: str, got: Any) -> InputError:
    return InputError(f"{path}: {key}", f"expected {expected}, got {got!r}")


def _numbers(path: Path, data: dict[str, Any], key: str, kind: type) -> list[Any]:
    value = data.get(key)
    ok = (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value)
    )
    if not ok:
        raise _fail(path, key, f"a non-empty list of numbers >= 0 ({kind.__name__})", value)
    return [kind(v) for v in value]  # type: ignore[union-attr]


def _names(path: Path, data: dict[str, Any], key: str, what: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise _fail(path, key, f"a non-empty list of {what}", value)
    return value


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(path), f"cannot read sweep file: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InputError(where, f"not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}:1", f"expected a mapping with keys {', '.join(KEYS)}")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise InputError(f"{path}: {unknown[0]}", f"unknown key; allowed: {', '.join(KEYS)}")
    return data


def _trace(path: Path, data: dict[str, Any]) -> tuple[str, str, int]:
    trace = data.get("trace")
    if not isinstance(trace, dict) or not isinstance(trace.get("path"), str):
        raise _fail(path, "trace", "a mapping with path, format and jobs", trace)
    jobs = trace.get("jobs", 1000)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or not 1 <= jobs <= 10_000_000:
        raise _fail(path, "trace.jobs", "a job count between 1 and 10,000,000", jobs)
    fmt = trace.get("format", "philly")
    if not isinstance(fmt, str):
        raise _fail(path, "trace.format", "a trace format name", fmt)
    return str((path.parent / trace["path"]).resolve()), fmt, jobs


def _program_mix(path: Path, data: dict[str, Any]) -> mix.Mix:
    """``program_mix``: a mapping of program to whole weight, or ``"a=2,b=1"`` text."""
    value = data.get("program_mix")
    if value is None:
        return ()
    if isinstance(value, dict):
        value = ",".join(f"{k}={v}" for k, v in value.items())
    if not isinstance(value, str):
        raise _fail(path, "program_mix", "a mapping of program names to whole weights", value)
    return mix.parse_mix(value, f"{path}: program_mix")


def _scenarios(path: Path, data: dict[str, Any], trace: str,
               program_mix: mix.Mix) -> list[tuple[str, str]]:  # fmt: skip
    """Each scenario's resolved path and a hash of its and the trace's contents; a scenario
    with a share tree must hold the program mix's programs."""
    names = _names(path, data, "scenarios", "scenario files")
    if not Path(trace).is_file():
        raise InputError(f"{path}: trace.path", f"no such trace file: {trace}")
    trace_hash = hashlib.sha256(Path(trace).read_bytes()).hexdigest()
    found = []
    for scenario in (str((path.parent / s).resolve()) for s in names):
        if not Path(scenario).is_file():
            raise InputError(f"{path}: scenarios", f"no such scenario file: {scenario}")
        tree = load_scenario(Path(scenario)).share_tree
        if tree is not None and program_mix:
            check_tree_programs(Path(scenario), tree, program_mix)
        text = Path(scenario).read_bytes() + trace_hash.encode()
        found.append((scenario, hashlib.sha256(text).hexdigest()[:16]))
    return found


def load_sweep(path: Path, out: Path | None = None) -> Sweep:
    """Read and check ``sweep.yaml`` (errors name the file and the key); paths in it are
    relative to the file's folder."""
    data = _read(path)
    trace, fmt, jobs = _trace(path, data)
    policies = _names(path, data, "policies", "policy names")
    try:
        validate_policies(policies)
    except (NaccError, ValueError) as exc:
        raise InputError(f"{path}: policies", str(exc)) from None
    loads = _numbers(path, data, "loads", float)
    if any(v <= 0 for v in loads):
        raise _fail(path, "loads", "load multipliers > 0", loads)
    seeds = _numbers(path, data, "seeds", int)
    noise = data.get("runtime_noise", 0.0)
    if not isinstance(noise, int | float) or isinstance(noise, bool) or noise < 0:
        raise _fail(path, "runtime_noise", "a number >= 0", noise)
    programs = _program_mix(path, data)
    scenarios = _scenarios(path, data, trace, programs)
    name = str(data.get("name") or path.stem)
    cells = tuple(Cell(s, trace, fmt, jobs, p, ld, sd, float(noise), programs, inputs)
                  for s, inputs in scenarios for p in policies for ld in loads
                  for sd in seeds)  # fmt: skip
    target = out or path.parent / str(data.get("out") or f"out/sweep-{name}")
    return Sweep(name, cells, target)


@lru_cache(maxsize=8)
def _loaded(scenario: str, trace: str, fmt: str, program_mix: mix.Mix) -> Loaded:
    """The scenario and the whole trace, read once per process."""
    return load(StudyInput(Path(scenario), Path(trace), fmt, ReadOptions(skip_invalid=True),
                           program_mix=program_mix or None))  # fmt: skip


def window(n_total: int, jobs: int, seed: int) -> int:
    """Where seed ``seed``'s window of ``jobs`` jobs starts in a trace of ``n_total``."""
    if seed == 0 or n_total <= jobs:
        return 0
    return random.Random(seed).randrange(0, n_total - jobs + 1)


@dataclass(frozen=True, slots=True)
class Sample:
    """A cell's inputs, small enough to ship to a Ray worker (the rate model is rebuilt
    there): the fleet and the seed's window of the trace, shifted to start at 0."""

    pools: list[Pool]
    trace: TraceRead
    restart_cost_s: float | None
    blocks: list[Block]
    tree: TreeData | None
    window_start: int

    def loaded(self) -> Loaded:
        return Loaded(self.pools, self.trace, default_model(), self.restart_cost_s, self.blocks,
                      self.tree)  # fmt: skip


def sample_of(cell: Cell) -> Sample:
    """The cell's sample: seed ``cell.seed``'s window of ``cell.jobs`` jobs of the trace."""
    loaded = _loaded(cell.scenario, cell.trace, cell.fmt, cell.program_mix)
    jobs = loaded.trace.jobs
    start = window(len(jobs), cell.jobs, cell.seed)
    chosen = jobs[start : start + cell.jobs]
    t0 = chosen[0].submit_s if chosen else 0.0
    trace = replace(loaded.trace, jobs=[j.at(j.submit_s - t0) for j in chosen])
    return Sample(loaded.pools, trace, loaded.restart_cost_s, loaded.blocks, loaded.tree, start)


def run_cell(cell: Cell) -> dict[str, Any]:
    """Simulate one cell (reading the trace on first use in this process)."""
    return simulate_cell(cell, sample_of(cell))


def simulate_cell(cell: Cell, sample: Sample) -> dict[str, Any]:
    """Simulate one cell on its sample; the result has the summary, every completed job's
    JCT (for CDFs and percentiles), waits by job size and by program."""
    loaded = sample.loaded()
    cfg = SimConfig(load_scale=cell.load, seed=cell.seed, runtime_noise=cell.runtime_noise)
    summary, run = run_policy(cell.policy, loaded, cfg)
    done = [j for j in run.jobs if j.finished_s is not None]
    jct = sorted(j.finished_s - j.spec.submit_s for j in done)  # type: ignore[operator]
    keep = {k: summary[k] for k in ("jobs", "completed", "unfinished", "avg_jct_s",
                                    "avg_queue_s", "jain_fairness", "lower_bound_avg_jct_s",
                                    "preemptions", "wall_s", "offered_utilization")}  # fmt: skip
    keep["p99_jct_s"] = metrics.percentile(jct, 99)
    keep["p95_queue_s"] = summary["p95_queue_s"]
    keep["utilization"] = metrics.overall_utilization(summary.get("utilization") or {}, run.pools)
    return {
        "key": cell.key, "digest": cell.digest(), "scenario": Path(cell.scenario).stem,
        "policy": cell.policy, "load": cell.load, "seed": cell.seed,
        "window_start": sample.window_start, "summary": keep,
        "jct_s": [round(x, 3) for x in jct],
        "wait_by_size": {k: v["avg_wait_s"] for k, v in summary["wait_by_size"].items()
                         if v["jobs"] > v["never_started"]},
        "wait_by_program": {k: {f: v[f] for f in PROGRAM_FIELDS}
                            for k, v in summary["wait_by_program"].items()},
    }  # fmt: skip


def done_cells(sweep: Sweep) -> dict[str, dict[str, Any]]:
    """The cells whose result file is there and matches (the rest are to run)."""
    found: dict[str, dict[str, Any]] = {}
    for cell in sweep.cells:
        path = sweep.out / "cells" / f"{cell.key}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("digest") == cell.digest():
            found[cell.key] = data
    return found


def write_cell(sweep: Sweep, result: dict[str, Any]) -> Path:
    """Write one cell's result atomically (temp file, then rename)."""
    folder = sweep.out / "cells"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{result['key']}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
