"""Siting: what each candidate site offers the optimiser, and a score to read it by.

The score is not a separate guess: its parts are the numbers the MILP uses.

- **Grid headroom and the grid-impact assessment.** A site whose contracted power is 10 MW
  or more needs a grid-impact assessment (Distributed Energy Act, in force 2024-06-14;
  FACTS §3b, V). Until a site has cleared it, the model caps it just below 10 MW
  (``ASSESSMENT_MW`` minus a margin); a cleared site offers its full grid MW.
- **Energy price and PUE.** The cost per IT kWh is tariff x PUE (x the capital-area
  surcharge, the reserve-power fee that sites outside the capital area are exempt from;
  FACTS §3b). This is the energy coefficient of every accelerator installed there.
- **Capital-area policy.** Capital-area sites count against the minimum share outside it.

``score`` (0-100, higher is better) combines headroom (usable MW of the final year,
relative to the largest), cost per IT kWh (relative to the cheapest) and the capital-area
flag, for the report only.
"""

from __future__ import annotations

from dataclasses import dataclass

from nacc.planning.model import PlanningFile

ASSESSMENT_MW = 10.0
#: Contracted power must stay below the threshold to avoid the assessment.
BELOW_ASSESSMENT_MW = 9.99
_WEIGHTS = (0.5, 0.3, 0.2)  # headroom, energy cost, outside the capital area


@dataclass(frozen=True, slots=True)
class SiteScore:
    """One candidate site's figures as the model uses them."""

    site: str
    capital_area: bool
    assessment_cleared: bool
    grid_mw: dict[int, float]
    usable_mw: dict[int, float]
    krw_per_it_kwh: float
    score: float
    note: str


def usable_mw(grid_mw: float, cleared: bool) -> float:
    """MW the plan may contract: all of it if the assessment is cleared, else < 10 MW."""
    return grid_mw if cleared else min(grid_mw, BELOW_ASSESSMENT_MW)


def score_sites(plan: PlanningFile) -> list[SiteScore]:
    """Score every candidate site of ``plan``."""
    last = plan.years[-1]
    surcharge = plan.capital_area_surcharge
    usable = {
        s.id: {y: usable_mw(s.grid_mw[y], s.assessment_cleared) for y in plan.years}
        for s in plan.sites
    }
    cost = {
        s.id: s.tariff_krw_per_kwh * s.pue * (1.0 + surcharge if s.capital_area else 1.0)
        for s in plan.sites
    }
    top_mw = max((u[last] for u in usable.values()), default=0.0) or 1.0
    cheapest = min(cost.values())
    out: list[SiteScore] = []
    for s in plan.sites:
        parts = (usable[s.id][last] / top_mw, cheapest / cost[s.id], 0.0 if s.capital_area else 1.0)
        score = 100.0 * sum(w * p for w, p in zip(_WEIGHTS, parts, strict=True))
        out.append(
            SiteScore(
                site=s.id,
                capital_area=s.capital_area,
                assessment_cleared=s.assessment_cleared,
                grid_mw=dict(s.grid_mw),
                usable_mw=usable[s.id],
                krw_per_it_kwh=cost[s.id],
                score=round(score, 1),
                note=_note(s.assessment_cleared, s.grid_mw[last]),
            )
        )
    return out


def _note(cleared: bool, grid: float) -> str:
    if grid < ASSESSMENT_MW:
        return "below the 10 MW grid-impact assessment threshold"
    if cleared:
        return "grid-impact assessment cleared: full grid MW usable"
    return f"assessment not cleared: capped at {BELOW_ASSESSMENT_MW} MW of {grid:g} MW"
