"""Write a plan's report: PNG plots and ``report.html`` (IO at the edge)."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nacc.planning.extract import YearPlan
from nacc.planning.simulate import YearSim
from nacc.planning.solve import PlanResult


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
                 sims: Sequence[YearSim]) -> Path:  # fmt: skip
    """Write the PNGs and ``report.html`` into ``out``; returns the HTML path."""
    out.mkdir(parents=True, exist_ok=True)
    files = _plots(out, result.years, target, sims) if result.years else []
    rows = "".join(
        f"<tr><td>{y.year}</td><td>{html.escape(json.dumps(y.fleet))}</td>"
        f"<td>{html.escape(json.dumps(y.bought))}</td><td>{html.escape(json.dumps(y.leased))}</td>"
        f"<td>{y.domestic_share:.1%}</td><td>{y.capex_krw / 1e9:,.1f}</td>"
        f"<td>{y.opex_krw / 1e9:,.1f}</td></tr>"
        for y in result.years
    )
    binding = "".join(f"<li>{html.escape(b['explanation'])}</li>" for b in result.binding)
    relax = "".join(f"<li>{html.escape(r['explanation'])}</li>" for r in result.relaxations)
    waits = "".join(
        f"<tr><td>{s.year}</td><td>{s.avg_queue_s / 60:,.1f}</td><td>{s.utilization:.1%}</td></tr>"
        for s in sims
    )
    images = "".join(f'<img src="{f}" alt="{f}">' for f in files)
    body = (
        f"<h1>{html.escape(title)}</h1><p>feasible: <b>{result.feasible}</b>; total cost "
        f"KRW {result.objective_krw / 1e9:,.1f} bn</p>"
        "<table border=1><tr><th>year</th><th>fleet</th><th>bought</th><th>leased</th>"
        f"<th>domestic</th><th>capex bn</th><th>opex bn</th></tr>{rows}</table>"
        f"<h2>Binding constraints</h2><ul>{binding or '<li>none</li>'}</ul>"
        + (f"<h2>Cheapest relaxation</h2><ul>{relax}</ul>" if relax else "")
        + (
            f"<h2>Simulated waits</h2><table border=1><tr><th>year</th><th>avg queue min</th>"
            f"<th>utilisation</th></tr>{waits}</table>"
            if sims
            else ""
        )
        + images
    )
    path = out / "report.html"
    path.write_text(f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
                    f"{body}\n", encoding="utf-8")  # fmt: skip
    return path
