"""Scenario models: providers, sites and accelerator pools, validated on construction.

A scenario is plain data (normally a YAML file under ``scenarios/``). Validation is strict
(``extra="forbid"``, no type coercion) and checks the catalog names and every cross
reference, so code further in can trust it. Problems found after the per-field checks
(unknown accelerator, dangling references, duplicate ids, shares above counts) are raised
as :class:`ScenarioProblems`, which carries the field path of each problem; the loader
turns them into :class:`nacc.domain.errors.InputError` messages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from nacc.domain.accelerators import AcceleratorType
from nacc.domain.errors import InputError
from nacc.domain.ids import PoolId
from nacc.domain.pools import HOME_COUNTRY, Pool
from nacc.scenario.datasets import DatasetSpec
from nacc.scenario.reservations import ReservationSpec
from nacc.scenario.share_tree import ShareTreeSpec, tree_problems

Loc = tuple[str | int, ...]
ProviderKind = Literal["public", "private-cloud", "supercomputer", "national-dc", "other"]
Engine = Literal["slurm", "kubernetes", "local"]
PROVIDER_KINDS: tuple[str, ...] = (
    "public",
    "private-cloud",
    "supercomputer",
    "national-dc",
    "other",
)
ENGINES: tuple[str, ...] = ("slurm", "kubernetes", "local")
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
CATALOG_CONTEXT_KEY = "catalog"
BACKEND_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S*$")
BACKEND_EXAMPLES = "local:///var/lib/nacc/jobs, slurm://host:port or k8s://context"


class ScenarioProblems(ValueError):
    """Problems found by a validator, each with a field path relative to where it ran."""

    def __init__(self, items: list[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(f"{format_loc(loc)}: {msg}" for loc, msg in items))
        self.items = items


def format_loc(loc: Iterable[str | int]) -> str:
    """``("pools", 3, "accelerator")`` -> ``pools[3].accelerator``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@lru_cache(maxsize=1)
def default_catalog() -> Mapping[str, AcceleratorType]:
    """The shipped accelerator catalog, loaded once on first use."""
    from nacc.catalog.accelerators import load_catalog

    catalog: Mapping[str, AcceleratorType] = load_catalog()
    return catalog


def _catalog_from(info: ValidationInfo | None) -> Mapping[str, AcceleratorType]:
    context = info.context if info is not None else None
    if isinstance(context, Mapping) and CATALOG_CONTEXT_KEY in context:
        catalog: Mapping[str, AcceleratorType] = context[CATALOG_CONTEXT_KEY]
        return catalog
    return default_catalog()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Provider(_Strict):
    """An organisation that runs accelerators (a cloud, a supercomputing centre, ...)."""

    id: str = Field(pattern=ID_PATTERN)
    kind: ProviderKind
    name: str = Field(min_length=1)
    source: str | None = None


class Site(_Strict):
    """A data centre of one provider. ``None`` power or PUE means unknown."""

    id: str = Field(pattern=ID_PATTERN)
    provider: str
    region: str = Field(min_length=1)
    capital_area: bool
    country: str = Field(default=HOME_COUNTRY, pattern=r"^[A-Z]{2}$")
    """ISO 3166-1 alpha-2; domestic-only data stays at sites in the center's country."""
    power_mw: float | None = Field(default=None, gt=0)
    pue: float | None = Field(default=None, ge=1.0)
    source: str | None = None
    assumption: str | None = None


class PoolSpec(_Strict):
    """``count`` accelerators of one catalog type at one site, in nodes of ``node_size``."""

    id: str = Field(pattern=ID_PATTERN)
    site: str
    accelerator: str
    count: int = Field(ge=1)
    node_size: int = Field(ge=1)
    engine: Engine
    government_share: int | None = Field(default=None, ge=0)
    backend: str | None = None
    """The dispatch backend's URL (``SCHEME://...``); the live service's own local
    directory when unset. Only the shape is checked here: which schemes exist is the
    dispatch registry's business, checked where the service builds its dispatchers."""
    source: str | None = None
    assumption: str | None = None

    @field_validator("backend")
    @classmethod
    def _backend_url(cls, value: str | None) -> str | None:
        if value is not None and not BACKEND_URL.match(value):
            raise ValueError(f"expected a backend URL SCHEME://..., e.g. {BACKEND_EXAMPLES}; "
                             f"given {value!r}")  # fmt: skip
        return value

    @field_validator("accelerator")
    @classmethod
    def _known_accelerator(cls, value: str, info: ValidationInfo) -> str:
        catalog = _catalog_from(info)
        if value not in catalog:
            allowed = ", ".join(sorted(catalog))
            raise ValueError(f"unknown accelerator {value!r}; allowed: {allowed}")
        return value

    @model_validator(mode="after")
    def _share_within_count(self) -> Self:
        if self.government_share is not None and self.government_share > self.count:
            msg = f"government_share {self.government_share} exceeds count {self.count}"
            raise ScenarioProblems([(("government_share",), msg)])
        return self

    @property
    def government_count(self) -> int:
        """Accelerators of this pool that belong to the government (all when unset)."""
        return self.count if self.government_share is None else self.government_share


def _duplicates(section: str, ids: list[str], what: str) -> list[tuple[Loc, str]]:
    first: dict[str, int] = {}
    problems: list[tuple[Loc, str]] = []
    for index, ident in enumerate(ids):
        if ident in first:
            msg = f"duplicate {what} id {ident!r} (first at {section}[{first[ident]}])"
            problems.append(((section, index, "id"), msg))
        else:
            first[ident] = index
    return problems


