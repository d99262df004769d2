"""Shared arithmetic of the planning model: service years, counts, energy, power."""

from __future__ import annotations

from nacc.planning.milp import Program
from nacc.planning.problem import HOURS_PER_YEAR, ChipData, Problem


def energy_per_year(problem: Problem, chip: ChipData, site: str) -> float:
    """KRW of energy one accelerator of ``chip`` at ``site`` uses in a year."""
    s = problem.sites[site]
    return chip.kw * s.pue * s.tariff * HOURS_PER_YEAR * problem.utilisation


def in_service(problem: Problem, bought: int, year: int) -> bool:
    """Whether a purchase of year ``bought`` is in service in ``year``."""
    return bought <= year < bought + problem.lifetime


def candidate_sites(problem: Problem) -> list[str]:
    return [s.id for s in problem.sites.values() if s.usable_mw is not None]


def existing_mw(problem: Problem, site: str, year: int) -> float:
    """MW (facility) the existing fleet at ``site`` draws in ``year``."""
    pue = problem.sites[site].pue
    return sum(
        n * problem.chips[t].kw * pue / 1000.0
        for (t, s, y), n in problem.existing.items()
        if s == site and y == year
    )


def count_terms(
    prog: Program, problem: Problem, chip: str, year: int, site: str
) -> dict[int, float]:
    """Columns whose sum is the number of ``chip`` bought in service at ``site`` in ``year``."""
    terms: dict[int, float] = {}
    for t in problem.years:
        j = prog.index.get(f"buy[{chip},{site},{t}]")
        if j is not None and in_service(problem, t, year):
            terms[j] = 1.0
    return terms


def it_mw(count: int, kw_per_unit: float) -> float:
    """IT power (MW) of ``count`` accelerators at ``kw_per_unit`` (server share included)."""
    return count * kw_per_unit / 1000.0


def facility_mw(count: int, kw_per_unit: float, pue: float) -> float:
    """Facility power (MW): IT power x PUE; what a site's grid connection must supply."""
    return it_mw(count, kw_per_unit) * pue


def annual_energy_krw(count: int, kw_per_unit: float, pue: float, tariff: float) -> float:
    """KRW per year at full load: facility kW x 8,760 h x tariff (KRW/kWh)."""
    return facility_mw(count, kw_per_unit, pue) * 1000.0 * HOURS_PER_YEAR * tariff
