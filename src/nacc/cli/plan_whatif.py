"""`nacc plan --what-if`: the plan as written and its standard variants, compared."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from nacc import i18n
from nacc.cli.client import language
from nacc.domain.reasons import Code, Reason

if TYPE_CHECKING:
    from nacc.planning.model import PlanningFile
    from nacc.planning.solve import PlanResult
    from nacc.scenario.model import Scenario


def _say(code: str, **params: Any) -> str:
    return i18n.render(Reason.of(code, **params), language())


_OUTCOMES = {"feasible": Code.PLAN_OUTCOME_FEASIBLE, "infeasible": Code.PLAN_OUTCOME_INFEASIBLE,
             "stopped": Code.PLAN_OUTCOME_STOPPED}  # fmt: skip


def run(spec: PlanningFile, scenario: Scenario, out: Path, time_limit_s: float | None,
        mip_gap: float, delay_sites: list[str], delay_years: int,
        console: Console, err_console: Console) -> list[dict[str, Any]]:  # fmt: skip
    """Solve every variant (a progress bar on stderr), print the table, write
    ``whatif.json``, ``whatif.csv`` and ``whatif.png`` into ``out``; returns the rows."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from nacc.catalog.throughput import default_model
    from nacc.planning import build_problem, plan
    from nacc.planning.report import write_json, write_whatif
    from nacc.planning.whatif import compare, variants

    model = default_model()
    catalog = model.catalog()
    chosen = variants(spec, lambda name: catalog[name].domestic, delay_sites, delay_years)
    results: dict[str, PlanResult] = {}
    columns = (TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("what-if", total=len(chosen))
        for v in chosen:
            bar.update(task, description=_say(v.label.code, **v.label.args))
            problem = build_problem(v.spec, scenario, model)
            results[v.key] = plan(problem, time_limit_s=time_limit_s, mip_gap=mip_gap)
            bar.advance(task)
    rows = compare(results)
    labels = {v.key: _say(v.label.code, **v.label.args) for v in chosen}
    for row in rows:
        row["label"] = labels[row["variant"]]
    write_json(out / "whatif.json", {"variants": rows})
    write_whatif(out, rows)
    _table(rows, console)
    return rows


def _table(rows: list[dict[str, Any]], console: Console) -> None:
    year = next((r["year"] for r in rows if r["year"] is not None), "")
    table = Table(title=_say(Code.PLAN_WHATIF_TITLE, variants=len(rows)))
    for code, params, justify in (
        (Code.PLAN_COL_VARIANT, {}, "left"), (Code.PLAN_COL_OUTCOME, {}, "left"),
        (Code.PLAN_COL_COST, {}, "right"), (Code.PLAN_COL_CHANGE, {}, "right"),
        (Code.PLAN_COL_FLEET, {"year": year}, "right"),
        (Code.PLAN_COL_DOMESTIC, {"year": year}, "right"), (Code.PLAN_COL_BINDING, {}, "left"),
    ):  # fmt: skip
        table.add_column(_say(code, **params), justify=justify)  # type: ignore[arg-type]
    for r in rows:
        cost = "" if r["cost_krw"] is None else f"{r['cost_krw'] / 1e9:,.1f}"
        change = "" if r["change"] is None else f"{r['change']:+.1%}"
        fleet = "" if r["fleet"] is None else f"{r['fleet']:,}"
        dom = "" if r["domestic_share"] is None else f"{r['domestic_share']:.1%}"
        limits = ", ".join(r["short"] or r["binding"])
        table.add_row(*(Text(c) for c in (r["label"], _say(_OUTCOMES[r["outcome"]]), cost,
                                          change, fleet, dom, limits)))  # fmt: skip
    console.print(table)
