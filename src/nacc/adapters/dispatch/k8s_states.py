"""What Kubernetes and Kueue objects mean to nacc, and the Job nacc asks for.

- ``resource_name``: the extended resource a pod asks for per accelerator type, from its
  vendor's device plugin (see ``RESOURCE_NAMES``);
- ``job_manifest``: a nacc launch as a suspended ``batch/v1`` Job labelled with its Kueue
  queue (``kueue.x-k8s.io/queue-name``) and nacc's labels, one Pod, no retries;
- ``ended``: a Job's ``Complete``/``Failed`` condition as an ``Observation`` (the exit
  code from its Pod's terminated container where one is known);
- ``pending_reason``: why Kueue has not admitted a Job, from its Workload's conditions.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from nacc.domain.ids import JobId
from nacc.domain.reasons import Code, Reason
from nacc.ports import Observation, Outcome

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
TAG_LABEL = "nacc.io/tag"
JOB_LABEL = "nacc.io/job-id"  # a label-safe form of the id (selectable)
JOB_ANNOTATION = "nacc.io/job-id"  # the exact id

_NVIDIA = ("K80", "P100", "V100", "T4", "A100-80GB", "H100-SXM", "H200", "B200", "GB200", "GH200")
RESOURCE_NAMES: Mapping[str, str] = {
    # NVIDIA's device plugin (github.com/NVIDIA/k8s-device-plugin): every NVIDIA GPU of
    # the catalog (nacc/data/accelerators.csv)
    **{name: "nvidia.com/gpu" for name in _NVIDIA},
    # FuriosaAI device plugin, "generic" strategy: one resource per RNGD card
    # (developer.furiosa.ai/latest/en/cloud_native_toolkit/kubernetes/device_plugin.html)
    "RNGD": "furiosa.ai/rngd",
    # Rebellions' RBLN device plugin (pkg.go.dev/github.com/RBLN-SW/rbln-k8s-device-plugin
    # v0.4.0; docs.rbln.ai .../kubernetes/device_plugin.html): rebellions.ai/ATOM and
    # rebellions.ai/REBEL per family; with useGenericResourceName (the v0.4.0 default)
    # every family is rebellions.ai/npu, so a cluster that runs it sets resource.<pool>
    "ATOM": "rebellions.ai/ATOM",
    "REBEL-Quad": "rebellions.ai/REBEL",
}
"""Accelerator type (the catalog's names) -> resource name. Others (Warboy) need the
URL's ``resource.<pool>=NAME``: no resource name is guessed."""

_NAME_OK = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_OK = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


def resource_name(accel_type: str) -> str | None:
    """The extended resource for ``accel_type`` (None: not known here)."""
    return RESOURCE_NAMES.get(accel_type)


def label_value(job_id: str) -> str:
    """``job_id`` as a label value: itself when it is one, else a stable hash of it."""
    if _LABEL_OK.match(job_id):
        return job_id
    return "h-" + hashlib.sha256(job_id.encode()).hexdigest()[:40]


def job_name(tag: str, job_id: str, at: float) -> str:
    """A DNS-1123 label for one launch of ``job_id`` (63 characters at most): the same
    launch (id, time) gives the same name; a relaunch a new one."""
    stem = re.sub(r"[^a-z0-9-]+", "-", job_id.lower()).strip("-")[:40] or "job"
    digest = hashlib.sha256(f"{job_id}\0{at:.6f}".encode()).hexdigest()[:8]
    name = f"{tag}-{stem}-{digest}".strip("-")
    return name if _NAME_OK.match(name) else f"{tag}-{digest}"


def job_manifest(*, name: str, namespace: str, tag: str, job_id: JobId, queue: str,
                 image: str, command: str | tuple[str, ...], env: Mapping[str, str],
                 workdir: str | None, resource: str, count: int,
                 time_limit_s: float | None) -> dict[str, Any]:  # fmt: skip
    """A suspended one-Pod Job for Kueue to admit; nothing retried by Kubernetes."""
    labels = {TAG_LABEL: tag, JOB_LABEL: label_value(job_id)}
    argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
    container: dict[str, Any] = {
        "name": "job",
        "image": image,
        "command": argv,
        "env": [{"name": k, "value": v} for k, v in env.items()],
        "resources": {"limits": {resource: str(count)}, "requests": {resource: str(count)}},
    }
    if workdir:
        container["workingDir"] = workdir
    spec: dict[str, Any] = {
        "suspend": True,
        "backoffLimit": 0,
        "parallelism": 1,
        "completions": 1,
        "template": {"metadata": {"labels": labels},
                     "spec": {"restartPolicy": "Never", "containers": [container]}},
    }  # fmt: skip
    if time_limit_s is not None:  # counts from the unsuspend (Kueue's admission)
        spec["activeDeadlineSeconds"] = max(1, math.ceil(time_limit_s))
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace,
                     "labels": {**labels, QUEUE_LABEL: queue},
                     "annotations": {JOB_ANNOTATION: job_id}},
        "spec": spec,
    }  # fmt: skip


