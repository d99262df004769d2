"""The few Kubernetes API calls the ``k8s`` dispatcher makes, through the official client.

Each call returns plain JSON-shaped dicts (the client's models serialized back with
``sanitize_for_serialization``, camelCase keys as the API writes them) and turns every
failure into ``K8sError``: the API's own ``Status`` (code, reason, message) when the
server answered, ``status=None`` when it could not be reached. ``calls`` counts requests
by (verb, resource), so a test can check one LIST per kind per cycle.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import urllib3
from kubernetes import client as kube
from kubernetes import config as kube_config
from kubernetes.client.exceptions import ApiException

from nacc.domain.errors import NaccError
from nacc.domain.reasons import Code

KUEUE_GROUP, KUEUE_VERSION = "kueue.x-k8s.io", "v1beta1"
_T = TypeVar("_T")


class K8sError(NaccError):
    """The API server refused a request (``status``, ``api_reason``), or was unreachable
    (``status`` None); the message says which, with the server's own words."""

    code = Code.DISPATCH_ERROR

    def __init__(self, message: str, status: int | None = None, api_reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.api_reason = api_reason


class K8sApi:
    """Jobs, Pods and Kueue Workloads in one namespace of one kubeconfig context."""

    def __init__(self, namespace: str, context: str | None = None,
                 kubeconfig: Path | None = None, timeout_s: float = 10.0) -> None:  # fmt: skip
        try:
            self.api = kube_config.new_client_from_config(  # type: ignore[no-untyped-call]
                config_file=None if kubeconfig is None else str(kubeconfig), context=context
            )
        except (kube_config.ConfigException, OSError, ValueError) as e:
            where = kubeconfig or "~/.kube/config ($KUBECONFIG)"
            raise K8sError(f"kubeconfig {where}, context {context or '(current)'}: {e}") from e
        self.api.configuration.retries = 1
        self.namespace = namespace
        self.timeout_s = timeout_s
        self.batch = kube.BatchV1Api(self.api)
        self.core = kube.CoreV1Api(self.api)
        self.custom = kube.CustomObjectsApi(self.api)
        self.calls: Counter[tuple[str, str]] = Counter()

    def _call(self, what: tuple[str, str], fn: Callable[[], _T]) -> _T:
        self.calls[what] += 1
        try:
            return fn()
        except ApiException as e:
            status: dict[str, Any] = {}
            with contextlib.suppress(TypeError, ValueError):
                status = json.loads(e.body or "{}")
            message = str(status.get("message") or e.reason or "")
            reason = str(status.get("reason") or e.reason or "")
            raise K8sError(f"Kubernetes API {what[0]} {what[1]}: {e.status} {reason}: {message}",
                           e.status, reason) from e  # fmt: skip
        except (urllib3.exceptions.HTTPError, OSError) as e:
            host = self.api.configuration.host
            raise K8sError(f"Kubernetes API {what[0]} {what[1]}: {host} unreachable: {e}") from e

    def _plain(self, obj: Any) -> Any:
        return self.api.sanitize_for_serialization(obj)

    # -- batch/v1 Jobs -------------------------------------------------------------------
    def list_jobs(self, selector: str) -> list[dict[str, Any]]:
        found = self._call(("LIST", "jobs"), lambda: self.batch.list_namespaced_job(
            self.namespace, label_selector=selector, _request_timeout=self.timeout_s))  # fmt: skip
        return list(self._plain(found).get("items") or [])

    def create_job(self, body: dict[str, Any]) -> dict[str, Any]:
        made = self._call(("POST", "jobs"), lambda: self.batch.create_namespaced_job(
            self.namespace, cast(Any, body), _request_timeout=self.timeout_s))  # fmt: skip
        return dict(self._plain(made))

    def delete_job(self, name: str, propagation: str) -> None:
        self._call(("DELETE", "jobs"), lambda: self.batch.delete_namespaced_job(
            name, self.namespace, propagation_policy=propagation,
            _request_timeout=self.timeout_s))  # fmt: skip

    # -- Pods ----------------------------------------------------------------------------
    def list_pods(self, selector: str) -> list[dict[str, Any]]:
        found = self._call(("LIST", "pods"), lambda: self.core.list_namespaced_pod(
            self.namespace, label_selector=selector, _request_timeout=self.timeout_s))  # fmt: skip
        return list(self._plain(found).get("items") or [])

    def pod_log(self, name: str, limit_bytes: int | None = None) -> str:
        kwargs: dict[str, Any] = {"_request_timeout": self.timeout_s}
        if limit_bytes is not None:
            kwargs["limit_bytes"] = limit_bytes
        text = self._call(("GET", "pods/log"), lambda: self.core.read_namespaced_pod_log(
            name, self.namespace, **kwargs))  # fmt: skip
        return str(text)

    # -- Kueue ---------------------------------------------------------------------------
    def list_workloads(self) -> list[dict[str, Any]]:
        found = self._call(("LIST", "workloads"), lambda: self.custom.list_namespaced_custom_object(
            KUEUE_GROUP, KUEUE_VERSION, self.namespace, "workloads",
            _request_timeout=self.timeout_s))  # fmt: skip
        return list(cast(dict[str, Any], found).get("items") or [])
