"""The test's hands in the FAKE Kubernetes API server (``support.fake_kube``): it plays
Kueue (a Workload per queued Job, admission, pending conditions) and the Job controller
and kubelet (Pods that run, succeed or fail) explicitly, when the test says so. Nothing
here runs by itself; ``tick`` does every step for Jobs whose command is ``sleep N``.
"""

from __future__ import annotations

import copy
import shlex
import time
from dataclasses import dataclass
from typing import Any

from support.fake_kube import _BY_PATH, KUEUE, Store, _now, short_hash

QUEUE = "kueue.x-k8s.io/queue-name"
_WL = _BY_PATH[(KUEUE, "workloads")]
_POD = _BY_PATH[("v1", "pods")]
_JOB = _BY_PATH[("batch/v1", "jobs")]


def _cond(kind: str, status: bool, reason: str, message: str = "") -> dict[str, Any]:
    return {"type": kind, "status": "True" if status else "False", "reason": reason,
            "message": message, "lastTransitionTime": _now()}  # fmt: skip


def _set(obj: dict[str, Any], *conds: dict[str, Any]) -> None:
    status = obj.setdefault("status", {})
    keep = [
        c for c in status.get("conditions") or [] if c["type"] not in {d["type"] for d in conds}
    ]
    status["conditions"] = keep + list(conds)


