"""Read the plan per year back from a MILP solution."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from nacc.planning.milp import Program
from nacc.planning.problem import HOURS_PER_YEAR, Problem
from nacc.planning.shares import weight
from nacc.planning.terms import candidate_sites, energy_per_year, in_service

_BUY = re.compile(r"^buy\[(?P<chip>[^,]+),(?P<site>[^,]+),(?P<year>\d+)\]$")
_LEASE = re.compile(r"^lease\[(?P<chip>[^,]+),(?P<year>\d+)\]$")


@dataclass(frozen=True, slots=True)
class YearPlan:
    """One planning year of the answer."""

    year: int
    fleet: dict[str, int]
    bought: dict[str, int]
    bought_at: dict[str, dict[str, int]]
    leased: dict[str, int]
    domestic_share: float
    capex_krw: float
    opex_krw: float
    power_mw: dict[str, float]
    power_limit_mw: dict[str, float]
    at_site: dict[str, dict[str, int]]

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "fleet": self.fleet,
            "bought": self.bought,
            "bought_at": self.bought_at,
            "leased": self.leased,
            "domestic_share": round(self.domestic_share, 4),
            "capex_krw": round(self.capex_krw),
            "opex_krw": round(self.opex_krw),
            "power_mw": {k: round(v, 3) for k, v in self.power_mw.items()},
            "power_limit_mw": {k: round(v, 3) for k, v in self.power_limit_mw.items()},
        }


def decisions(
    prog: Program, x: list[float]
) -> tuple[dict[tuple[str, str, int], int], dict[tuple[str, int], int]]:
    """(chip, site, year) -> bought and (chip, year) -> leased, rounded to integers."""
    buys: dict[tuple[str, str, int], int] = {}
    leases: dict[tuple[str, int], int] = {}
    for name, j in prog.index.items():
        value = round(x[j])
        if value <= 0:
            continue
        if m := _BUY.match(name):
            buys[(m["chip"], m["site"], int(m["year"]))] = value
        elif m := _LEASE.match(name):
            leases[(m["chip"], int(m["year"]))] = value
    return buys, leases


def fleet_at(
    problem: Problem, buys: dict[tuple[str, str, int], int], year: int
) -> dict[str, dict[str, int]]:
    """site -> type -> accelerators in service in ``year`` (leases excluded)."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for (chip, site, y), n in problem.existing.items():
        if y == year:
            out[site][chip] = out[site].get(chip, 0) + n
    for (chip, site, t), n in buys.items():
        if in_service(problem, t, year):
            out[site][chip] = out[site].get(chip, 0) + n
    return {s: dict(sorted(v.items())) for s, v in sorted(out.items())}


def extract_years(problem: Problem, prog: Program, x: list[float]) -> list[YearPlan]:
    """The plan of every year."""
    buys, leases = decisions(prog, x)
    return [_year(problem, buys, leases, y) for y in problem.years]


def _year(
    problem: Problem,
    buys: dict[tuple[str, str, int], int],
    leases: dict[tuple[str, int], int],
    year: int,
) -> YearPlan:
    at_site = fleet_at(problem, buys, year)
    leased = {c: n for (c, y), n in sorted(leases.items()) if y == year}
    fleet: dict[str, int] = defaultdict(int)
    for per_type in at_site.values():
        for chip, n in per_type.items():
            fleet[chip] += n
    for chip, n in leased.items():
        fleet[chip] += n
    bought_at: dict[str, dict[str, int]] = defaultdict(dict)
    for (chip, site, t), n in sorted(buys.items()):
        if t == year:
            bought_at[site][chip] = n
    bought: dict[str, int] = defaultdict(int)
    for per_type in bought_at.values():
        for chip, n in per_type.items():
            bought[chip] += n
    return YearPlan(
        year=year,
        fleet=dict(sorted(fleet.items())),
        bought=dict(sorted(bought.items())),
        bought_at=dict(bought_at),
        leased=leased,
        domestic_share=domestic_share(problem, at_site),
        capex_krw=sum(n * (problem.chips[c].price_krw or 0.0) for c, n in bought.items()),
        opex_krw=_energy(problem, at_site) + _lease_cost(problem, leased),
        power_mw=_power(problem, at_site),
        power_limit_mw=_limits(problem, year),
        at_site=at_site,
    )


def domestic_share(problem: Problem, at_site: dict[str, dict[str, int]]) -> float:
    """Domestic share of the national-center sites, on the target's basis."""
    total = dom = 0.0
    for site, per_type in at_site.items():
        if not problem.sites[site].national_center:
            continue
        for chip, n in per_type.items():
            data = problem.chips[chip]
            w = weight(data, problem.domestic_basis) * n
            total += w
            dom += w if data.domestic else 0.0
    return dom / total if total > 0 else 0.0


def _energy(problem: Problem, at_site: dict[str, dict[str, int]]) -> float:
    return sum(
        n * energy_per_year(problem, problem.chips[c], s)
        for s, per_type in at_site.items()
        for c, n in per_type.items()
    )


def _lease_cost(problem: Problem, leased: dict[str, int]) -> float:
    return sum(n * (problem.chips[c].lease_krw_per_hour or 0.0) * HOURS_PER_YEAR
               for c, n in leased.items())  # fmt: skip


def _power(problem: Problem, at_site: dict[str, dict[str, int]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for s in candidate_sites(problem):
        pue = problem.sites[s].pue
        per_type = at_site.get(s, {})
        out[s] = sum(n * problem.chips[c].kw * pue / 1000.0 for c, n in per_type.items())
    return out


def _limits(problem: Problem, year: int) -> dict[str, float]:
    out: dict[str, float] = {}
    for s in candidate_sites(problem):
        usable = problem.sites[s].usable_mw
        out[s] = 0.0 if usable is None else usable[year]
    return out
