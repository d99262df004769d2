"""A FAKE Kubernetes API server per test (``support.fake_kube``), and dispatchers on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from nacc.adapters.dispatch.k8s import K8sDispatcher
from nacc.adapters.dispatch.k8s_config import parse_url
from support.fake_kube import FakeKube, fake_kube


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[FakeKube]:
    with fake_kube(tmp_path) as fake:
        yield fake


def k8s_url(kube: FakeKube, workdir: Path, **settings: str) -> str:
    query = urlencode({"kubeconfig": str(kube.kubeconfig), "workdir": str(workdir), **settings})
    return f"k8s://{kube.context}?{query}"


@pytest.fixture
def make(kube: FakeKube, tmp_path: Path) -> Callable[..., K8sDispatcher]:
    def build(**settings: str) -> K8sDispatcher:
        return K8sDispatcher(parse_url(urlsplit(k8s_url(kube, tmp_path / "jobs", **settings))))

    return build
