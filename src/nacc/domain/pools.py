"""Pools: a homogeneous group of accelerators at one site of one provider."""

from __future__ import annotations

from dataclasses import dataclass

from nacc.domain.ids import PoolId

HOME_COUNTRY = "KR"
"""The center's country (ISO 3166-1 alpha-2): domestic-only data stays at its sites."""


@dataclass(frozen=True, slots=True)
class Pool:
    """Capacity of one accelerator type at one site, reached through one engine."""

    id: PoolId
    provider: str
    site: str
    accel_type: str
    count: int
    node_size: int
    engine: str
    domestic: bool = False
    backend: str = ""  # the dispatch backend's URL (local://, slurm://host:port, k8s://ctx)
    country: str = HOME_COUNTRY  # where the site is (ISO 3166-1 alpha-2)

    @property
    def domestic_site(self) -> bool:
        """Whether the pool's site is in the center's country (``domestic`` is about
        the chip: a domestic accelerator type)."""
        return self.country == HOME_COUNTRY
