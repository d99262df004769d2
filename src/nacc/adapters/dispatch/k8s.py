"""The ``k8s`` dispatcher: nacc jobs run as Kubernetes Jobs admitted by Kueue.

A pool maps to a Kueue queue and an extended resource: a nacc job becomes one suspended
``batch/v1`` Job labelled ``kueue.x-k8s.io/queue-name: <project>-<pool>`` (the LocalQueue
``nacc export kueue`` writes for that project and pool; ``queue.<pool>=Q`` names another)
whose one container asks for ``count`` of the pool's accelerator resource
(``nvidia.com/gpu``, ``furiosa.ai/rngd``, ``rebellions.ai/ATOM``...; ``k8s_states``).
Kueue admits its Workload and unsuspends it; then Kubernetes runs its Pod. The nacc id is
in the annotation ``nacc.io/job-id`` (and, label-safe, the label of the same name), the
service's ``tag`` in ``nacc.io/tag``, so a job is found again after a restart and never
created twice (a launch first looks for a live Job with its id).

``poll`` makes one LIST of this tag's Jobs per cycle, whatever their number, plus one LIST
of Workloads when a Job is still suspended (why it waits) and one LIST of Pods when a Job
ended (its exit code); each ended Job's Pod log is read once and kept in
``<workdir>/<tag>/<job id>/pod.log``. ``stop`` deletes the Job with a propagation policy
(``Background`` by default), so its Pods and Workload go with it.

URL: ``k8s://CONTEXT?namespace=N&kubeconfig=/abs&tag=nacc&image=IMG&workdir=/abs``
plus, per pool, ``queue.<pool>=Q`` and ``resource.<pool>=NAME``. ``k8s://`` with no
context uses the kubeconfig's current context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacc.adapters.dispatch.k8s_client import K8sApi, K8sError
from nacc.adapters.dispatch.k8s_config import K8sConfig
from nacc.adapters.dispatch.k8s_states import (
    JOB_ANNOTATION,
    TAG_LABEL,
    ended,
    is_finished,
    job_manifest,
    job_name,
    owned_by,
    pending_reason,
    resource_name,
    timestamp,
)
from nacc.adapters.dispatch.remote import RemoteJobs
from nacc.domain.errors import NaccError, UnknownName
from nacc.domain.ids import JobId
from nacc.domain.reasons import Code, Reason
from nacc.ports import (
    BackendUnreachable,
    Launch,
    Launched,
    LaunchRefused,
    Observation,
    Outcome,
    Recovered,
)
from nacc.ports.dispatch import CHECKPOINT, MULTI_NODE, PROGRESS

_PATH = "/usr/local/bin:/usr/bin:/bin"


class K8sDispatchError(NaccError):
    """The Kubernetes dispatcher was asked for something it cannot do (the message says why)."""

    code = Code.DISPATCH_ERROR


@dataclass(slots=True)
class _Job:
    name: str
    uid: str
    log: str
    launched_at: float
    started: bool = False
    started_at: float = 0.0

    def clamp(self, obs: Observation) -> Observation:
        """The API's times have whole seconds: never before the launch, nor an end before
        the start nacc reported."""
        floor = max(self.launched_at, self.started_at)
        if obs.at >= floor:
            return obs
        return Observation(obs.job_id, floor, obs.outcome, obs.exit_code, obs.reason)


def _job_id(record: Mapping[str, Any]) -> str | None:
    annotations = (record.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(JOB_ANNOTATION)
    return None if value is None else str(value)


class K8sDispatcher(RemoteJobs["_Job"]):
    """Runs nacc jobs as Kueue-admitted Kubernetes Jobs (see the module docstring)."""

    unsupported: Mapping[str, str] = {
        CHECKPOINT: "a deleted Kubernetes Job restarts from the beginning unless it "
        "checkpoints itself",
        MULTI_NODE: "a job is one Pod (parallelism 1); multi-node jobs are not mapped",
        PROGRESS: "stop() cannot tell how much work a Kubernetes Job did; it returns None",
    }

    def __init__(self, config: K8sConfig, api: K8sApi | None = None) -> None:
        self.config = config
        self.api = api or K8sApi(config.namespace, config.context, config.kubeconfig,
                                 config.timeout_s)  # fmt: skip
        super().__init__()
        self._deleted: set[str] = set()

    # -- what it runs ---------------------------------------------------------------------
    def job_name(self, job_id: JobId) -> str | None:
        job = self._jobs.get(job_id)
        return None if job is None else job.name

    @property
    def selector(self) -> str:
        return f"{TAG_LABEL}={self.config.tag}"

    # -- launch -------------------------------------------------------------------------
    def launch(self, launch: Launch) -> Launched:
        """Create the suspended Job, unless one with its nacc id lives (adopted)."""
        job_id = launch.spec.id
        if job_id in self._jobs:
            raise K8sDispatchError(f"job {job_id} is already running in Kubernetes")
        log = str(self.config.workdir / self.config.tag / job_id / "pod.log")
        live = self._live_record(job_id)
        if live is not None:  # created before a crash, or by a retried request
            return self._adopt(job_id, live, log, launch.at)
        body = self._manifest(launch)
        try:
            made = self.api.create_job(body)
        except K8sError as error:
            if error.status is None:
                raise  # the API server unreachable: the backend's fault, not the job's
            if error.status == 409:  # ours, made since the last LIST (a retried launch)?
                self._snapshot = None
                live = self._live_record(job_id)
                if live is not None and live["metadata"].get("name") == body["metadata"]["name"]:
                    return self._adopt(job_id, live, log, launch.at)
            raise LaunchRefused(Reason.of(Code.LAUNCH_FAILED, message=str(error))) from error
        uid = str((made.get("metadata") or {}).get("uid") or "")
        return self._track(job_id, _Job(body["metadata"]["name"], uid, log, launch.at))

    def _adopt(self, job_id: JobId, live: Mapping[str, Any], log: str, at: float) -> Launched:
        meta = live["metadata"]
        started = not (live.get("spec") or {}).get("suspend")
        return self._track(job_id, _Job(meta["name"], str(meta.get("uid") or ""), log, at, started))

    def _track(self, job_id: JobId, job: _Job) -> Launched:
        self._jobs[job_id] = job
        self._logs[job_id] = job.log
        return Launched(job.name, (), job.log, starting=True)

    def _live_record(self, job_id: JobId) -> dict[str, Any] | None:
        if self._snapshot is None:
            self._snapshot = self.api.list_jobs(self.selector)
        for record in self._snapshot:
            meta = record.get("metadata") or {}
            gone = meta.get("deletionTimestamp") or meta.get("name") in self._deleted
            if _job_id(record) == job_id and not gone and not is_finished(record):
                return record
        return None

    def _manifest(self, launch: Launch) -> dict[str, Any]:
        spec, pool, payload = launch.spec, launch.pool, launch.payload
        command, env = self._command(launch, K8sDispatchError)
        resource = self.config.resources.get(pool.id) or resource_name(pool.accel_type)
        if resource is None:
            raise LaunchRefused(Reason.of(Code.LAUNCH_FAILED, message=(
                f"no Kubernetes resource name is known for {pool.accel_type}; "
                f"set resource.{pool.id}=NAME in the k8s:// URL")))  # fmt: skip
        environment = {"PATH": _PATH, **env, "NACC_JOB_ID": spec.id, "NACC_POOL": pool.id,
                       "NACC_ACCELERATOR_TYPE": pool.accel_type,
                       "PYTHONUNBUFFERED": "1"}  # fmt: skip
        return job_manifest(
            name=job_name(self.config.tag, spec.id, launch.at), namespace=self.config.namespace,
            tag=self.config.tag, job_id=spec.id, queue=self.config.queue(spec.project, pool.id),
            image=(payload.image if payload and payload.image else self.config.image),
            command=command, env=environment, workdir=payload.workdir if payload else None,
            resource=resource, count=launch.count, time_limit_s=spec.time_limit_s)  # fmt: skip

    # -- watching -----------------------------------------------------------------------
    def poll(self, now: float) -> Sequence[Observation]:
        """One LIST of Jobs (+ Workloads if one waits, + Pods if one ended). Every LIST is
        made before anything is changed, so a call that fails loses no observation."""
        records = self.api.list_jobs(self.selector)
        by_name = {str(r["metadata"]["name"]): r for r in records}
        mine = [(job_id, job, by_name.get(job.name)) for job_id, job in self._jobs.items()]
        suspended = any(r is not None and not is_finished(r) and (r.get("spec") or {}).get(
            "suspend") for _, _, r in mine)  # fmt: skip
        workloads = self.api.list_workloads() if suspended else []
        ended_any = any(r is not None and is_finished(r) for _, _, r in mine)
        pods = self.api.list_pods(self.selector) if ended_any else []
        self._snapshot = records
        seen: list[Observation] = []
        waiting: list[tuple[JobId, _Job]] = []
        for job_id, job, record in mine:
            if record is None:  # deleted outside nacc
                del self._jobs[job_id]
                self._pending.pop(job_id, None)
                seen.append(Observation(job_id, now, Outcome.LOST, None, Reason(Code.LOST)))
            elif is_finished(record):
                seen.extend(self._end(job_id, job, record, pods, now))
            elif (record.get("spec") or {}).get("suspend"):
                waiting.append((job_id, job))
            elif not job.started and ((record.get("status") or {}).get("active") or 0) > 0:
                seen.append(self._started(job_id, job, record, now))
        if waiting:
            self._explain(waiting, by_name, workloads)
        return seen

    def _started(self, job_id: JobId, job: _Job, record: Mapping[str, Any],
                 now: float) -> Observation:  # fmt: skip
        self._pending.pop(job_id, None)
        job.started = True
        at = timestamp((record.get("status") or {}).get("startTime"), now)
        obs = job.clamp(Observation(job_id, min(at, now), Outcome.STARTED))
        job.started_at = obs.at
        return obs

    def _explain(self, waiting: list[tuple[JobId, _Job]], by_name: Mapping[str, Any],
                 workloads: Sequence[Mapping[str, Any]]) -> None:  # fmt: skip
        owner: dict[str, Mapping[str, Any]] = {}
        for wl in workloads:
            for ref in (wl.get("metadata") or {}).get("ownerReferences") or []:
                owner[str(ref.get("uid"))] = wl
        for job_id, job in waiting:
            uid = job.uid or str(by_name[job.name]["metadata"].get("uid") or "")
            self._pending[job_id] = pending_reason(owner.get(uid))

    def _end(self, job_id: JobId, job: _Job, record: Mapping[str, Any],
             pods: Sequence[Mapping[str, Any]], now: float) -> list[Observation]:  # fmt: skip
        del self._jobs[job_id]
        self._pending.pop(job_id, None)
        uid = str(record["metadata"].get("uid") or job.uid)
        mine = owned_by(pods, uid)
        out: list[Observation] = []
        if not job.started and ((record.get("status") or {}).get("startTime") or mine):
            out.append(self._started(job_id, job, record, now))  # it ran between two polls
        end = ended(job_id, record, mine, now)
        if end is not None:
            out.append(job.clamp(end))
        self._save_log(job, mine)
        return out

    def _save_log(self, job: _Job, pods: Sequence[Mapping[str, Any]]) -> None:
        """The last Pod's log, once, into the job's log file (best effort: a log the API
        will not give is noted in the file, the end is reported all the same)."""
        if not pods:
            return
        name = str(pods[-1]["metadata"]["name"])
        try:
            text = self.api.pod_log(name, self.config.log_cap_bytes)
        except K8sError as error:
            text = f"[nacc] no log from pod {name}: {error}\n"
        path = Path(job.log)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            path.chmod(0o600)
        except OSError:
            pass  # the workdir is the service's; a failure here must not lose the end

    def read_log(self, job_id: JobId, limit_bytes: int | None = None) -> str:
        """The log of ``job_id``'s Pod now, from the API (one LIST of Pods, one GET)."""
        job = self._jobs.get(job_id)
        if job is None:
            path = self._logs.get(job_id)
            return Path(path).read_text(encoding="utf-8") if path and Path(path).exists() else ""
        pods = owned_by(self.api.list_pods(self.selector), job.uid)
        return self.api.pod_log(str(pods[-1]["metadata"]["name"]), limit_bytes) if pods else ""

    def stop(self, job_id: JobId, at: float) -> float | None:
        """Delete the Job (and, by propagation, its Pods and Workload); never reported."""
        job = self._jobs.pop(job_id, None)
        if job is None:
            raise UnknownName("running Kubernetes job", job_id, list(self._jobs))
        try:
            self.api.delete_job(job.name, self.config.propagation)
        except K8sError as error:
            if error.status != 404:  # gone already is what we want
                self._jobs[job_id] = job
                if error.status is None:  # unreachable: the router owes the stop
                    raise BackendUnreachable(str(error)) from error
                raise
        self._deleted.add(job.name)
        self._pending.pop(job_id, None)
        return None

    def recover(self, job_ids: Sequence[JobId], now: float) -> list[Recovered]:
        """After a restart: each listed job with a Job of this tag is adopted (running) or
        reported ended; live Jobs of this tag that are not listed are deleted (a launch
        whose start the service never recorded) and reported unknown."""
        records = self.api.list_jobs(self.selector)
        self._snapshot = records
        latest: dict[JobId, dict[str, Any]] = {}
        for item in sorted(records, key=lambda r: str(r["metadata"].get("creationTimestamp"))):
            found = _job_id(item)
            if found is not None:
                latest[JobId(found)] = item
        out: list[Recovered] = []
        pods: list[dict[str, Any]] | None = None
        for job_id in job_ids:
            if job_id not in latest:
                out.append(Recovered(job_id, "unknown", "Kubernetes has no Job with this nacc id"))
                continue
            record = latest.pop(job_id)
            meta, log = record["metadata"], str(self.config.workdir / self.config.tag / job_id
                                                / "pod.log")  # fmt: skip
            job = _Job(
                str(meta["name"]),
                str(meta.get("uid") or ""),
                log,
                timestamp((record.get("status") or {}).get("startTime"), now),
            )
            note = f"Kubernetes Job {job.name}"
            if not is_finished(record):
                job.started = not (record.get("spec") or {}).get("suspend")
                self._track(job_id, job)
                out.append(Recovered(job_id, "running", note))
                continue
            pods = self.api.list_pods(self.selector) if pods is None else pods
            self._jobs[job_id] = job
            self._logs[job_id] = job.log
            job.started = True
            ends = self._end(job_id, job, record, pods, now)
            out.append(Recovered(job_id, "ended", note, ends[-1] if ends else None))
        for job_id, record in latest.items():
            if not is_finished(record):
                name = str(record["metadata"]["name"])
                self.api.delete_job(name, self.config.propagation)
                self._deleted.add(name)
                out.append(
                    Recovered(
                        job_id,
                        "unknown",
                        f"Kubernetes Job {name} was not recorded as running; deleted",
                    )
                )
        return out
