"""Write a plan's report: PNG plots and ``report.html`` (IO at the edge)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nacc.planning.extract import YearPlan
from nacc.planning.simulate import YearSim
from nacc.planning.solve import PlanResult
from nacc.templates import render


def write_json(path: Path, payload: object) -> Path:
    """Write JSON atomically (temp file then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def _plots(out: Path, years: Sequence[YearPlan], target: float | None,
           sims: Sequence[YearSim]) -> list[str]:  # fmt: skip
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [y.year for y in years]
    files: list[str] = []

    def save(fig: Any, name: str) -> None:
        for ax in fig.axes:  # calendar years, not 2026.5
            ax.set_xticks(xs, [str(x) for x in xs])
        fig.tight_layout()
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        files.append(name)

    fig, ax = plt.subplots(figsize=(7, 4))
    types = sorted({t for y in years for t in y.fleet})
    bottom = [0.0] * len(xs)
    for t in types:
        vals = [float(y.fleet.get(t, 0)) for y in years]
        ax.bar(xs, vals, bottom=bottom, label=t)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    ax.set(title="Fleet by accelerator type", ylabel="accelerators in service")
    ax.legend(fontsize=7)
    save(fig, "fleet.png")

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(xs, [y.domestic_share for y in years], marker="o", label="plan")
    if target is not None:
        ax.axhline(target, color="red", linestyle="--", label=f"target {target:.0%}")
    ax.set(title="Domestic share of the national center", ylim=(0, 1.05))
    ax.legend()
    save(fig, "domestic_share.png")

    fig, ax = plt.subplots(figsize=(7, 4))
    for site in years[0].power_mw:
        line = ax.plot(xs, [y.power_mw[site] for y in years], marker="o", label=site)[0]
        ax.plot(xs, [y.power_limit_mw[site] for y in years], linestyle="--",
                color=line.get_color())  # fmt: skip
    ax.set(title="Power per site (solid) vs usable limit (dashed)", ylabel="MW")
    ax.legend(fontsize=7)
    save(fig, "power.png")

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(xs, [y.capex_krw / 1e9 for y in years], label="capex")
    ax.bar(xs, [y.opex_krw / 1e9 for y in years],
           bottom=[y.capex_krw / 1e9 for y in years], label="energy + leases")  # fmt: skip
    ax.set(title="Cost per year", ylabel="KRW bn")
    ax.legend()
    save(fig, "cost.png")

    if sims:
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot([s.year for s in sims], [s.avg_queue_s / 60 for s in sims], marker="o")
        ax.set(title="Simulated average queueing delay", ylabel="minutes")
        save(fig, "wait.png")
    return files


def write_report(out: Path, title: str, result: PlanResult, target: float | None,
                 sims: Sequence[YearSim], target_year: int | None = None) -> Path:  # fmt: skip
    """Write the PNGs and ``report.html`` into ``out``; returns the HTML path."""
    out.mkdir(parents=True, exist_ok=True)
    files = _plots(out, result.years, target, sims) if result.years else []
    page = render("plan_report.html.j2", title=title, feasible=result.feasible,
                  stopped=result.stopped, total_bn=_bn(result.objective_krw),
                  years=[_year_row(y) for y in result.years],
                  fleet=_by_type(result.years, "fleet"), bought=_by_type(result.years, "bought"),
                  leased=_by_type(result.years, "leased"), domestic=_domestic(result.years, target),
                  target=target, target_year=target_year,
                  binding=[b["explanation"] for b in result.binding],
                  relaxations=[r["explanation"] for r in result.relaxations],
                  waits=[{"year": s.year, "queue_min": f"{s.avg_queue_s / 60:,.1f}",
                          "utilisation": f"{s.utilization:.1%}"} for s in sims],
                  images=files)  # fmt: skip
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def _bn(krw: float) -> str:
    return f"{krw / 1e9:,.1f}"


def _by_type(years: Sequence[YearPlan], what: str) -> dict[str, Any]:
    """A table: one row per accelerator type, one column per year (blank where none)."""
    counts = [getattr(y, what) for y in years]
    types = sorted({t for c in counts for t in c})
    rows = [[t, *(f"{c[t]:,}" if c.get(t) else "" for c in counts)] for t in types]
    totals = ["total", *(f"{sum(c.values()):,}" for c in counts)]
    return {"years": [y.year for y in years], "rows": rows, "total": totals if rows else []}


def _domestic(years: Sequence[YearPlan], target: float | None) -> list[dict[str, str]]:
    """The domestic share path: each year's share and its distance to the target."""
    out = []
    for y in years:
        gap = "" if target is None else f"{(y.domestic_share - target) * 100:+.1f} pt"
        out.append({"year": str(y.year), "share": f"{y.domestic_share:.1%}", "gap": gap})
    return out


def _year_row(y: YearPlan) -> dict[str, Any]:
    return {
        "year": y.year, "fleet": json.dumps(y.fleet), "bought": json.dumps(y.bought),
        "leased": json.dumps(y.leased), "domestic": f"{y.domestic_share:.1%}",
        "capex_bn": _bn(y.capex_krw), "opex_bn": _bn(y.opex_krw),
    }  # fmt: skip


def write_whatif(out: Path, rows: Sequence[dict[str, Any]]) -> list[Path]:
    """The what-if comparison as ``whatif.csv`` and ``whatif.png`` (total cost per
    variant, and the last year's domestic share); returns the paths."""
    import csv

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    columns = ["variant", "label", "outcome", "status", "cost_krw", "change", "year", "fleet",
               "domestic_share", "gap", "binding", "short"]  # fmt: skip
    path = out / "whatif.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for r in rows:
            writer.writerow([" ".join(v) if isinstance(v := r.get(c), list) else
                             ("" if v is None else v) for c in columns])  # fmt: skip
    names = [r["variant"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    colours = ["tab:gray" if r["outcome"] != "feasible" else "tab:blue" for r in rows]
    left.barh(names, [(r["cost_krw"] or 0) / 1e9 for r in rows], color=colours)
    left.invert_yaxis()
    left.set(title="Total cost (grey: a target not met)", xlabel="KRW bn")
    right.barh(names, [(r["domestic_share"] or 0) * 100 for r in rows], color=colours)
    right.invert_yaxis()
    year = next((r["year"] for r in rows if r["year"] is not None), "")
    right.set(title=f"Domestic share of the national center, {year}", xlabel="%")
    fig.tight_layout()
    png = out / "whatif.png"
    fig.savefig(png, dpi=90)
    plt.close(fig)
    return [path, png]
