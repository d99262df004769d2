"""What-if variants of a planning file, and the comparison of their plans.

``nacc plan --what-if`` solves the plan as written (the base) and a standard set of
variants a ministry asks about, each a copy of the planning file with one assumption
changed:

* ``budget-10`` / ``budget+10``: every year's budget 10% lower / higher;
* ``npu-price-30`` / ``npu-price+30``: the purchase and lease prices of every domestic
  chip 30% lower / higher;
* ``grid-delay:SITE``: the site's usable grid power arrives ``delay_years`` later (each
  year gets what the file says for ``delay_years`` before; years before that keep the
  first year's figure), as when a grid-impact assessment or a substation slips.

The variants are pure data (no solving here); :func:`compare` turns solved plans into the
rows of the comparison table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nacc.domain.reasons import Code, Reason
from nacc.planning.model import PlanningFile
from nacc.planning.solve import PlanResult

BUDGET_STEP = 0.10
NPU_PRICE_STEP = 0.30


@dataclass(frozen=True, slots=True)
class Variant:
    """One planning file to solve: ``key`` names it in files, ``label`` in tables."""

    key: str
    label: Reason
    spec: PlanningFile


def variants(
    spec: PlanningFile,
    domestic: Callable[[str], bool],
    delay_sites: Sequence[str] = (),
    delay_years: int = 1,
) -> list[Variant]:
    """The base and the standard variants of ``spec`` (``domestic(chip)``: whether a
    chip counts as domestic). ``delay_sites`` default to the national-center sites, else
    the site whose grid power grows most."""
    if delay_years < 1:
        raise ValueError(f"delay_years: expected >= 1, got {delay_years}")
    known = [s.id for s in spec.sites]
    for site in delay_sites:
        if site not in known:
            raise ValueError(f"unknown site {site!r}; the planning file has: {', '.join(known)}")
    out = [Variant("base", Reason.of(Code.PLAN_VARIANT_BASE), spec)]
    for sign in (-1, 1):
        pct = round(sign * BUDGET_STEP * 100)
        out.append(Variant(f"budget{pct:+d}", Reason.of(Code.PLAN_VARIANT_BUDGET, pct=f"{pct:+d}"),
                           scale_budget(spec, 1 + sign * BUDGET_STEP)))  # fmt: skip
    for sign in (-1, 1):
        pct = round(sign * NPU_PRICE_STEP * 100)
        out.append(Variant(f"npu-price{pct:+d}",
                           Reason.of(Code.PLAN_VARIANT_NPU_PRICE, pct=f"{pct:+d}"),
                           scale_prices(spec, 1 + sign * NPU_PRICE_STEP, domestic)))  # fmt: skip
    for site in delay_sites or default_delay_sites(spec):
        out.append(Variant(f"grid-delay:{site}",
                           Reason.of(Code.PLAN_VARIANT_GRID_DELAY, site=site, years=delay_years),
                           delay_grid(spec, site, delay_years)))  # fmt: skip
    return out


def scale_budget(spec: PlanningFile, factor: float) -> PlanningFile:
    """``spec`` with every year's budget times ``factor``."""
    budget = {year: krw * factor for year, krw in spec.budget_krw.items()}
    return spec.model_copy(update={"budget_krw": budget})


def scale_prices(
    spec: PlanningFile, factor: float, domestic: Callable[[str], bool]
) -> PlanningFile:
    """``spec`` with the purchase and lease prices of its domestic chips times ``factor``."""
    chips = []
    for chip in spec.chips:
        if not domestic(chip.name):
            chips.append(chip)
            continue
        update: dict[str, Any] = {}
        if chip.price_krw is not None:
            update["price_krw"] = chip.price_krw * factor
        if chip.lease is not None:
            update["lease"] = chip.lease.model_copy(
                update={"krw_per_hour": chip.lease.krw_per_hour * factor}
            )
        chips.append(chip.model_copy(update=update))
    return spec.model_copy(update={"chips": chips})


def delay_grid(spec: PlanningFile, site: str, years: int) -> PlanningFile:
    """``spec`` with ``site``'s grid power arriving ``years`` later."""
    sites = []
    for s in spec.sites:
        if s.id == site:
            order = sorted(s.grid_mw)
            shifted = {y: s.grid_mw[order[max(0, i - years)]] for i, y in enumerate(order)}
            s = s.model_copy(update={"grid_mw": shifted})
        sites.append(s)
    return spec.model_copy(update={"sites": sites})


def default_delay_sites(spec: PlanningFile) -> list[str]:
    """The national-center sites, else the one whose grid power grows most."""
    centers = [s.id for s in spec.sites if s.national_center]
    if centers:
        return centers
    growth = {s.id: max(s.grid_mw.values()) - min(s.grid_mw.values()) for s in spec.sites}
    return [max(growth, key=lambda k: (growth[k], k))]


def compare(results: Mapping[str, PlanResult]) -> list[dict[str, Any]]:
    """One row per variant (in the order given; the first is the base): outcome, total
    cost and its change from the base, the last year's fleet and domestic share, and the
    constraints that bind or would have to give."""
    rows: list[dict[str, Any]] = []
    base_cost: float | None = None
    for key, result in results.items():
        finite = result.objective_krw == result.objective_krw
        cost = result.objective_krw if finite and result.years else None
        if base_cost is None and not rows:
            base_cost = cost
        last = result.years[-1] if result.years else None
        outcome = "stopped" if result.limit_reached else (
            "feasible" if result.feasible else "infeasible")  # fmt: skip
        rows.append({
            "variant": key,
            "outcome": outcome,
            "status": result.status,
            "cost_krw": None if cost is None else round(cost),
            "change": None if cost is None or not base_cost else round(cost / base_cost - 1, 4),
            "year": None if last is None else last.year,
            "fleet": None if last is None else sum(last.fleet.values()),
            "domestic_share": None if last is None else round(last.domestic_share, 4),
            "gap": round(result.mip_gap, 6),
            "binding": [b["constraint"] for b in result.binding[:3]],
            "short": sorted({r["constraint"] for r in result.relaxations}),
        })  # fmt: skip
    return rows
