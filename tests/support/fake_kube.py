"""A FAKE Kubernetes API server for tests: not Kubernetes, not Kueue.

No kube-apiserver, kubelet, kwok or k3s can be installed on these machines (see
docs/dispatch.md, *Kubernetes*), so the ``k8s://`` dispatcher and ``kubectl`` are tested
against this small HTTP server, which serves exactly what they use, with the API's shapes
and semantics as documented by Kubernetes:

- discovery: ``/api``, ``/api/v1``, ``/apis``, ``/apis/{group}/{version}``, ``/version``;
- namespaced CRUD (create, get, list, replace, merge patch, delete) for ``pods``,
  ``batch/v1`` ``jobs`` and the Kueue kinds ``kueue.x-k8s.io/v1beta1`` ``workloads`` and
  ``localqueues``; cluster-scoped ``namespaces``, ``clusterqueues``, ``resourceflavors``;
- a ``status`` subresource (a write to the object keeps its status; a write to
  ``/status`` changes only the status), ``pods/{name}/log``;
- label selectors (``=``, ``==``, ``!=``, ``in``, ``notin``, ``key``, ``!key``);
- errors as ``Status`` objects: 404 NotFound, 409 AlreadyExists / Conflict (a stale
  ``resourceVersion``), 422 Invalid (a bad name, a Job without containers, a bad label);
- delete with ``propagationPolicy``: ``Background`` / ``Foreground`` delete the object's
  dependents (``ownerReferences``), ``Orphan`` keeps them.

There is no scheduler, no Kueue and no kubelet: ``Controller`` is driven by the test,
which plays their parts explicitly (create a Workload for a queued Job, admit it and
unsuspend the Job, start a Pod, let it succeed or fail). ``Controller.tick`` does all of
that for Jobs whose command is ``sleep N`` (the dispatcher contract), on the test's clock.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from support.fake_kube_select import matches

if TYPE_CHECKING:
    from support.fake_kube_control import Controller

KUEUE = "kueue.x-k8s.io/v1beta1"


@dataclass(frozen=True)
class Kind:
    group_version: str  # "v1", "batch/v1", "kueue.x-k8s.io/v1beta1"
    plural: str
    kind: str
    namespaced: bool
    status: bool = True


KINDS = [
    Kind("v1", "namespaces", "Namespace", False),
    Kind("v1", "pods", "Pod", True),
    Kind("batch/v1", "jobs", "Job", True),
    Kind(KUEUE, "workloads", "Workload", True),
    Kind(KUEUE, "localqueues", "LocalQueue", True),
    Kind(KUEUE, "clusterqueues", "ClusterQueue", False),
    Kind(KUEUE, "resourceflavors", "ResourceFlavor", False, status=False),
]
_BY_PATH = {(k.group_version, k.plural): k for k in KINDS}
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message

    def status(self) -> dict[str, Any]:
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}  # fmt: skip


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (also used for strategic merge patches of plain maps)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


class Store:
    """The objects, by (kind plural, namespace, name); thread-safe; counts requests."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.version = itertools.count(1)
        self.calls: Counter[tuple[str, str]] = Counter()
        self.deletes: list[tuple[str, str, str]] = []  # (plural, name, propagationPolicy)
        self.logs: dict[tuple[str, str], str] = {}  # (namespace, pod) -> text
        self.down = False  # answer nothing (the test's "apiserver unreachable")
        self.failing: dict[tuple[str, str], int] = {}  # (verb, plural) -> HTTP status to answer
        for ns in ("default", "kube-system"):
            self.put(_BY_PATH[("v1", "namespaces")], "", {"metadata": {"name": ns}})

    # -- objects -----------------------------------------------------------------------
    def put(self, kind: Kind, ns: str, obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj.setdefault("metadata", {})
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", _now())
        meta["resourceVersion"] = str(next(self.version))
        if kind.namespaced:
            meta["namespace"] = ns
        obj["apiVersion"], obj["kind"] = kind.group_version, kind.kind
        self.objects[(kind.plural, ns, meta["name"])] = obj
        return obj

    def get(self, plural: str, ns: str, name: str) -> dict[str, Any]:
        try:
            return self.objects[(plural, ns, name)]
        except KeyError:
            raise ApiError(404, "NotFound", f'{plural} "{name}" not found') from None

    def find(self, plural: str, ns: str, name: str) -> dict[str, Any] | None:
        return self.objects.get((plural, ns, name))

    def items(self, plural: str, ns: str | None = None) -> list[dict[str, Any]]:
        return [o for (p, n, _), o in sorted(self.objects.items())
                if p == plural and (ns is None or n == ns)]  # fmt: skip

    def delete(self, plural: str, ns: str, name: str, policy: str) -> dict[str, Any]:
        obj = self.objects.pop((plural, ns, name), None)
        if obj is None:
            raise ApiError(404, "NotFound", f'{plural} "{name}" not found')
        self.deletes.append((plural, name, policy))
        if policy != "Orphan":
            uid = obj["metadata"]["uid"]
            for key, other in list(self.objects.items()):
                owners = other["metadata"].get("ownerReferences") or []
                if any(o.get("uid") == uid for o in owners):
                    self.delete(key[0], key[1], key[2], policy)
        return obj


def _validate(kind: Kind, obj: dict[str, Any]) -> None:
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    causes: list[str] = []
    if not isinstance(name, str) or not name:
        causes.append("metadata.name: Required value: name or generateName is required")
    elif not (_DNS_LABEL if kind.plural in ("jobs", "namespaces") else _DNS_SUBDOMAIN).match(name):
        causes.append(f"metadata.name: Invalid value: {name!r}: a lowercase RFC 1123 name")
    for key, value in (meta.get("labels") or {}).items():
        if not isinstance(value, str) or not _LABEL_VALUE.match(value):
            causes.append(f"metadata.labels: Invalid value: {value!r}: label {key} must be "
                          "63 characters or less, alphanumeric, '-', '_' or '.'")  # fmt: skip
    if kind.plural == "jobs":
        pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
        containers = pod.get("containers") or []
        if not containers:
            causes.append("spec.template.spec.containers: Required value")
        for i, c in enumerate(containers):
            image = str(c.get("image") or "")
            if not image.strip():
                causes.append(f"spec.template.spec.containers[{i}].image: Required value")
            elif image != image.strip():
                causes.append(
                    f"spec.template.spec.containers[{i}].image: Invalid value: "
                    f"{image!r}: must not have leading or trailing whitespace"
                )
            for res, qty in ((c.get("resources") or {}).get("limits") or {}).items():
                if not re.fullmatch(r"[0-9]+(m|k|Ki|M|Mi|G|Gi)?", str(qty)):
                    causes.append(f"spec.template.spec.containers[{i}].resources.limits"
                                  f"[{res}]: Invalid value: {qty!r}")  # fmt: skip
        if pod.get("restartPolicy") not in ("Never", "OnFailure"):
            causes.append("spec.template.spec.restartPolicy: Unsupported value: "
                          f"{pod.get('restartPolicy')!r}: supported values: \"OnFailure\", "
                          '"Never"')  # fmt: skip
    if causes:
        raise ApiError(422, "Invalid", f'{kind.kind} "{name}" is invalid: ' + "; ".join(causes))


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, code: int, body: Any, ctype: str = "application/json") -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise ApiError(400, "BadRequest", "the body is not JSON") from None

    def _handle(self, method: str) -> None:
        store = self.server.store
        if store.down:  # hang up without an answer, as a server going away does
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            code, body, ctype = self.server.route(method, url.path, query, self._body)
        except ApiError as e:
            code, body, ctype = e.code, e.status(), "application/json"
        self._send(code, body, ctype)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, store: Store) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.store = store

    def route(self, method: str, path: str, query: dict[str, str], body: Any
              ) -> tuple[int, Any, str]:  # fmt: skip
        from support.fake_kube_routes import route

        return route(self.store, method, path, query, body)


