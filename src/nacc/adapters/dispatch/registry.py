"""Dispatch backends keyed by URL scheme (``local://``, later ``slurm://host``, ``k8s://ctx``).

A registry is a value built by ``default_registry()``; nothing registers itself at import.
An unknown scheme gets ``UnknownName`` listing the known ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from nacc.adapters.dispatch.local import LocalDispatcher
from nacc.domain.errors import InputError, UnknownName
from nacc.ports import Dispatcher


@dataclass(frozen=True, slots=True)
class DispatchOptions:
    """Settings a backend may need besides its URL (validated config passes these down).

    ``devices``: per pool id, the local device ids the ``local`` backend may hand out.
    ``workdir``: where job logs and state live (``local:///abs/path`` overrides it).
    """

    devices: Mapping[str, Sequence[str]] = field(default_factory=dict)
    workdir: Path | None = None
    env_var: str = "CUDA_VISIBLE_DEVICES"
    grace_s: float = 5.0


Factory = Callable[[SplitResult, DispatchOptions], Dispatcher]


def _local(url: SplitResult, options: DispatchOptions) -> Dispatcher:
    if url.netloc not in ("", "localhost"):
        raise InputError(url.geturl(), "local:// runs on this machine; give no host")
    workdir = Path(url.path) if url.path not in ("", "/") else options.workdir
    if workdir is None:
        raise InputError(url.geturl(), "no work directory: give local:///path or a workdir")
    return LocalDispatcher(options.devices, workdir, options.env_var, options.grace_s)


class DispatchRegistry:
    """Maps URL schemes to backend factories."""

    def __init__(self, factories: Mapping[str, Factory] | None = None) -> None:
        self._factories: dict[str, Factory] = dict(factories or {})

    def register(self, scheme: str, factory: Factory) -> None:
        self._factories[scheme.lower()] = factory

    def schemes(self) -> list[str]:
        return sorted(self._factories)

    def create(self, url: str, options: DispatchOptions | None = None) -> Dispatcher:
        parts = urlsplit(url)
        factory = self._factories.get(parts.scheme.lower())
        if factory is None:
            known = [f"{s}://" for s in self._factories]
            raise UnknownName("dispatch backend", url, known)
        return factory(parts, options or DispatchOptions())


def default_registry() -> DispatchRegistry:
    """The built-in backends."""
    return DispatchRegistry({"local": _local})


def create_dispatcher(url: str, options: DispatchOptions | None = None) -> Dispatcher:
    """Build the dispatcher for ``url`` from the built-in backends."""
    return default_registry().create(url, options)
