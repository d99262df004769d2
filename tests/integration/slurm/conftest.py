"""Every test here runs against a real Slurm (``support.slurm_lab``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nacc.adapters.dispatch.slurm import SlurmDispatcher, parse_url
from support.slurm_lab import Lab


@pytest.fixture
def make(slurm_lab: Lab, tmp_path: Path) -> Iterator[Callable[..., SlurmDispatcher]]:
    """``make(**settings)``: a dispatcher on the lab with its own tag (no test sees
    another's jobs) and its output under ``tmp_path``."""
    tmp_path.chmod(0o755)
    tag = f"t{uuid.uuid4().hex[:10]}"

    def build(tag: str = tag, **settings: str) -> SlurmDispatcher:
        query = "&".join(f"{k}={v}" for k, v in {"tag": tag, "workdir": str(tmp_path),
                                                 **settings}.items())  # fmt: skip
        return SlurmDispatcher(parse_url(urlsplit(f"{slurm_lab.url}?{query}")))

    made: list[SlurmDispatcher] = []

    def tracked(**settings: str) -> SlurmDispatcher:
        d = build(**settings)
        made.append(d)
        return d

    yield tracked
    for d in made:  # nothing a test started outlives it
        for job in d.running_jobs:
            d.stop(job, 0.0)
