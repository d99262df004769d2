"""Policy-share rows: domestic chips at the national center, capacity outside the capital.

A share target ``sum(w * in_group * n) >= share * sum(w * n)`` is linear as
``sum(w * (in_group - share) * n) >= 0``. The weight ``w`` is 1 for basis ``count`` and
the type's best credits per hour (its fastest demand group) for basis ``credits``.
"""

from __future__ import annotations

from nacc.planning.milp import Program
from nacc.planning.problem import ChipData, Problem
from nacc.planning.terms import candidate_sites, count_terms


def weight(chip: ChipData, basis: str) -> float:
    """An accelerator's weight in a share: 1 (count) or credits per hour (credits)."""
    return 1.0 if basis == "count" else max(chip.rate.values(), default=0.0)


def domestic_row(prog: Program, problem: Problem, year: int, slack: int | None) -> None:
    """Domestic share of the national-center sites >= the target, in ``year``."""
    share = problem.domestic_share or 0.0
    centers = {s.id for s in problem.sites.values() if s.national_center}
    coeffs: dict[int, float] = {}
    const = 0.0
    for c in problem.chips.values():
        k = weight(c, problem.domestic_basis) * ((1.0 if c.domestic else 0.0) - share)
        for s in centers:
            const += k * problem.existing.get((c.name, s, year), 0)
            for j in count_terms(prog, problem, c.name, year, s):
                coeffs[j] = coeffs.get(j, 0.0) + k
    if slack is not None:
        coeffs[slack] = 1.0
    prog.row(f"domestic[{year}]", "domestic", coeffs, lower=-const, year=year, share=share)


def outside_row(prog: Program, problem: Problem, year: int, slack: int | None) -> None:
    """Share of the whole fleet outside the capital area >= the minimum, in ``year``."""
    share = problem.outside_share
    coeffs: dict[int, float] = {}
    const = 0.0
    for c in problem.chips.values():
        w = weight(c, problem.outside_basis)
        for s in problem.sites.values():
            k = w * ((0.0 if s.capital_area else 1.0) - share)
            const += k * problem.existing.get((c.name, s.id, year), 0)
            if s.id in candidate_sites(problem):
                for j in count_terms(prog, problem, c.name, year, s.id):
                    coeffs[j] = coeffs.get(j, 0.0) + k
        lease = prog.index.get(f"lease[{c.name},{year}]")
        if lease is not None:
            coeffs[lease] = w * ((0.0 if c.lease_capital_area else 1.0) - share)
    if slack is not None:
        coeffs[slack] = 1.0
    prog.row(f"outside[{year}]", "outside", coeffs, lower=-const, year=year, share=share)