def timestamp(value: Any, default: float) -> float:
    """An RFC 3339 time (``2026-12-03T06:00:00Z``) as epoch seconds; ``default`` if unset."""
    if isinstance(value, datetime):
        return value.timestamp()
    if not isinstance(value, str) or not value:
        return default
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return default


def condition(obj: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    """The condition ``kind`` of ``obj``'s status when it is True."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind and cond.get("status") == "True":
            return cond  # type: ignore[no-any-return]
    return None


def is_finished(job: Mapping[str, Any]) -> bool:
    return condition(job, "Complete") is not None or condition(job, "Failed") is not None


def owned_by(objects: Sequence[Mapping[str, Any]], uid: str) -> list[Mapping[str, Any]]:
    """Those of ``objects`` whose ``ownerReferences`` name ``uid`` (a Job's Pods)."""

    def owners(o: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return list((o.get("metadata") or {}).get("ownerReferences") or [])

    return [o for o in objects if any(ref.get("uid") == uid for ref in owners(o))]


def exit_code(pods: Sequence[Mapping[str, Any]]) -> int | None:
    """The exit code of the last terminated container among ``pods`` (None: none)."""
    for pod in reversed(pods):
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            terminated = (status.get("state") or {}).get("terminated")
            if terminated and terminated.get("exitCode") is not None:
                return int(terminated["exitCode"])
    return None


def ended(job_id: JobId, job: Mapping[str, Any], pods: Sequence[Mapping[str, Any]],
          now: float) -> Observation | None:  # fmt: skip
    """How the Job ended (at its condition's time); None while it has not."""
    done = condition(job, "Complete")
    status = job.get("status") or {}
    if done is not None:
        at = timestamp(status.get("completionTime") or done.get("lastTransitionTime"), now)
        return Observation(job_id, at, Outcome.SUCCEEDED, 0, None)
    failed = condition(job, "Failed")
    if failed is None:
        return None
    at = timestamp(failed.get("lastTransitionTime"), now)
    why = str(failed.get("reason") or "Failed")
    if why == "DeadlineExceeded":
        limit = float((job.get("spec") or {}).get("activeDeadlineSeconds") or 0)
        ran = at - timestamp(status.get("startTime"), at)
        return Observation(job_id, at, Outcome.TIMED_OUT, None,
                           Reason.of(Code.TIMEOUT, limit_s=limit, ran_s=round(ran, 3)))  # fmt: skip
    code = exit_code(pods)
    if code:
        return Observation(job_id, at, Outcome.FAILED, code, Reason.of(Code.EXIT_CODE,
                                                                       exit_code=code))  # fmt: skip
    message = str(failed.get("message") or "")
    said = f"{why}: {message}" if message else why
    return Observation(job_id, at, Outcome.FAILED, code,
                       Reason.of(Code.K8S_ENDED, state="Failed", reason=said))  # fmt: skip


def pending_reason(workload: Mapping[str, Any] | None) -> Reason:
    """Why Kueue has not admitted the Job: its Workload's conditions, Kueue's own words
    kept as ``reason`` and ``message``."""
    if workload is None:
        return Reason.of(Code.KUEUE_PENDING, reason="NoWorkload",
                         message="Kueue has not created a Workload for the Job yet")  # fmt: skip
    evicted = condition(workload, "Evicted")
    if evicted is not None:
        return Reason.of(Code.KUEUE_EVICTED, reason=str(evicted.get("reason") or "Evicted"),
                         message=str(evicted.get("message") or ""))  # fmt: skip
    for cond in (workload.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "QuotaReserved" and cond.get("status") == "False":
            word, message = str(cond.get("reason") or "Pending"), str(cond.get("message") or "")
            code = Code.KUEUE_INADMISSIBLE if word == "Inadmissible" else Code.KUEUE_PENDING
            return Reason.of(code, reason=word, message=message)
    if condition(workload, "QuotaReserved") is not None:
        return Reason.of(Code.KUEUE_PENDING, reason="AdmissionChecks",
                         message="quota reserved; waiting for admission checks")  # fmt: skip
    return Reason.of(Code.KUEUE_PENDING, reason="Pending", message="")
