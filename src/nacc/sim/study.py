"""A simulation study: load scenario + trace, run one or more policies, write results.

This is the application layer the CLI calls; it does the file IO so the engine and the
policies stay pure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nacc.catalog.throughput import ThroughputModel, default_model
from nacc.domain.errors import InputError
from nacc.domain.pools import Pool
from nacc.domain.reservations import Block, check_fits
from nacc.scenario import field_error, load_scenario
from nacc.scenario.datasets import with_datasets
from nacc.scenario.reservations import blocks_of
from nacc.scenario.reservations_file import load_reservations
from nacc.scenario.share_tree import ShareTreeSpec, TreeData, tree_data
from nacc.scheduling import fairtree
from nacc.scheduling.blocks import Blocked
from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim import blocks as block_costs
from nacc.sim import metrics, mix, offered, waits
from nacc.sim.experiment import Progress, SimConfig, SimRun, simulate
from nacc.sim.traces import ReadOptions, TraceRead, read_trace


@dataclass(frozen=True, slots=True)
class StudyInput:
    scenario: Path
    trace: Path
    fmt: str
    read_options: ReadOptions = field(default_factory=ReadOptions)
    sim: SimConfig = field(default_factory=SimConfig)
    policy_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    reservations: Path | None = None  # a reservations YAML file (beside the scenario's own)
    class_mix: mix.Mix | None = None  # --class-mix: job classes the trace does not give
    program_mix: mix.Mix | None = None  # --program-mix: programs by project
    offered_load: float | None = None  # --offered-load: the load scale that offers this

    def mixes(self) -> str:
        """The stated mixes as text for the report ('' when none)."""
        parts = [f"{flag} " + ",".join(f"{n}={w}" for n, w in m)
                 for flag, m in (("--class-mix", self.class_mix),
                                 ("--program-mix", self.program_mix)) if m]  # fmt: skip
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Loaded:
    pools: list[Pool]
    trace: TraceRead
    rates: ThroughputModel
    restart_cost_s: float | None = None
    blocks: list[Block] = field(default_factory=list)
    tree: TreeData | None = None  # the scenario's share tree, over the trace's projects


def load(inp: StudyInput) -> Loaded:
    """Read and validate the scenario, its reservations and the trace (errors name file,
    line, field)."""
    scenario = load_scenario(inp.scenario)
    pools = scenario.domain_pools()
    blocks = blocks_of(scenario.reservations, pools)
    if inp.reservations is not None:
        sizes = {p.id: p.count for p in pools}
        for block in load_reservations(inp.reservations, pools):
            check_fits(block, blocks, sizes[block.pool_id])
            blocks.append(block)
    trace = read_trace(inp.trace, inp.fmt, inp.read_options)
    if scenario.datasets:  # the datasets' projects' jobs: residency and data sites
        trace = replace(trace, jobs=with_datasets(trace.jobs, scenario.datasets))
    if inp.class_mix:
        trace = replace(trace, jobs=mix.with_classes(trace.jobs, inp.class_mix))
    if inp.program_mix:
        trace = replace(trace, jobs=mix.with_programs(trace.jobs, inp.program_mix))
    tree = None
    if scenario.share_tree is not None:
        check_tree_programs(inp.scenario, scenario.share_tree, inp.program_mix)
        programs: dict[str, str] = {}
        for job in trace.jobs:
            programs.setdefault(job.project, job.program)
        tree = tree_data(scenario.share_tree, programs)
    return Loaded(pools, trace, default_model(), scenario.restart_cost_s, blocks, tree)


def check_tree_programs(path: Path, tree: ShareTreeSpec, program_mix: mix.Mix | None) -> None:
    """Every program of ``--program-mix`` must be one of the share tree's (an error names
    the scenario file and ``share_tree.programs``)."""
    known = tree.program_names()
    for name, _ in program_mix or ():
        if name not in known:
            raise field_error(path, ("share_tree", "programs"), f"program {name!r} of the "
                              f"program mix is not in the share tree; its programs: "
                              f"{', '.join(known)}")  # fmt: skip


def resolve_load(inp: StudyInput, loaded: Loaded) -> tuple[SimConfig, float]:
    """The run's config with its load scale (from ``--offered-load`` when given) and the
    utilisation it offers (``nacc.sim.offered``)."""
    jobs, pools = loaded.trace.jobs, loaded.pools
    cfg = inp.sim
    if inp.offered_load is not None:
        try:
            scale = offered.load_scale_for(inp.offered_load, jobs, pools, loaded.rates)
        except ValueError as exc:
            raise InputError("--offered-load", str(exc).removeprefix("--offered-load: ")) from None
        cfg = replace(cfg, load_scale=scale)
    return cfg, offered.offered_utilization(jobs, pools, loaded.rates, cfg.load_scale)


def run_policy(
    name: str,
    loaded: Loaded,
    cfg: SimConfig,
    options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], SimRun]:
    """Run one policy; returns the result object and the raw run (for plots)."""
    policy = builtin_policies().create(name, options)
    if loaded.blocks:
        policy = Blocked(policy, loaded.blocks)
    if cfg.restart_cost_s is None and loaded.restart_cost_s is not None:
        cfg = replace(cfg, restart_cost_s=loaded.restart_cost_s)
    if cfg.tree is None and loaded.tree is not None:
        cfg = with_tree(cfg, loaded.tree)
    run = simulate(loaded.trace.jobs, loaded.pools, policy, loaded.rates, cfg, progress)
    skipped = loaded.trace.skipped_zero_gpu + loaded.trace.skipped_invalid
    result = metrics.summarize(run, loaded.rates, skipped)
    result["load_scale"] = cfg.load_scale
    result["offered_utilization"] = offered.offered_utilization(
        loaded.trace.jobs, loaded.pools, loaded.rates, cfg.load_scale)  # fmt: skip
    result["seed"] = cfg.seed
    result["others_wait"] = block_costs.others_wait(run, loaded.blocks)
    result["p95_queue_s"] = metrics.percentile(
        sorted((j.first_start_s or j.spec.submit_s) - j.spec.submit_s
               for j in run.jobs if j.first_start_s is not None), 95)  # fmt: skip
    result["wait_by_size"] = waits.by_size(run)
    result["wait_by_program"] = waits.by_program(run)
    if loaded.blocks:
        result["blocks"] = block_costs.block_report(run, loaded.blocks, loaded.rates)
    return result, run


def with_tree(cfg: SimConfig, tree: TreeData) -> SimConfig:
    """``cfg`` ranking by the share tree, with the tree's usage half-life."""
    paths = {project: fairtree.Path(*where) for project, where in tree.paths.items()}
    return replace(cfg, tree=paths, tree_shares=dict(tree.shares),
                   usage_half_life_s=tree.half_life_s)  # fmt: skip


def write_json(path: Path, payload: object) -> Path:
    """Write JSON atomically (temp file then rename), so no half-written result is left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def validate_policies(names: Sequence[str]) -> list[str]:
    """Check policy names before any work starts; unknown names list the known ones."""
    registry = builtin_policies()
    for n in names:
        registry.create(n)
    return list(names)
