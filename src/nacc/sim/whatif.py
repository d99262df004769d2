"""The block what-if: the same trace, policy and fleet with and without the reservations,
and what the blocks cost everyone else in wait (``nacc simulate`` with reservations)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from nacc.sim import report
from nacc.sim.blocks import others_wait
from nacc.sim.experiment import Progress, SimConfig
from nacc.sim.study import Loaded, run_policy


def without_blocks(
    name: str, loaded: Loaded, cfg: SimConfig, progress: Progress | None = None
) -> dict[str, Any]:
    """The result of ``name`` on ``loaded`` with no reservation, others counted as the
    same projects as with them (every project no block serves)."""
    bare = replace(loaded, blocks=[])
    result, run = run_policy(name, bare, cfg, progress=progress)
    result["others_wait"] = others_wait(run, loaded.blocks)
    return result


def compare(with_blocks: Mapping[str, Any], without: Mapping[str, Any]) -> dict[str, Any]:
    """Others' wait with and without the blocks, and the difference."""
    a, b = with_blocks["others_wait"], without["others_wait"]
    return {
        "policy": with_blocks["policy"],
        "blocks": with_blocks.get("blocks", []),
        "others_with_blocks": dict(a),
        "others_without_blocks": dict(b),
        "extra_avg_wait_s": a["avg_wait_s"] - b["avg_wait_s"],
        "extra_p95_wait_s": a["p95_wait_s"] - b["p95_wait_s"],
        "avg_jct_with_s": with_blocks["avg_jct_s"],
        "avg_jct_without_s": without["avg_jct_s"],
    }


def plot_wait(whatif: Mapping[str, Any], path: Path) -> Path:
    """Bars: others' average and p95 wait (hours) without and with the blocks."""
    import matplotlib.pyplot as plt  # after nacc.sim.report chose the Agg backend

    fig, ax = plt.subplots(figsize=(6, 3.6))
    labels = ["average", "p95"]
    without = [whatif["others_without_blocks"][k] / 3600 for k in ("avg_wait_s", "p95_wait_s")]
    with_b = [whatif["others_with_blocks"][k] / 3600 for k in ("avg_wait_s", "p95_wait_s")]
    xs = range(len(labels))
    ax.bar([x - 0.2 for x in xs], without, width=0.4, label="without blocks")
    ax.bar([x + 0.2 for x in xs], with_b, width=0.4, label="with blocks")
    ax.set_xticks(list(xs), labels)
    ax.set_ylabel("others' wait (h)")
    names = ", ".join(f"{b['id']} ({b['count']} on {b['pool']})" for b in whatif["blocks"])
    ax.set_title(f"{whatif['policy']}: {names}", fontsize=9)
    ax.legend()
    return report.save(fig, path)
