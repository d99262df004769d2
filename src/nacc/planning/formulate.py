"""Build the capacity-planning MILP from a :class:`Problem`.

Decision variables (per year ``y``):

- ``buy[c,s,y]`` (integer): accelerators of type ``c`` bought and installed at candidate
  site ``s`` in year ``y``; in service from ``y`` for ``lifetime`` years;
- ``lease[c,y]`` (integer): accelerators of type ``c`` leased for the whole year;
- ``alloc[c,y,g]`` (continuous): accelerators of type ``c`` serving demand group ``g``.

Objective (KRW, in units of ``OBJ_UNIT``): total cost of ownership within the horizon =
straight-line depreciation of purchases (price / lifetime per year in service, so a chip
bought in the last year is not charged for the years after the horizon) + energy (kW x PUE
x tariff x 8,760 h x utilisation target, every year in service) + leases. The budget rows
count the full purchase price in the year of purchase (cash).

Rows, by kind: ``capacity`` (allocation within the fleet), ``demand`` (credits per month
per group at the utilisation target), ``power`` (MW per candidate site), ``budget``
(capex + lease per year), ``availability`` (purchasable units per type and year),
``domestic`` (domestic share at national-center sites from the target year on) and
``outside`` (share outside the capital area). Each kind listed in ``elastic`` gets a slack
variable with a penalty cost (``PENALTY``): an infeasible plan then still solves, and the
non-zero slacks say which targets conflict and by how much.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nacc.planning.milp import INF, Program
from nacc.planning.problem import HOURS_PER_YEAR, ChipData, Problem
from nacc.planning.shares import domestic_row, outside_row
from nacc.planning.terms import (
    candidate_sites,
    count_terms,
    energy_per_year,
    existing_mw,
    in_service,
)

OBJ_UNIT = 1e6  # objective in million KRW
BN = 1e9
#: KRW per unit of slack (in the row's unit): the exchange rates of the cheapest relaxation.
PENALTY: dict[str, float] = {
    "demand": 1e7,  # per credit per month of unmet demand
    "power": 1e11,  # per MW over a site's usable grid power
    "budget": 10.0 * BN,  # per KRW bn over a year's budget
    "domestic": 1e9,  # per accelerator (or credit per hour) short of the domestic share
    "outside": 1e9,  # per accelerator (or credit per hour) short of the outside share
}
FAMILIES = tuple(PENALTY)


@dataclass(frozen=True, slots=True)
class Built:
    """The program and the constant cost (energy of the existing fleet) outside it."""

    program: Program
    constant_krw: float


def build(problem: Problem, elastic: Iterable[str] = FAMILIES) -> Built:
    """The MILP of ``problem`` with slack variables on the row kinds in ``elastic``."""
    prog = Program()
    soft = frozenset(elastic)
    _columns(prog, problem)
    _capacity_rows(prog, problem)
    _demand_rows(prog, problem, soft)
    _power_rows(prog, problem, soft)
    _budget_rows(prog, problem, soft)
    _availability_rows(prog, problem)
    _share_rows(prog, problem, soft)
    return Built(prog, existing_energy_krw(problem))


# --- columns ---------------------------------------------------------------------------


def _columns(prog: Program, problem: Problem) -> None:
    for c in problem.chips.values():
        for y in problem.years:
            if c.price_krw is not None and _buyable(c, y):
                for s in candidate_sites(problem):
                    if _room(problem, s, y):
                        prog.var(f"buy[{c.name},{s},{y}]", buy_cost(problem, c, s, y) / OBJ_UNIT,
                                 integer=True)  # fmt: skip
            if c.lease_krw_per_hour is not None and c.lease_max > 0:
                cost = c.lease_krw_per_hour * HOURS_PER_YEAR / OBJ_UNIT
                prog.var(f"lease[{c.name},{y}]", cost, upper=c.lease_max, integer=True)
            for g in c.rate:
                prog.var(f"alloc[{c.name},{y},{g}]")


def buy_cost(problem: Problem, chip: ChipData, site: str, year: int) -> float:
    """KRW one purchase costs within the horizon: straight-line depreciation over its
    lifetime for the years it serves in the horizon, plus its energy in those years."""
    served = [t for t in problem.years if in_service(problem, year, t)]
    price = chip.price_krw or 0.0
    return price * len(served) / problem.lifetime + energy_per_year(problem, chip, site) * len(
        served
    )


def _room(problem: Problem, site: str, year: int) -> bool:
    """Whether the site has usable power in the year of purchase (installs need it)."""
    usable = problem.sites[site].usable_mw or {}
    return usable.get(year, 0.0) > 0


def _buyable(chip: ChipData, year: int) -> bool:
    return not chip.available or chip.available.get(year, 0) > 0


def _slack(prog: Program, soft: frozenset[str], family: str, name: str) -> int | None:
    if family not in soft:
        return None
    return prog.var(f"slack:{family}:{name}", PENALTY[family] / OBJ_UNIT)


# --- rows ------------------------------------------------------------------------------


def _capacity_rows(prog: Program, problem: Problem) -> None:
    for c in problem.chips.values():
        for y in problem.years:
            coeffs: dict[int, float] = {prog.index[f"alloc[{c.name},{y},{g}]"]: 1.0 for g in c.rate}
            for s in candidate_sites(problem):
                coeffs.update({j: -1.0 for j in count_terms(prog, problem, c.name, y, s)})
            lease = prog.index.get(f"lease[{c.name},{y}]")
            if lease is not None:
                coeffs[lease] = -1.0
            have = sum(n for (t, _, yy), n in problem.existing.items() if t == c.name and yy == y)
            prog.row(f"capacity[{c.name},{y}]", "capacity", coeffs, upper=float(have),
                     chip=c.name, year=y)  # fmt: skip


def _demand_rows(prog: Program, problem: Problem, soft: frozenset[str]) -> None:
    per_unit = problem.hours_per_month * problem.utilisation
    for (y, g), need in problem.demand.items():
        coeffs = {
            prog.index[f"alloc[{c.name},{y},{g}]"]: c.rate[g] * per_unit
            for c in problem.chips.values()
            if g in c.rate
        }
        slack = _slack(prog, soft, "demand", f"{g},{y}")
        if slack is not None:
            coeffs[slack] = 1.0
        prog.row(f"demand[{g},{y}]", "demand", coeffs, lower=need, group=g, year=y)


def _power_rows(prog: Program, problem: Problem, soft: frozenset[str]) -> None:
    for s in candidate_sites(problem):
        site = problem.sites[s]
        assert site.usable_mw is not None
        for y in problem.years:
            coeffs: dict[int, float] = {}
            for c in problem.chips.values():
                kw = c.kw * site.pue / 1000.0
                coeffs.update({j: kw for j in count_terms(prog, problem, c.name, y, s)})
            slack = _slack(prog, soft, "power", f"{s},{y}")
            if slack is not None:
                coeffs[slack] = -1.0
            limit = site.usable_mw[y] - existing_mw(problem, s, y)
            prog.row(f"power[{s},{y}]", "power", coeffs, upper=limit, site=s, year=y)


def _budget_rows(prog: Program, problem: Problem, soft: frozenset[str]) -> None:
    for y in problem.years:
        coeffs: dict[int, float] = {}
        for c in problem.chips.values():
            for s in candidate_sites(problem):
                j = prog.index.get(f"buy[{c.name},{s},{y}]")
                if j is not None and c.price_krw is not None:
                    coeffs[j] = c.price_krw / BN
            lease = prog.index.get(f"lease[{c.name},{y}]")
            if lease is not None and c.lease_krw_per_hour is not None:
                coeffs[lease] = c.lease_krw_per_hour * HOURS_PER_YEAR / BN
        slack = _slack(prog, soft, "budget", str(y))
        if slack is not None:
            coeffs[slack] = -1.0
        prog.row(f"budget[{y}]", "budget", coeffs, upper=problem.budget[y] / BN, year=y)


def _availability_rows(prog: Program, problem: Problem) -> None:
    for c in problem.chips.values():
        if not c.available or c.price_krw is None:
            continue
        for y in problem.years:
            coeffs = {
                j: 1.0
                for s in candidate_sites(problem)
                if (j := prog.index.get(f"buy[{c.name},{s},{y}]")) is not None
            }
            if coeffs:
                limit = float(c.available.get(y, 0))
                prog.row(f"availability[{c.name},{y}]", "availability", coeffs, upper=limit,
                         chip=c.name, year=y)  # fmt: skip


def _share_rows(prog: Program, problem: Problem, soft: frozenset[str]) -> None:
    start = problem.domestic_from
    for y in problem.years:
        if problem.domestic_share is not None and start is not None and y >= start:
            domestic_row(prog, problem, y, _slack(prog, soft, "domestic", str(y)))
        if problem.outside_share > 0:
            outside_row(prog, problem, y, _slack(prog, soft, "outside", str(y)))


def existing_energy_krw(problem: Problem) -> float:
    """Energy cost of the existing fleet over the horizon (a constant of the objective)."""
    total = 0.0
    for (t, s, _), n in problem.existing.items():
        total += n * energy_per_year(problem, problem.chips[t], s)
    return total


__all__ = ["FAMILIES", "INF", "OBJ_UNIT", "PENALTY", "Built", "build"]