@dataclass
class FakeKube:
    """A running fake: ``url``, ``kubeconfig`` (context ``fake``), the ``store``, the
    ``controller`` the test drives."""

    server: Server
    thread: threading.Thread
    kubeconfig: Path
    context: str = "fake"

    @property
    def store(self) -> Store:
        return self.server.store

    def job_of(self, nacc_id: str) -> dict[str, Any] | None:
        """The batch/v1 Job nacc made for job ``nacc_id`` (its annotation), if any."""
        for job in self.store.items("jobs", "default"):
            if job["metadata"]["annotations"].get("nacc.io/job-id") == nacc_id:
                return job
        return None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def store_kind(self, plural: str) -> Kind:
        return next(k for k in KINDS if k.plural == plural)

    @property
    def controller(self) -> Controller:
        from support.fake_kube_control import Controller

        return Controller(self.store)


def write_kubeconfig(path: Path, url: str, context: str = "fake") -> Path:
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": "fake", "cluster": {"server": url}}],
        "users": [{"name": "fake", "user": {"token": "fake-token"}}],
        "contexts": [{"name": context, "context": {"cluster": "fake", "user": "fake"}}],
    }  # fmt: skip
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


@contextmanager
def fake_kube(folder: Path) -> Iterator[FakeKube]:
    """Start a fake API server on a free loopback port, with a kubeconfig in ``folder``."""
    server = Server(Store())
    thread = threading.Thread(target=server.serve_forever, name="fake-kube", daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        yield FakeKube(server, thread, write_kubeconfig(folder / "kubeconfig", url))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:5]


# re-exported for the route and controller modules
__all__ = ["KINDS", "ApiError", "FakeKube", "Kind", "Store", "fake_kube", "matches",
           "merge_patch", "short_hash", "write_kubeconfig"]  # fmt: skip
