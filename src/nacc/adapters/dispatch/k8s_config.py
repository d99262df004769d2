"""The ``k8s://`` URL: which cluster, namespace and queues the ``k8s`` dispatcher uses.

``k8s://CONTEXT?key=value&...``: CONTEXT is a kubeconfig context (empty: the current one).

| key | default | meaning |
|---|---|---|
| ``namespace`` | ``default`` | where Jobs are created (and the LocalQueues live) |
| ``kubeconfig`` | ``$KUBECONFIG`` or ``~/.kube/config`` | an absolute path |
| ``tag`` | ``nacc`` | the ``nacc.io/tag`` label: two services on one cluster need two tags |
| ``image`` | ``ubuntu:24.04`` | the container image when the payload names none |
| ``queue`` / ``queue.<pool>`` | ``<project>-<pool>`` | the Kueue LocalQueue |
| ``resource.<pool>`` | from the accelerator type | the extended resource name |
| ``propagation`` | ``Background`` | the delete's propagation policy (or ``Foreground``) |
| ``workdir`` | the service's work directory + ``/k8s`` | where ended Pods' logs are kept |
| ``timeout`` | ``10`` | seconds per API call |
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, parse_qsl, unquote

from nacc.domain.errors import InputError

_KEYS = ("namespace", "kubeconfig", "tag", "image", "queue", "propagation", "workdir", "timeout")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def queue_name(project: str, pool: str) -> str:
    """The LocalQueue of ``project`` on ``pool`` (a DNS label, as Kueue needs)."""
    name = re.sub(r"[^a-z0-9-]+", "-", f"{project}-{pool}".lower()).strip("-")
    return name[:63].rstrip("-") or "nacc"


@dataclass(frozen=True, slots=True)
class K8sConfig:
    """Where the API server is and how pools map onto Kueue (from a ``k8s://`` URL)."""

    workdir: Path
    context: str | None = None
    namespace: str = "default"
    kubeconfig: Path | None = None
    tag: str = "nacc"
    image: str = "ubuntu:24.04"
    default_queue: str | None = None
    queues: Mapping[str, str] = field(default_factory=dict)  # pool id -> LocalQueue
    resources: Mapping[str, str] = field(default_factory=dict)  # pool id -> resource name
    propagation: str = "Background"
    timeout_s: float = 10.0
    log_cap_bytes: int = 16 * 1024 * 1024

    def queue(self, project: str, pool: str) -> str:
        return self.queues.get(pool) or self.default_queue or queue_name(project, pool)


def _settings(url: SplitResult) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The URL's settings, per-queue and per-resource ones apart."""
    where = url.geturl()
    opts: dict[str, str] = {}
    queues: dict[str, str] = {}
    resources: dict[str, str] = {}
    for key, value in parse_qsl(url.query, keep_blank_values=True):
        if not value:
            raise InputError(where, f"{key}: empty value")
        head, _, pool = key.partition(".")
        if head == "queue" and pool:
            queues[pool] = value
        elif head == "resource" and pool:
            resources[pool] = value
        elif key in _KEYS:
            opts[key] = value
        else:
            known = ", ".join([*_KEYS, "queue.<pool>", "resource.<pool>"])
            raise InputError(where, f"{key}: unknown setting; known: {known}")
    return opts, queues, resources


def parse_url(url: SplitResult, workdir: Path | None = None) -> K8sConfig:
    """A ``k8s://context?...`` URL as a config; ``InputError`` naming what is wrong."""
    where = url.geturl()
    if url.path not in ("", "/") or url.fragment:
        raise InputError(where, "no path or fragment: k8s://CONTEXT?key=value")
    opts, queues, resources = _settings(url)
    tag = opts.get("tag", "nacc")
    if not _DNS_LABEL.match(tag) or len(tag) > 20:
        raise InputError(where, "tag: up to 20 lower-case letters, digits and '-'")
    namespace = opts.get("namespace", "default")
    if not _DNS_LABEL.match(namespace):
        raise InputError(where, f"namespace: {namespace!r} is not a DNS label (a-z, 0-9, '-')")
    for pool, queue in {**queues, **({"*": opts["queue"]} if "queue" in opts else {})}.items():
        if not _DNS_LABEL.match(queue):
            raise InputError(where, f"queue.{pool}: {queue!r} is not a DNS label")
    propagation = opts.get("propagation", "Background")
    if propagation not in ("Background", "Foreground"):
        raise InputError(where, "propagation: Background or Foreground (Orphan would leave "
                         "the Job's Pods running)")  # fmt: skip
    folder = Path(opts["workdir"]) if "workdir" in opts else workdir
    if folder is None or not folder.is_absolute():
        raise InputError(where, "workdir: an absolute folder for the Pods' logs; "
                         "give ?workdir=/abs/path")  # fmt: skip
    kubeconfig = Path(opts["kubeconfig"]) if "kubeconfig" in opts else None
    if kubeconfig is not None and not kubeconfig.is_absolute():
        raise InputError(where, "kubeconfig: an absolute path")
    try:
        timeout = float(opts.get("timeout", 10.0))
    except ValueError as e:
        raise InputError(where, f"timeout: expected seconds: {e}") from e
    return K8sConfig(folder, unquote(url.netloc) or None, namespace, kubeconfig, tag,
                     opts.get("image", "ubuntu:24.04"), opts.get("queue"), queues, resources,
                     propagation, timeout)  # fmt: skip
