"""`nacc simulate` with reservations: the run without them, and the comparison."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from nacc.sim.study import StudyInput


def _h(seconds: float) -> str:
    return f"{seconds / 3600:,.2f} h"


def run(inp: StudyInput, policy: str, with_blocks: dict[str, Any], out: Path,
        console: Console) -> dict[str, Any]:  # fmt: skip
    """Run ``policy`` without the blocks, print and write the comparison."""
    from nacc.sim import study, whatif

    loaded = study.load(inp)
    without = whatif.without_blocks(policy, loaded, inp.sim)
    result = whatif.compare(with_blocks, without)
    study.write_json(out / "whatif.json", result)
    png = whatif.plot_wait(result, out / "blocks_wait.png")
    table = Table(title="others' wait (jobs of projects no block serves)")
    for col in ("", "jobs", "average wait", "p95 wait"):
        table.add_column(col, justify="right")
    for label, key in (("without blocks", "others_without_blocks"),
                       ("with blocks", "others_with_blocks")):  # fmt: skip
        row = result[key]
        table.add_row(label, f"{row['jobs']:,.0f}", _h(row["avg_wait_s"]), _h(row["p95_wait_s"]))
    console.print(table)
    for b in result["blocks"]:
        console.print(
            f"block {b['id']}: {b['count']} on {b['pool']}, booked "
            f"{b['booked_accelerator_h']:,.0f} accelerator-h, used {b['used_accelerator_h']:,.0f}, "
            f"idle {b['idle_accelerator_h']:,.0f}; charged {b['block_credits']:,.0f} credits "
            f"({b['charge_mode']})"
        )
    console.print(f"what-if: {out / 'whatif.json'}  plot: {png}")
    return result
