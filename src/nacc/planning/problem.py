"""The optimisation problem as plain numbers: what the MILP is built from.

``build_problem`` turns a planning file, the existing fleet (a scenario) and the
throughput model into a :class:`Problem`; everything after it is pure arithmetic. Demand
is split in two groups: *training* (pre-training, fine-tuning, vision, recommendation) and
*serving* (inference, evaluation); an inference-only type (an NPU) serves only the second.
A type's credits per hour in a group is the harmonic mean of its class speeds weighted by
the class mix (the rate at which it clears that group's mix of work).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from nacc.catalog.throughput import ThroughputModel
from nacc.domain.jobs import JobClass
from nacc.planning.model import PlanningFile
from nacc.planning.sites import SiteScore, score_sites
from nacc.scenario.model import Scenario

HOURS_PER_YEAR = 8760.0
TRAINING = "training"
SERVING = "serving"
GROUPS: dict[str, frozenset[JobClass]] = {
    TRAINING: frozenset(
        {JobClass.PRETRAIN, JobClass.FINETUNE, JobClass.VISION, JobClass.RECOMMENDATION}
    ),
    SERVING: frozenset({JobClass.INFERENCE, JobClass.EVALUATION}),
}


@dataclass(frozen=True, slots=True)
class ChipData:
    """One accelerator type as the model sees it."""

    name: str
    domestic: bool
    kw: float
    rate: dict[str, float]  # group -> credits per accelerator-hour (absent: cannot run)
    price_krw: float | None = None
    available: dict[int, int] = field(default_factory=dict)
    lease_krw_per_hour: float | None = None
    lease_max: int = 0
    lease_capital_area: bool = True


@dataclass(frozen=True, slots=True)
class SiteData:
    """A site: candidate (``usable_mw`` per year) or existing only (no new installs)."""

    id: str
    capital_area: bool
    national_center: bool
    pue: float
    tariff: float  # KRW/kWh, capital-area surcharge included
    usable_mw: dict[int, float] | None  # None: existing site, no power limit modelled


@dataclass(frozen=True, slots=True)
class Problem:
    """Everything the MILP needs, in KRW, credits per month, MW and accelerator counts."""

    years: list[int]
    lifetime: int
    hours_per_month: float
    utilisation: float
    demand: dict[tuple[int, str], float]  # (year, group) -> credits per month
    budget: dict[int, float]
    chips: dict[str, ChipData]
    sites: dict[str, SiteData]
    existing: dict[tuple[str, str, int], int]  # (type, site, year) -> count in service
    domestic_share: float | None = None
    domestic_from: int | None = None
    domestic_basis: str = "count"
    outside_share: float = 0.0
    outside_basis: str = "count"
    scores: list[SiteScore] = field(default_factory=list)

    def types(self) -> list[str]:
        """Every accelerator type in the problem (candidates and existing)."""
        return list(self.chips)


def group_rates(
    model: ThroughputModel, accel: str, mix: Mapping[JobClass, float]
) -> dict[str, float]:
    """group -> credits per accelerator-hour on ``accel`` for the mix (harmonic mean)."""
    rates: dict[str, float] = {}
    for group, classes in GROUPS.items():
        weights = {c: mix.get(c, 0.0) for c in classes if mix.get(c, 0.0) > 0}
        if not weights:
            continue
        speeds: dict[JobClass, float] = {}
        for c in weights:
            speed = model.speed(c, accel)
            if speed is not None and speed > 0:
                speeds[c] = speed
        if len(speeds) < len(weights):
            continue
        hours = sum(w / speeds[c] for c, w in weights.items())
        rates[group] = sum(weights.values()) / hours
    return rates


def build_problem(plan: PlanningFile, scenario: Scenario, model: ThroughputModel) -> Problem:
    """Phase 1: sites; phase 2: chips (candidates and existing types); phase 3: demand."""
    catalog = model.catalog()
    scores = score_sites(plan)
    sites = _sites(plan, scenario, scores)
    existing = _existing(plan, scenario)
    mix = plan.demand.shares()
    names = [c.name for c in plan.chips] + sorted(
        {k[0] for k in existing} - {c.name for c in plan.chips}
    )
    chips: dict[str, ChipData] = {}
    for name in names:
        kw = plan.power_kw_per_unit.get(name, _tdp_kw(catalog[name].tdp_w))
        chips[name] = _chip(plan, name, catalog[name].domestic, kw, group_rates(model, name, mix))
    group_share = {g: sum(mix.get(c, 0.0) for c in cls) for g, cls in GROUPS.items()}
    base = plan.years[0]
    demand = {
        (y, g): plan.demand.per_month(y, base) * share
        for y in plan.years
        for g, share in group_share.items()
        if share > 0
    }
    dom = plan.policy.domestic
    return Problem(
        years=list(plan.years),
        lifetime=plan.lifetime_years,
        hours_per_month=plan.hours_per_month,
        utilisation=plan.policy.utilisation_target,
        demand=demand,
        budget={y: plan.budget_krw[y] for y in plan.years},
        chips=chips,
        sites=sites,
        existing=existing,
        domestic_share=None if dom is None else dom.share,
        domestic_from=None if dom is None else dom.by_year,
        domestic_basis="count" if dom is None else dom.basis,
        outside_share=plan.policy.min_outside_capital_share,
        outside_basis=plan.policy.outside_basis,
        scores=scores,
    )


#: Server overhead per accelerator when FACTS gives no system kW: H100 system 1.275 kW
#: per 0.7 kW GPU (FACTS §1a, D) = 1.82 x TDP.
SERVER_FACTOR = 1.275 / 0.7
_UNKNOWN_KW = 0.5  # E: only for an existing type with neither TDP nor a kW entry


def _tdp_kw(tdp_w: float | None) -> float:
    return _UNKNOWN_KW if tdp_w is None else tdp_w / 1000.0 * SERVER_FACTOR


def _chip(
    plan: PlanningFile, name: str, domestic: bool, kw: float, rate: dict[str, float]
) -> ChipData:
    spec = next((c for c in plan.chips if c.name == name), None)
    if spec is None:
        return ChipData(name, domestic, kw, rate)
    lease = spec.lease
    return ChipData(
        name=name,
        domestic=domestic,
        kw=kw,
        rate=rate,
        price_krw=spec.price_krw,
        available=dict(spec.available),
        lease_krw_per_hour=None if lease is None else lease.krw_per_hour,
        lease_max=0 if lease is None else lease.max_per_year,
        lease_capital_area=True if lease is None else lease.capital_area,
    )


def _sites(plan: PlanningFile, scenario: Scenario, scores: list[SiteScore]) -> dict[str, SiteData]:
    usable = {s.site: s.usable_mw for s in scores}
    surcharge = plan.capital_area_surcharge
    out: dict[str, SiteData] = {}
    for site in plan.sites:
        tariff = site.tariff_krw_per_kwh * (1.0 + surcharge if site.capital_area else 1.0)
        out[site.id] = SiteData(
            site.id, site.capital_area, site.national_center, site.pue, tariff, usable[site.id]
        )
    ex = plan.existing
    for old in scenario.sites:
        if old.id in out:
            continue
        tariff = ex.default_tariff_krw_per_kwh * (1.0 + surcharge if old.capital_area else 1.0)
        out[old.id] = SiteData(
            old.id, old.capital_area, False, old.pue or ex.default_pue, tariff, None
        )
    return out


def _existing(plan: PlanningFile, scenario: Scenario) -> dict[tuple[str, str, int], int]:
    ex = plan.existing
    out: dict[tuple[str, str, int], int] = {}
    for pool in scenario.pools:
        count = pool.government_count if ex.government_share_only else pool.count
        last = ex.retire_after.get(pool.id, plan.years[-1])
        for year in plan.years:
            if year <= last and count > 0:
                key = (pool.accelerator, pool.site, year)
                out[key] = out.get(key, 0) + count
    return out
