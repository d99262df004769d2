"""Request routing of the FAKE Kubernetes API server (``support.fake_kube``): discovery,
CRUD, the status subresource, pod logs. Returns (status code, body, content type)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from support.fake_kube import _BY_PATH, KINDS, ApiError, Kind, Store, _now, _validate, merge_patch
from support.fake_kube_select import matches

Result = tuple[int, Any, str]
JSON = "application/json"


def _groups() -> dict[str, Any]:
    groups: dict[str, list[str]] = {}
    for k in KINDS:
        if "/" in k.group_version:
            group, version = k.group_version.split("/")
            groups.setdefault(group, [])
            if version not in groups[group]:
                groups[group].append(version)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs],
         "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]}}
        for g, vs in groups.items()]}  # fmt: skip


def _resources(group_version: str) -> dict[str, Any]:
    verbs = ["create", "delete", "get", "list", "patch", "update"]
    out: list[dict[str, Any]] = []
    for k in KINDS:
        if k.group_version != group_version:
            continue
        out.append({"name": k.plural, "singularName": k.kind.lower(), "namespaced": k.namespaced,
                    "kind": k.kind, "verbs": verbs})  # fmt: skip
        if k.status:
            out.append({"name": f"{k.plural}/status", "singularName": "", "kind": k.kind,
                        "namespaced": k.namespaced,
                        "verbs": ["get", "patch", "update"]})  # fmt: skip
        if k.plural == "pods":
            out.append({"name": "pods/log", "singularName": "", "kind": "Pod",
                        "namespaced": True, "verbs": ["get"]})  # fmt: skip
    if not out:
        raise ApiError(404, "NotFound", f"the server could not find {group_version}")
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": out}  # fmt: skip


def _parse(path: str) -> tuple[Kind, str, str | None, str | None]:
    """(kind, namespace, name, subresource) of a resource path."""
    parts = [p for p in path.split("/") if p]
    if parts[0] == "api":
        gv, rest = parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 3:
        gv, rest = f"{parts[1]}/{parts[2]}", parts[3:]
    else:
        raise ApiError(404, "NotFound", f"the server could not find {path}")
    ns = ""
    if len(rest) >= 3 and rest[0] == "namespaces" and (gv, rest[2]) in _BY_PATH:
        ns, rest = rest[1], rest[2:]
    if not rest or (gv, rest[0]) not in _BY_PATH:
        raise ApiError(404, "NotFound", f"the server could not find the requested resource {path}")
    kind = _BY_PATH[(gv, rest[0])]
    if kind.namespaced != bool(ns):
        raise ApiError(404, "NotFound", f"{kind.plural} is {'not ' * (not kind.namespaced)}"
                       "namespaced")  # fmt: skip
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    return kind, ns, name, sub


def route(store: Store, method: str, path: str, query: dict[str, str],
          body: Callable[[], Any]) -> Result:  # fmt: skip
    with store.lock:
        if method == "GET":
            if path == "/version":
                return 200, {"major": "1", "minor": "31", "gitVersion": "v1.31.0-fake"}, JSON
            if path == "/api":
                return 200, {"kind": "APIVersions", "versions": ["v1"],
                             "serverAddressByClientCIDRs": []}, JSON  # fmt: skip
            if path == "/apis":
                return 200, _groups(), JSON
            if path == "/api/v1":
                return 200, _resources("v1"), JSON
            if path.startswith("/apis/") and path.count("/") == 3:
                return 200, _resources(path.removeprefix("/apis/")), JSON
            if path.startswith("/openapi"):
                raise ApiError(404, "NotFound", "this fake serves no OpenAPI schema")
        kind, ns, name, sub = _parse(path)
        store.calls[(method, kind.plural if name is None else f"{kind.plural}/{{name}}"
                     + (f"/{sub}" if sub else ""))] += 1  # fmt: skip
        status = store.failing.get((method, kind.plural))
        if status is not None:
            raise ApiError(
                status, "InternalError", f"the fake was told to fail {method} {kind.plural}"
            )
        missing = ns and store.find("namespaces", "", ns) is None
        if missing and (method == "POST" or name is not None):
            raise ApiError(404, "NotFound", f'namespaces "{ns}" not found')
        return _crud(store, kind, ns, name, sub, method, query, body)


def _collection(store: Store, kind: Kind, ns: str, method: str, query: dict[str, str],
                body: Callable[[], Any]) -> Result:  # fmt: skip
    if method == "GET":
        try:
            test = matches(query.get("labelSelector"))
        except ValueError as e:
            raise ApiError(400, "BadRequest", str(e)) from None
        items = [o for o in store.items(kind.plural, ns or None)
                 if test(o["metadata"].get("labels") or {})]  # fmt: skip
        rv = str(next(store.version))
        return 200, {"kind": f"{kind.kind}List", "apiVersion": kind.group_version,
                     "metadata": {"resourceVersion": rv}, "items": items}, JSON  # fmt: skip
    if method == "POST":
        obj = body()
        if not isinstance(obj, dict):
            raise ApiError(400, "BadRequest", "expected an object")
        _validate(kind, obj)
        if store.find(kind.plural, ns, obj["metadata"]["name"]) is not None:
            raise ApiError(
                409,
                "AlreadyExists",
                f'{kind.plural} "{obj["metadata"]["name"]}" already exists',
            )
        obj.pop("status", None) if kind.status else None
        return 201, store.put(kind, ns, obj), JSON
    raise ApiError(405, "MethodNotAllowed", f"{method} on a collection")


def _crud(store: Store, kind: Kind, ns: str, name: str | None, sub: str | None, method: str,
          query: dict[str, str], body: Callable[[], Any]) -> Result:  # fmt: skip
    if name is None:
        return _collection(store, kind, ns, method, query, body)
    if sub == "log":
        store.get(kind.plural, ns, name)
        return 200, store.logs.get((ns, name), ""), "text/plain"
    if sub not in (None, "status") or (sub == "status" and not kind.status):
        raise ApiError(404, "NotFound", f"no subresource {sub}")
    if method == "GET":
        return 200, store.get(kind.plural, ns, name), JSON
    if method == "DELETE":
        options = body() or {}
        policy = (
            query.get("propagationPolicy")
            or options.get("propagationPolicy")
            or ("Orphan" if kind.plural == "jobs" else "Background")
        )  # the default for Jobs
        gone = store.delete(kind.plural, ns, name, policy)
        return 200, gone, JSON
    current = store.get(kind.plural, ns, name)
    new = body()
    if method == "PATCH":
        new = merge_patch(current, new)
    elif method != "PUT":
        raise ApiError(405, "MethodNotAllowed", method)
    rv = (new.get("metadata") or {}).get("resourceVersion")
    if method == "PUT" and rv and rv != current["metadata"]["resourceVersion"]:
        raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {kind.plural} "{name}": '
                       "the object has been modified; please apply your changes to the latest "
                       "version and try again")  # fmt: skip
    if sub == "status":
        obj = copy.deepcopy(current)
        obj["status"] = new.get("status") or {}
    else:
        obj = new
        obj.setdefault("metadata", {})["name"] = name
        for keep in ("uid", "creationTimestamp"):
            obj["metadata"][keep] = current["metadata"].get(keep)
        if kind.status:
            obj["status"] = copy.deepcopy(current.get("status") or {})
        _validate(kind, obj)
    return 200, store.put(kind, ns, obj), JSON


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=1)


__all__ = ["_now", "dumps", "route"]
