"""`nacc simulate` with reservations: the run without them, and the comparison."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from nacc.cli import words
from nacc.cli.say import language

if TYPE_CHECKING:
    from nacc.sim.study import StudyInput


def _say(key: str, **params: object) -> str:
    return words.say(language(), key, **params)


def _h(seconds: float) -> str:
    return _say("whatif.hours", hours=f"{seconds / 3600:,.2f}")


def run(inp: StudyInput, policy: str, with_blocks: dict[str, Any], out: Path,
        console: Console) -> dict[str, Any]:  # fmt: skip
    """Run ``policy`` without the blocks, print and write the comparison."""
    from nacc.sim import study, whatif

    loaded = study.load(inp)
    without = whatif.without_blocks(policy, loaded, inp.sim)
    result = whatif.compare(with_blocks, without)
    study.write_json(out / "whatif.json", result)
    png = whatif.plot_wait(result, out / "blocks_wait.png")
    table = Table(title=_say("whatif.title"))
    for col in ("", _say("whatif.col.jobs"), _say("whatif.col.avg"), _say("whatif.col.p95")):
        table.add_column(col, justify="right")
    for label, key in ((_say("whatif.without"), "others_without_blocks"),
                       (_say("whatif.with"), "others_with_blocks")):  # fmt: skip
        row = result[key]
        table.add_row(label, f"{row['jobs']:,.0f}", _h(row["avg_wait_s"]), _h(row["p95_wait_s"]))
    console.print(table)
    for b in result["blocks"]:
        console.print(_say("whatif.block", id=b["id"], count=b["count"], pool=b["pool"],
                           booked=f"{b['booked_accelerator_h']:,.0f}",
                           used=f"{b['used_accelerator_h']:,.0f}",
                           idle=f"{b['idle_accelerator_h']:,.0f}",
                           credits=f"{b['block_credits']:,.0f}", mode=b["charge_mode"]),
                      markup=False)  # fmt: skip
    console.print(_say("whatif.files", json=out / "whatif.json", png=png), markup=False)
    return result
