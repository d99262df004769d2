"""The planning file: years, budgets, demand, policy targets, candidate chips and sites.

Plain data (normally ``planning/*.yaml``), validated strictly on construction
(``extra="forbid"``, no coercion of strings to numbers) so the optimiser can trust it.
Cross-field problems (a year outside the horizon, an unknown chip, a mix that does not sum
to one) are raised as :class:`nacc.scenario.model.ScenarioProblems` so the loader can name
the field path of each one.
"""

from __future__ import annotations

import math
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from nacc.domain.jobs import JobClass
from nacc.scenario.model import ID_PATTERN, Loc, ScenarioProblems, _catalog_from

ShareBasis = Literal["count", "credits"]
_MIX_TOLERANCE = 1e-6


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Demand(_Strict):
    """Demand in credits (H100-SXM hours) per month: ``base`` in ``base_year``, growing."""

    base_credits_per_month: float = Field(gt=0)
    growth_per_year: float = Field(ge=-0.9, le=10.0)
    mix: dict[str, float]
    source: str | None = None
    assumption: str | None = None

    @field_validator("mix")
    @classmethod
    def _mix_sums_to_one(cls, value: dict[str, float]) -> dict[str, float]:
        known = [c.value for c in JobClass]
        for name in value:
            if name not in known:
                raise ValueError(f"unknown job class {name!r}; allowed: {', '.join(known)}")
        if any(v < 0 for v in value.values()):
            raise ValueError("every share of the class mix must be >= 0")
        total = sum(value.values())
        if not math.isclose(total, 1.0, abs_tol=_MIX_TOLERANCE):
            raise ValueError(f"the class mix must sum to 1, got {total:.6f}")
        return value

    def shares(self) -> dict[JobClass, float]:
        """The class mix keyed by :class:`JobClass`."""
        return {JobClass(name): share for name, share in self.mix.items()}

    def per_month(self, year: int, base_year: int) -> float:
        """Credits per month forecast for ``year``."""
        return self.base_credits_per_month * (1.0 + self.growth_per_year) ** (year - base_year)


class DomesticTarget(_Strict):
    """Domestic chips' share of the national-center sites, from ``by_year`` on."""

    share: float = Field(ge=0.0, le=1.0)
    by_year: int
    basis: ShareBasis = "count"
    source: str | None = None


class Policy(_Strict):
    """Policy targets of the plan."""

    domestic: DomesticTarget | None = None
    min_outside_capital_share: float = Field(default=0.0, ge=0.0, le=1.0)
    outside_basis: ShareBasis = "count"
    utilisation_target: float = Field(gt=0.0, le=1.0)
    source: str | None = None
    assumption: str | None = None


class Lease(_Strict):
    """A lease offer: accelerators rented for a whole year at a private cloud."""

    krw_per_hour: float = Field(gt=0)
    max_per_year: int = Field(ge=0)
    capital_area: bool = True
    source: str | None = None
    assumption: str | None = None


class Chip(_Strict):
    """A candidate accelerator type (catalog name) to buy and/or lease."""

    name: str
    price_krw: float | None = Field(default=None, gt=0)
    available: dict[int, int] = Field(default_factory=dict)
    lease: Lease | None = None
    source: str | None = None
    assumption: str | None = None

    @field_validator("name")
    @classmethod
    def _known(cls, value: str, info: ValidationInfo) -> str:
        catalog = _catalog_from(info)
        if value not in catalog:
            raise ValueError(f"unknown accelerator {value!r}; allowed: {', '.join(catalog)}")
        return value

    @field_validator("available")
    @classmethod
    def _non_negative(cls, value: dict[int, int]) -> dict[int, int]:
        if any(v < 0 for v in value.values()):
            raise ValueError("purchasable quantities must be >= 0")
        return value


