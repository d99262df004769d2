"""Dispatch backends keyed by URL scheme (``local://``, ``slurm://host:port``, ``k8s://ctx``).

A registry is a value built by ``default_registry()``; nothing registers itself at import.
An unknown scheme gets ``UnknownName`` listing the known ones. ``check`` validates a URL
without building anything (start-up checks every pool's URL before it builds one backend).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from nacc.adapters.dispatch.contain import Containment
from nacc.adapters.dispatch.k8s_config import parse_url as parse_k8s_url
from nacc.adapters.dispatch.local import LocalDispatcher
from nacc.adapters.dispatch.slurm import SlurmDispatcher, parse_url
from nacc.domain.errors import InputError, UnknownName
from nacc.ports import Dispatcher


@dataclass(frozen=True, slots=True)
class DispatchOptions:
    """Settings a backend may need besides its URL (validated config passes these down).

    ``devices``: per pool id, the local device ids the ``local`` backend may hand out.
    ``workdir``: where job logs and state live (``local:///abs/path`` overrides it).
    ``containment``: the walls around local jobs (default: ``Containment()``).
    """

    devices: Mapping[str, Sequence[str]] = field(default_factory=dict)
    workdir: Path | None = None
    env_var: str = "CUDA_VISIBLE_DEVICES"
    grace_s: float = 5.0
    containment: Containment = field(default_factory=Containment)


Factory = Callable[[SplitResult, DispatchOptions], Dispatcher]
Check = Callable[[SplitResult], None]
"""Raises ``InputError`` when a URL of its scheme cannot name a backend."""


def _check_local(url: SplitResult) -> None:
    if url.netloc not in ("", "localhost"):
        raise InputError(url.geturl(), "local:// runs on this machine; give no host")
    if url.query or url.fragment:
        raise InputError(url.geturl(), "local:// takes a directory only (local:///abs/path)")


def _local(url: SplitResult, options: DispatchOptions) -> Dispatcher:
    _check_local(url)
    workdir = Path(url.path) if url.path not in ("", "/") else options.workdir
    if workdir is None:
        raise InputError(url.geturl(), "no work directory: give local:///path or a workdir")
    return LocalDispatcher(options.devices, workdir, options.env_var, options.grace_s,
                           options.containment)  # fmt: skip


def _check_slurm(url: SplitResult) -> None:
    parse_url(url, Path("/"))  # the workdir may come from the options; shape only here


def _slurm(url: SplitResult, options: DispatchOptions) -> Dispatcher:
    workdir = None if options.workdir is None else options.workdir / "slurm"
    return SlurmDispatcher(parse_url(url, workdir))


def _check_k8s(url: SplitResult) -> None:
    parse_k8s_url(url, Path("/"))  # the workdir may come from the options; shape only here


def _k8s(url: SplitResult, options: DispatchOptions) -> Dispatcher:
    from nacc.adapters.dispatch.k8s import K8sDispatcher  # the client takes seconds to import

    workdir = None if options.workdir is None else options.workdir / "k8s"
    return K8sDispatcher(parse_k8s_url(url, workdir))


class DispatchRegistry:
    """Maps URL schemes to backend factories."""

    def __init__(
        self,
        factories: Mapping[str, Factory] | None = None,
        checks: Mapping[str, Check] | None = None,
    ) -> None:
        self._factories: dict[str, Factory] = {}
        self._checks: dict[str, Check] = {}
        for scheme, factory in (factories or {}).items():
            self.register(scheme, factory, (checks or {}).get(scheme))

    def register(self, scheme: str, factory: Factory, check: Check | None = None) -> None:
        self._factories[scheme.lower()] = factory
        if check is not None:
            self._checks[scheme.lower()] = check

    def schemes(self) -> list[str]:
        return sorted(self._factories)

    def check(self, url: str) -> SplitResult:
        """The URL's parts, if a registered backend can take it: ``UnknownName`` for an
        unknown scheme, ``InputError`` for a URL its backend refuses. Builds nothing."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if not scheme or not url.lower().startswith(f"{scheme}://"):
            raise InputError(url, "expected a backend URL SCHEME://... (e.g. local:///path)")
        if scheme not in self._factories:
            raise UnknownName("dispatch backend", url, [f"{s}://" for s in self._factories])
        check = self._checks.get(scheme)
        if check is not None:
            check(parts)
        return parts

    def create(self, url: str, options: DispatchOptions | None = None) -> Dispatcher:
        parts = self.check(url)
        return self._factories[parts.scheme.lower()](parts, options or DispatchOptions())


def default_registry() -> DispatchRegistry:
    """The built-in backends."""
    return DispatchRegistry(
        {"local": _local, "slurm": _slurm, "k8s": _k8s},
        {"local": _check_local, "slurm": _check_slurm, "k8s": _check_k8s},
    )


def create_dispatcher(url: str, options: DispatchOptions | None = None) -> Dispatcher:
    """Build the dispatcher for ``url`` from the built-in backends."""
    return default_registry().create(url, options)
