"""Datasets in scenario YAML, so what-ifs can ask what residency costs: a ``datasets:``
list naming, for each dataset, the sites holding a copy and the trace projects whose jobs
use it:

.. code-block:: yaml

    datasets:
      - name: kor-med
        residency: domestic       # or any
        sites: [gwangju-ai-dc]    # site ids of the scenario
        projects: [vc-a, vc-b]    # the trace's project names

The scenario checks each site exists and that a ``domestic`` dataset is held only at
sites in the center's country (``sites[].country``). ``with_datasets`` gives each trace
job of those projects what placement honours (``nacc.domain.datasets.needs``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from nacc.domain.datasets import NAME_PATTERN, Copy, Residency, Used, needs
from nacc.domain.jobs import JobSpec


class DatasetSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str = Field(pattern=NAME_PATTERN, max_length=64)
    residency: Literal["domestic", "any"] = "any"
    sites: list[str] = Field(min_length=1)
    projects: list[str] = Field(min_length=1)
    source: str | None = None


def used_of(spec: DatasetSpec) -> Used:
    return Used(spec.name, Residency(spec.residency), tuple(Copy(s, "") for s in spec.sites))


def with_datasets(jobs: Sequence[JobSpec], specs: Sequence[DatasetSpec]) -> list[JobSpec]:
    """The jobs, those of the datasets' projects with their placement needs."""
    by_project: dict[str, list[Used]] = {}
    for spec in specs:
        for project in spec.projects:
            by_project.setdefault(project, []).append(used_of(spec))
    if not by_project:
        return list(jobs)
    memo = {p: needs(u) for p, u in by_project.items()}
    out = []
    for job in jobs:
        data = memo.get(job.project)
        if data is not None:
            job = dataclasses.replace(job, domestic_only=data.domestic_only,
                                      data_sites=data.sites)  # fmt: skip
        out.append(job)
    return out
