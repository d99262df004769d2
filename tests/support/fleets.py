"""A fleet scenario file for tests that run the service on their own pools: one
provider, one site (or the sites given), the pools given; written as ``fleet.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

KISTI = ("kisti", "public", "KISTI", "Daejeon")
NAVER = ("naver", "private-cloud", "Naver Cloud", "Chuncheon")


def write_fleet(folder: Path, name: str, pools: list[dict[str, Any]],
                provider: tuple[str, str, str, str] = KISTI) -> Path:  # fmt: skip
    """``folder/fleet.yaml`` with ``pools`` at site ``s1`` of ``provider`` (id, kind,
    name, region) outside the capital area."""
    pid, kind, title, region = provider
    data = {
        "name": name,
        "providers": [{"id": pid, "kind": kind, "name": title}],
        "sites": [{"id": "s1", "provider": pid, "region": region, "capital_area": False}],
        "pools": [{"site": "s1", **p} for p in pools],
    }
    path = folder / "fleet.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