class CandidateSite(_Strict):
    """A site where bought accelerators can be installed."""

    id: str = Field(pattern=ID_PATTERN)
    region: str = Field(min_length=1)
    capital_area: bool
    national_center: bool = False
    grid_mw: dict[int, float]
    assessment_cleared: bool
    pue: float = Field(ge=1.0, le=3.0)
    tariff_krw_per_kwh: float = Field(gt=0)
    source: str | None = None
    assumption: str | None = None

    @field_validator("grid_mw")
    @classmethod
    def _non_negative(cls, value: dict[int, float]) -> dict[int, float]:
        if any(v < 0 for v in value.values()):
            raise ValueError("grid MW must be >= 0")
        return value


class Existing(_Strict):
    """How the scenario's fleet enters the plan."""

    government_share_only: bool = True
    retire_after: dict[str, int] = Field(default_factory=dict)
    default_pue: float = Field(default=1.3, ge=1.0)
    default_tariff_krw_per_kwh: float = Field(default=182.7, gt=0)
    assumption: str | None = None


class PlanningFile(_Strict):
    """A capacity-planning problem."""

    name: str = Field(pattern=ID_PATTERN)
    description: str = ""
    sources: dict[str, str] = Field(default_factory=dict)
    years: list[int] = Field(min_length=1)
    lifetime_years: int = Field(ge=1, le=30)
    hours_per_month: float = Field(default=730.0, gt=0)
    capital_area_surcharge: float = Field(default=0.0, ge=0.0, le=1.0)
    budget_krw: dict[int, float]
    demand: Demand
    policy: Policy
    power_kw_per_unit: dict[str, float]
    chips: list[Chip] = Field(min_length=1)
    sites: list[CandidateSite] = Field(min_length=1)
    existing: Existing = Field(default_factory=Existing)

    @model_validator(mode="after")
    def _cross_checks(self) -> Self:
        problems = [
            *self._year_problems(),
            *self._chip_problems(),
            *self._site_problems(),
        ]
        if problems:
            raise ScenarioProblems(problems)
        return self

    def _year_problems(self) -> list[tuple[Loc, str]]:
        years = self.years
        problems: list[tuple[Loc, str]] = []
        if years != list(range(years[0], years[0] + len(years))):
            problems.append((("years",), f"expected consecutive increasing years, got {years}"))
        for year in years:
            if year not in self.budget_krw:
                problems.append((("budget_krw",), f"no budget for year {year}"))
        for year, value in self.budget_krw.items():
            if value < 0:
                problems.append((("budget_krw", year), f"budget must be >= 0, got {value}"))
        dom = self.policy.domestic
        if dom is not None and dom.by_year not in years:
            msg = f"year {dom.by_year} is outside the planning years {years[0]}-{years[-1]}"
            problems.append((("policy", "domestic", "by_year"), msg))
        return problems

    def _chip_problems(self) -> list[tuple[Loc, str]]:
        problems: list[tuple[Loc, str]] = []
        seen: set[str] = set()
        for index, chip in enumerate(self.chips):
            if chip.name in seen:
                problems.append((("chips", index, "name"), f"duplicate chip {chip.name!r}"))
            seen.add(chip.name)
            if chip.price_krw is None and chip.lease is None:
                msg = "give price_krw (to buy), lease (to rent) or both"
                problems.append((("chips", index), msg))
            if chip.name not in self.power_kw_per_unit:
                msg = f"no power_kw_per_unit entry for {chip.name!r}"
                problems.append((("power_kw_per_unit",), msg))
            for year in chip.available:
                if year not in self.years:
                    problems.append((("chips", index, "available", year), "not a planning year"))
        for name, kw in self.power_kw_per_unit.items():
            if kw <= 0:
                problems.append((("power_kw_per_unit", name), f"must be > 0, got {kw}"))
        return problems

    def _site_problems(self) -> list[tuple[Loc, str]]:
        problems: list[tuple[Loc, str]] = []
        seen: set[str] = set()
        for index, site in enumerate(self.sites):
            if site.id in seen:
                problems.append((("sites", index, "id"), f"duplicate site {site.id!r}"))
            seen.add(site.id)
            for year in self.years:
                if year not in site.grid_mw:
                    problems.append((("sites", index, "grid_mw"), f"no grid MW for year {year}"))
        return problems
