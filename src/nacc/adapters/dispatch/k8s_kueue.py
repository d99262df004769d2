"""Kueue manifests for nacc's pools and awards (``nacc export kueue --out DIR``).

What a center applies (``kubectl apply -f DIR``) so that the Jobs the ``k8s`` dispatcher
creates are admitted within each project's share:

- a ``Namespace`` (the dispatcher's ``namespace``);
- one ``ResourceFlavor`` per accelerator type, its ``nodeLabels``
  ``nacc.io/accelerator-type: <TYPE>`` (the center labels its nodes so);
- per pool a cohort ``nacc-<pool>`` holding one ``ClusterQueue`` per awarded project
  (``<project>-<pool>``) whose ``nominalQuota`` of the pool's resource is the project's
  share of the pool's accelerators, in proportion to its awarded credits (rounded down),
  and a ``<pool>-shared`` ClusterQueue with what rounding leaves, so the cohort's quotas
  add up to the pool exactly; a project borrows idle quota within the cohort, and
  ``reclaimWithinCohort: Any`` lets a project get its own share back;
- per project and pool a ``LocalQueue`` ``<project>-<pool>`` in the namespace, pointing at
  its ClusterQueue: the queue the dispatcher labels the project's Jobs with.

Pure: values in, manifests out (``manifests``); ``write`` puts one YAML file per kind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from nacc.adapters.dispatch.k8s_config import queue_name
from nacc.adapters.dispatch.k8s_states import resource_name
from nacc.domain.errors import InputError
from nacc.domain.pools import Pool

KUEUE_API = "kueue.x-k8s.io/v1beta1"
NODE_LABEL = "nacc.io/accelerator-type"


def _dns(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:63].rstrip("-")


def shares(count: int, awards: Mapping[str, Decimal]) -> tuple[dict[str, int], int]:
    """Each project's whole accelerators of ``count``, in proportion to its credits
    (rounded down), and what is left over."""
    total = sum(awards.values(), Decimal(0))
    if total <= 0:
        return {p: 0 for p in awards}, count
    out = {p: int(Decimal(count) * credits / total) for p, credits in awards.items()}
    return out, count - sum(out.values())


def _cluster_queue(name: str, cohort: str, flavor: str, resource: str, quota: int
                   ) -> dict[str, Any]:  # fmt: skip
    return {
        "apiVersion": KUEUE_API,
        "kind": "ClusterQueue",
        "metadata": {"name": name, "labels": {"nacc.io/managed": "true"}},
        "spec": {
            "cohort": cohort,
            "namespaceSelector": {},
            "queueingStrategy": "BestEffortFIFO",
            "preemption": {"reclaimWithinCohort": "Any", "withinClusterQueue": "Never"},
            "resourceGroups": [{
                "coveredResources": [resource],
                "flavors": [{"name": flavor, "resources": [
                    {"name": resource, "nominalQuota": quota}]}],
            }],
        },
    }  # fmt: skip


Manifests = dict[str, list[dict[str, Any]]]


def manifests(pools: Sequence[Pool], awards: Mapping[str, Decimal], namespace: str,
              resources: Mapping[str, str] | None = None) -> Manifests:  # fmt: skip
    """Manifests by kind (see the module docstring). ``resources``: pool id -> resource
    name where the accelerator type has none known (``InputError`` naming the pool else)."""
    if not pools:
        raise InputError("pools", "no pools to export")
    bad = [p for p, c in awards.items() if c < 0]
    if bad:
        raise InputError("awards", f"negative credits for {', '.join(bad)}")
    out: dict[str, list[dict[str, Any]]] = {"namespace": [{"apiVersion": "v1",
        "kind": "Namespace", "metadata": {"name": namespace}}], "resourceflavors": [],
        "clusterqueues": [], "localqueues": []}  # fmt: skip
    flavors: set[str] = set()
    for pool in pools:
        resource = (resources or {}).get(pool.id) or resource_name(pool.accel_type)
        if resource is None:
            raise InputError(f"pool {pool.id}", f"no Kubernetes resource name is known for "
                             f"{pool.accel_type}; give --resource {pool.id}=NAME")  # fmt: skip
        flavor = _dns(pool.accel_type)
        if flavor not in flavors:
            flavors.add(flavor)
            out["resourceflavors"].append({"apiVersion": KUEUE_API, "kind": "ResourceFlavor",
                "metadata": {"name": flavor}, "spec": {"nodeLabels": {
                    NODE_LABEL: pool.accel_type}}})  # fmt: skip
        cohort = _dns(f"nacc-{pool.id}")
        quota, left = shares(pool.count, awards)
        for project, n in quota.items():
            name = queue_name(project, pool.id)
            out["clusterqueues"].append(_cluster_queue(name, cohort, flavor, resource, n))
            out["localqueues"].append({"apiVersion": KUEUE_API, "kind": "LocalQueue",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"clusterQueue": name}})  # fmt: skip
        out["clusterqueues"].append(
            _cluster_queue(_dns(f"{pool.id}-shared"), cohort, flavor, resource, left)
        )
    return out


def write(found: Mapping[str, list[dict[str, Any]]], folder: Path) -> list[Path]:
    """One multi-document YAML file per kind, in apply order; the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for index, kind in enumerate(("namespace", "resourceflavors", "clusterqueues",
                                  "localqueues")):  # fmt: skip
        path = folder / f"{index}-{kind}.yaml"
        path.write_text(yaml.safe_dump_all(found[kind], sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths


def read_awards(path: Path) -> dict[str, Decimal]:
    """``awards: {PROJECT_ID: CREDITS, ...}`` from a YAML file; ``InputError`` naming the
    file and the entry that is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise InputError(str(path), f"cannot read: {e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("awards"), dict):
        raise InputError(str(path), "expected a mapping 'awards: {PROJECT_ID: CREDITS, ...}'")
    out: dict[str, Decimal] = {}
    for project, credits in data["awards"].items():
        if isinstance(credits, bool) or not isinstance(credits, int | float | str):
            raise InputError(f"{path}: awards.{project}", f"expected credits, got {credits!r}")
        try:
            out[str(project)] = Decimal(str(credits))
        except ArithmeticError:
            raise InputError(
                f"{path}: awards.{project}", f"expected credits, got {credits!r}"
            ) from None
    return out