@dataclass
class Controller:
    store: Store
    namespace: str = "default"

    # -- lookups -------------------------------------------------------------------------
    def job(self, name: str) -> dict[str, Any]:
        return self.store.get("jobs", self.namespace, name)

    def jobs(self) -> list[dict[str, Any]]:
        return self.store.items("jobs", self.namespace)

    def workload(self, job_name: str) -> dict[str, Any] | None:
        uid = self.job(job_name)["metadata"]["uid"]
        for wl in self.store.items("workloads", self.namespace):
            if any(o["uid"] == uid for o in wl["metadata"].get("ownerReferences") or []):
                return wl
        return None

    def pods(self, job_name: str) -> list[dict[str, Any]]:
        return [p for p in self.store.items("pods", self.namespace)
                if (p["metadata"].get("labels") or {}).get("job-name") == job_name]  # fmt: skip

    def _save(self, kind: Any, obj: dict[str, Any]) -> None:
        self.store.put(kind, self.namespace, obj)

    # -- Kueue ---------------------------------------------------------------------------
    def sync(self) -> None:
        """Kueue's job reconciler: a Workload for every queued Job that has none."""
        with self.store.lock:
            for job in self.jobs():
                if QUEUE not in (job["metadata"].get("labels") or {}):
                    continue
                if self.workload(job["metadata"]["name"]) is not None:
                    continue
                meta, spec = job["metadata"], job["spec"]
                wl = {"metadata": {
                    "name": f"job-{meta['name']}-{short_hash(meta['uid'])}",
                    "labels": {"kueue.x-k8s.io/job-uid": meta["uid"]},
                    "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job",
                                         "name": meta["name"], "uid": meta["uid"],
                                         "controller": True, "blockOwnerDeletion": True}]},
                    "spec": {"queueName": meta["labels"][QUEUE], "podSets": [
                        {"name": "main", "count": spec.get("parallelism", 1),
                         "template": copy.deepcopy(spec["template"])}]}}  # fmt: skip
                _set(wl, _cond("QuotaReserved", False, "Pending",
                               "the workload is waiting for the ClusterQueue"))  # fmt: skip
                self.store.put(_WL, self.namespace, wl)

    def pend(self, job_name: str, reason: str, message: str) -> None:
        """Kueue says why the Workload waits (``Pending``, ``Inadmissible``)."""
        with self.store.lock:
            self.sync()
            wl = self.workload(job_name)
            assert wl is not None
            _set(wl, _cond("QuotaReserved", False, reason, message))
            self._save(_WL, wl)

    def evict(self, job_name: str, reason: str, message: str) -> None:
        with self.store.lock:
            wl = self.workload(job_name)
            assert wl is not None
            _set(
                wl,
                _cond("Evicted", True, reason, message),
                _cond("QuotaReserved", False, "Pending", message),
            )
            self._save(_WL, wl)

    def admit(self, job_name: str, cluster_queue: str = "cq", flavor: str = "default") -> None:
        """Quota reserved and admitted; the Job is unsuspended (its startTime set)."""
        with self.store.lock:
            self.sync()
            wl = self.workload(job_name)
            assert wl is not None, f"no Workload for {job_name}"
            wl["status"]["admission"] = {"clusterQueue": cluster_queue, "podSetAssignments": [
                {"name": "main", "count": 1, "flavors": {"nvidia.com/gpu": flavor}}]}  # fmt: skip
            reserved = f"Quota reserved in ClusterQueue {cluster_queue}"
            _set(wl, _cond("QuotaReserved", True, "QuotaReserved", reserved),
                 _cond("Admitted", True, "Admitted", "The workload is admitted"))  # fmt: skip
            self._save(_WL, wl)
            job = self.job(job_name)
            job["spec"]["suspend"] = False
            job.setdefault("status", {})["startTime"] = _now()
            self._save(_JOB, job)

    # -- the Job controller and the kubelet ------------------------------------------------
    def run(self, job_name: str, log: str = "") -> str:
        """A Pod of the Job starts running; its name."""
        with self.store.lock:
            job = self.job(job_name)
            assert job["spec"].get("suspend") is False, f"{job_name} is suspended"
            meta = job["metadata"]
            name = f"{job_name}-{short_hash(meta['uid'] + str(len(self.pods(job_name))))}"
            labels = {**(job["spec"]["template"].get("metadata") or {}).get("labels", {}),
                      "job-name": job_name, "batch.kubernetes.io/job-name": job_name,
                      "controller-uid": meta["uid"]}  # fmt: skip
            pod = {"metadata": {"name": name, "labels": labels, "ownerReferences": [
                {"apiVersion": "batch/v1", "kind": "Job", "name": job_name, "uid": meta["uid"],
                 "controller": True}], "annotations": {"fake.nacc/started": str(time.time())}},
                "spec": copy.deepcopy(job["spec"]["template"]["spec"]),
                "status": {"phase": "Running", "startTime": _now(), "containerStatuses": [
                    {"name": "job", "ready": True, "restartCount": 0, "image": "x",
                     "imageID": "", "state": {"running": {"startedAt": _now()}}}]}}  # fmt: skip
            self.store.put(_POD, self.namespace, pod)
            self.store.logs[(self.namespace, name)] = log
            job["status"].update(active=1, ready=1)
            self._save(_JOB, job)
            return name

    def _end(self, job_name: str, code: int, log: str | None) -> dict[str, Any]:
        pods = self.pods(job_name)
        pod = pods[-1] if pods else self.store.get("pods", self.namespace, self.run(job_name))
        pod["status"]["phase"] = "Succeeded" if code == 0 else "Failed"
        pod["status"]["containerStatuses"][0]["state"] = {"terminated": {
            "exitCode": code, "reason": "Completed" if code == 0 else "Error",
            "startedAt": pod["status"]["startTime"], "finishedAt": _now()}}  # fmt: skip
        self._save(_POD, pod)
        if log is not None:
            self.store.logs[(self.namespace, pod["metadata"]["name"])] = log
        job = self.job(job_name)
        job["status"].update(active=0, ready=0)
        return job

    def succeed(self, job_name: str, log: str | None = None) -> None:
        with self.store.lock:
            job = self._end(job_name, 0, log)
            job["status"].update(succeeded=1, completionTime=_now())
            _set(job, _cond("SuccessCriteriaMet", True, "CompletionsReached"),
                 _cond("Complete", True, "CompletionsReached",
                       "Reached expected number of succeeded pods"))  # fmt: skip
            self._save(_JOB, job)
            self._finish(job_name, "Succeeded", "Job finished successfully")

    def fail(self, job_name: str, exit_code: int = 1, log: str | None = None,
             reason: str = "BackoffLimitExceeded") -> None:  # fmt: skip
        with self.store.lock:
            job = self._end(job_name, exit_code, log)
            message = {"BackoffLimitExceeded": "Job has reached the specified backoff limit",
                       "DeadlineExceeded": "Job was active longer than specified deadline"
                       }.get(reason, reason)  # fmt: skip
            job["status"]["failed"] = 1
            _set(
                job,
                _cond("FailureTarget", True, reason, message),
                _cond("Failed", True, reason, message),
            )
            self._save(_JOB, job)
            self._finish(job_name, "Failed", message)

    def _finish(self, job_name: str, reason: str, message: str) -> None:
        wl = self.workload(job_name)
        if wl is not None:
            _set(wl, _cond("Finished", True, reason, message))
            self._save(_WL, wl)

    # -- everything, for ``sleep N`` jobs --------------------------------------------------
    def tick(self, now: float | None = None) -> None:
        """Admit every queued Job, start its Pod, and end the Pods whose ``sleep N`` is
        over (exit 0), on ``now`` (default: wall time)."""
        at = time.time() if now is None else now
        with self.store.lock:
            self.sync()
            for job in self.jobs():
                name, status = job["metadata"]["name"], job.get("status") or {}
                if any(c["type"] in ("Complete", "Failed") and c["status"] == "True"
                       for c in status.get("conditions") or []):  # fmt: skip
                    continue
                if job["spec"].get("suspend"):
                    self.admit(name)
                    continue
                pods = self.pods(name)
                if not pods:
                    self.run(name)
                    continue
                started = float(pods[-1]["metadata"]["annotations"]["fake.nacc/started"])
                if at - started >= _sleep_seconds(job):
                    self.succeed(name, log="done\n")


def _sleep_seconds(job: dict[str, Any]) -> float:
    container = job["spec"]["template"]["spec"]["containers"][0]
    argv = [*container.get("command", []), *container.get("args", [])]
    if argv[:2] == ["/bin/sh", "-c"] and len(argv) > 2:
        argv = shlex.split(argv[2])
    if argv and argv[0] == "exec":
        argv = argv[1:]
    if len(argv) == 2 and argv[0] == "sleep":
        return float(argv[1])
    return 0.0
