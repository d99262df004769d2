"""Pools: a homogeneous group of accelerators at one site of one provider."""

from __future__ import annotations

from dataclasses import dataclass

from nacc.domain.ids import PoolId


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