def _dangling(section: str, field: str, refs: list[str], known: list[str]) -> list[tuple[Loc, str]]:
    known_set = set(known)
    allowed = ", ".join(sorted(known_set)) or "(none defined)"
    return [
        ((section, index, field), f"unknown {field} {ref!r}; defined {field}s: {allowed}")
        for index, ref in enumerate(refs)
        if ref not in known_set
    ]


class Scenario(_Strict):
    """A fleet: who provides accelerators, where, of which type, how many."""

    name: str = Field(pattern=ID_PATTERN)
    description: str = ""
    sources: dict[str, str] = Field(default_factory=dict)
    providers: list[Provider] = Field(min_length=1)
    sites: list[Site] = Field(min_length=1)
    pools: list[PoolSpec] = Field(min_length=1)
    restart_cost_s: float | None = Field(default=None, ge=0)
    """Checkpoint/restart cost a preempted job pays when it resumes on this fleet; the
    simulator's default (30 s) applies when unset."""
    reservations: list[ReservationSpec] = Field(default_factory=list)
    datasets: list[DatasetSpec] = Field(default_factory=list)
    """Datasets the trace's projects use (``nacc.scenario.datasets``): placement keeps
    domestic ones at domestic sites and prefers the sites holding them."""
    """Capacity blocks (``nacc.scenario.reservations``), checked against the pools by
    the loader."""
    share_tree: ShareTreeSpec | None = None
    """Program -> organisation -> project shares (``nacc.scenario.share_tree``): the
    simulator ranks by Fair Tree over them."""

    @model_validator(mode="after")
    def _references(self) -> Self:
        provider_ids = [p.id for p in self.providers]
        site_ids = [s.id for s in self.sites]
        problems = [
            *_duplicates("providers", provider_ids, "provider"),
            *_duplicates("sites", site_ids, "site"),
            *_duplicates("pools", [p.id for p in self.pools], "pool"),
            *_dangling("sites", "provider", [s.provider for s in self.sites], provider_ids),
            *_dangling("pools", "site", [p.site for p in self.pools], site_ids),
            *self._dataset_problems(site_ids),
            *[
                (("share_tree", *loc), msg)
                for loc, msg in (tree_problems(self.share_tree) if self.share_tree else [])
            ],
        ]
        if problems:
            raise ScenarioProblems(problems)
        return self

    def _dataset_problems(self, site_ids: list[str]) -> list[tuple[Loc, str]]:
        home = {s.id for s in self.sites if s.country == HOME_COUNTRY}
        problems: list[tuple[Loc, str]] = []
        for i, d in enumerate(self.datasets):
            for j, site in enumerate(d.sites):
                if site not in site_ids:
                    known = ", ".join(sorted(site_ids))
                    problems.append((("datasets", i, "sites", j),
                                     f"unknown site {site!r}; defined sites: {known}"))  # fmt: skip
                elif d.residency == "domestic" and site not in home:
                    problems.append((("datasets", i, "sites", j), f"{d.name} is domestic-only "
                                     f"data; {site} is not a domestic site"))  # fmt: skip
        return problems

    def site(self, site_id: str) -> Site:
        """The site with this id (``KeyError`` when there is none)."""
        for site in self.sites:
            if site.id == site_id:
                return site
        raise KeyError(site_id)

    def domain_pools(self, catalog: Mapping[str, AcceleratorType] | None = None) -> list[Pool]:
        """The pools as domain objects; ``domestic`` comes from the catalog."""
        types = default_catalog() if catalog is None else catalog
        return [
            Pool(
                id=PoolId(spec.id),
                provider=self.site(spec.site).provider,
                site=spec.site,
                accel_type=spec.accelerator,
                count=spec.count,
                node_size=spec.node_size,
                engine=spec.engine,
                domestic=types[spec.accelerator].domestic,
                backend=spec.backend or "",
                country=self.site(spec.site).country,
            )
            for spec in self.pools
        ]

    def total_accelerators(self) -> int:
        """All accelerators of all pools."""
        return sum(p.count for p in self.pools)

    def government_accelerators(self) -> int:
        """Accelerators that belong to the government (``government_share`` or all)."""
        return sum(p.government_count for p in self.pools)

    def by_type(self) -> dict[str, int]:
        """Accelerator count per catalog name, sorted by name."""
        return _sum_by(self.pools, lambda p: p.accelerator)

    def by_site(self) -> dict[str, int]:
        """Accelerator count per site id, sorted by id."""
        return _sum_by(self.pools, lambda p: p.site)


def _sum_by(pools: list[PoolSpec], key: Callable[[PoolSpec], str]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for pool in pools:
        totals[key(pool)] = totals.get(key(pool), 0) + pool.count
    return dict(sorted(totals.items()))


def scale_counts(scenario: Scenario, factor: float) -> Scenario:
    """A copy with every pool's count (and government share) scaled, rounded, at least 1.

    For small test fleets, e.g. ``scale_counts(korea, 0.01)``; ids and references stay.
    """
    if not (math.isfinite(factor) and factor > 0):
        raise InputError("scale_counts", f"factor must be a positive number, got {factor!r}")
    return scenario.model_copy(update={"pools": [_scaled(p, factor) for p in scenario.pools]})


def _scaled(pool: PoolSpec, factor: float) -> PoolSpec:
    count = max(1, round(pool.count * factor))
    share = pool.government_share
    if share is not None:
        share = min(count, round(share * factor))
    return pool.model_copy(update={"count": count, "government_share": share})
