"""The k8s:// dispatcher against the FAKE Kubernetes API server (``support.fake_kube``),
through the official ``kubernetes`` client over real HTTP. No real cluster: the test plays
Kueue's and the kubelet's parts with ``kube.controller`` and checks what the API holds
(the Job as Kubernetes would store it) beside what the dispatcher reports."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nacc import i18n
from nacc.adapters.dispatch.k8s import K8sDispatcher
from nacc.adapters.dispatch.k8s_client import K8sError
from nacc.adapters.dispatch.k8s_config import parse_url
from nacc.adapters.dispatch.k8s_states import job_name
from nacc.adapters.dispatch.registry import create_dispatcher
from nacc.domain.errors import InputError
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code
from nacc.ports import Launch, LaunchRefused, Observation, Outcome, Payload
from support.fake_kube import FakeKube

from .conftest import k8s_url

POOL = Pool(PoolId("naver-h200"), "naver", "chuncheon", "H200", 8, 8, "k8s")
Make = Callable[..., K8sDispatcher]


def launch(d: K8sDispatcher, name: str, count: int = 1, payload: Payload | None = None,
           limit: float | None = None, pool: Pool = POOL,
           at: float | None = None) -> JobId:  # fmt: skip
    job = JobId(name)
    spec = JobSpec(job, 0.0, count, JobClass.VISION, 10.0, "7", time_limit_s=limit)
    d.launch(Launch(spec, pool, count, time.time() if at is None else at, 10.0, 0.0,
                    payload or Payload("echo hi")))  # fmt: skip
    return job


def name_of(d: K8sDispatcher, job: JobId) -> str:
    found = d.job_name(job)
    assert found is not None
    return found


def test_a_job_is_a_suspended_kueue_job_with_accelerator_limits(make: Make, kube: FakeKube) -> None:
    d = make()
    job = launch(
        d,
        "j-1",
        count=4,
        limit=90.5,
        payload=Payload(("python", "train.py"), "/data", {"SEED": "3"}, "img:1"),
    )
    stored = kube.store.get("jobs", "default", name_of(d, job))
    labels = stored["metadata"]["labels"]
    assert labels["kueue.x-k8s.io/queue-name"] == "7-naver-h200"  # the project's LocalQueue
    assert labels["nacc.io/tag"] == "nacc" and labels["nacc.io/job-id"] == "j-1"
    assert stored["metadata"]["annotations"]["nacc.io/job-id"] == "j-1"
    spec = stored["spec"]
    assert spec["suspend"] is True and spec["backoffLimit"] == 0
    assert spec["activeDeadlineSeconds"] == 91  # rounded up
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    (c,) = pod["containers"]
    assert c["image"] == "img:1" and c["command"] == ["python", "train.py"]
    assert c["workingDir"] == "/data"
    assert c["resources"]["limits"] == {"nvidia.com/gpu": "4"}
    env = {e["name"]: e["value"] for e in c["env"]}
    assert env["SEED"] == "3" and env["NACC_JOB_ID"] == "j-1"
    assert env["NACC_POOL"] == "naver-h200" and env["NACC_ACCELERATOR_TYPE"] == "H200"


@pytest.mark.parametrize(("accel", "resource"), [("RNGD", "furiosa.ai/rngd"),
                                                 ("ATOM", "rebellions.ai/ATOM")])  # fmt: skip
def test_npus_ask_for_their_device_plugins_resource(make: Make, kube: FakeKube, accel: str,
                                                    resource: str) -> None:  # fmt: skip
    d = make()
    pool = Pool(PoolId("npu"), "naicc", "site", accel, 8, 8, "k8s")
    job = launch(d, "npu-1", count=2, pool=pool)
    c = kube.store.get("jobs", "default", name_of(d, job))["spec"]["template"]["spec"]
    assert c["containers"][0]["resources"]["limits"] == {resource: "2"}


def test_an_accelerator_without_a_known_resource_name_is_refused_naming_the_setting(
    make: Make, kube: FakeKube
) -> None:
    pool = Pool(PoolId("npu-warboy"), "naicc", "site", "Warboy", 8, 8, "k8s")
    with pytest.raises(LaunchRefused, match=r"resource\.npu-warboy=NAME"):
        launch(make(), "w-1", pool=pool)
    assert kube.store.items("jobs") == []
    d = make(**{"resource.npu-warboy": "furiosa.ai/warboy"})
    job = launch(d, "w-1", pool=pool)
    c = kube.store.get("jobs", "default", name_of(d, job))["spec"]["template"]["spec"]
    assert c["containers"][0]["resources"]["limits"] == {"furiosa.ai/warboy": "1"}


def test_admit_run_succeed_and_the_pods_log(make: Make, kube: FakeKube) -> None:
    d = make()
    t0 = time.time()
    job = launch(d, "ok")
    assert d.poll(time.time()) == []
    kube.controller.admit(name_of(d, job))
    kube.controller.run(name_of(d, job), log="step 1\n")
    assert d.read_log(job) == "step 1\n"
    (start,) = d.poll(time.time())
    assert start.outcome is Outcome.STARTED and start.at >= t0
    assert d.poll(time.time()) == []  # reported once
    kube.controller.succeed(name_of(d, job), log="step 1\nstep 2\n")
    (end,) = d.poll(time.time())
    assert (end.job_id, end.outcome, end.exit_code) == (job, Outcome.SUCCEEDED, 0)
    assert end.at >= start.at
    assert Path(d.log_location(job) or "").read_text() == "step 1\nstep 2\n"
    assert d.poll(time.time()) == [] and d.running_jobs == []


def test_a_job_that_ran_between_two_polls_reports_its_start_then_its_end(
    make: Make, kube: FakeKube
) -> None:
    d = make()
    job = launch(d, "quick")
    kube.controller.admit(name_of(d, job))
    kube.controller.succeed(name_of(d, job))
    assert [o.outcome for o in d.poll(time.time())] == [Outcome.STARTED, Outcome.SUCCEEDED]


def test_a_failing_pod_gives_its_exit_code(make: Make, kube: FakeKube) -> None:
    d = make()
    job = launch(d, "bad")
    kube.controller.admit(name_of(d, job))
    kube.controller.run(name_of(d, job))
    d.poll(time.time())
    kube.controller.fail(name_of(d, job), exit_code=3, log="Traceback\n")
    (end,) = d.poll(time.time())
    assert (end.outcome, end.exit_code) == (Outcome.FAILED, 3)
    assert end.reason is not None and end.reason.code == Code.EXIT_CODE
    assert Path(d.log_location(job) or "").read_text() == "Traceback\n"


def test_the_active_deadline_is_a_time_out(make: Make, kube: FakeKube) -> None:
    d = make()
    job = launch(d, "slow", limit=60)
    kube.controller.admit(name_of(d, job))
    kube.controller.run(name_of(d, job))
    kube.controller.fail(name_of(d, job), exit_code=137, reason="DeadlineExceeded")
    *_, end = d.poll(time.time())
    assert end.outcome is Outcome.TIMED_OUT
    assert end.reason is not None and end.reason.code == Code.TIMEOUT
    assert dict(end.reason.params)["limit_s"] == 60.0


def test_a_failed_job_without_a_pod_says_kubernetes_reason(make: Make, kube: FakeKube) -> None:
    d = make()
    job = launch(d, "nopod")
    stored = kube.store.get("jobs", "default", name_of(d, job))
    stored["status"] = {"conditions": [{"type": "Failed", "status": "True",
                                        "reason": "PodFailurePolicy",
                                        "message": "rule 0"}]}  # fmt: skip
    (end,) = d.poll(time.time())
    assert end.outcome is Outcome.FAILED and end.reason is not None
    assert end.reason.code == Code.K8S_ENDED
    assert dict(end.reason.params) == {"state": "Failed", "reason": "PodFailurePolicy: rule 0"}


def test_pending_reasons_come_from_the_workloads_conditions(make: Make, kube: FakeKube) -> None:
    d = make()
    job = launch(d, "waits")
    d.poll(time.time())
    assert d.pending_reasons()[job].code == Code.KUEUE_PENDING  # no Workload yet
    assert dict(d.pending_reasons()[job].params)["reason"] == "NoWorkload"
    message = "couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu"
    kube.controller.pend(name_of(d, job), "Pending", message)
    d.poll(time.time())
    reason = d.pending_reasons()[job]
    assert (reason.code, dict(reason.params)) == (
        Code.KUEUE_PENDING,
        {"reason": "Pending", "message": message},
    )
    kube.controller.pend(name_of(d, job), "Inadmissible", "ClusterQueue 7-naver-h200 is inactive")
    d.poll(time.time())
    reason = d.pending_reasons()[job]
    assert reason.code == Code.KUEUE_INADMISSIBLE
    assert "ClusterQueue 7-naver-h200 is inactive" in i18n.render(reason, "en")
    assert "받아들일 수 없어요" in i18n.render(reason, "ko")
    kube.controller.evict(name_of(d, job), "Preempted", "preempted by a higher priority job")
    d.poll(time.time())
    assert d.pending_reasons()[job].code == Code.KUEUE_EVICTED
    kube.controller.admit(name_of(d, job))
    kube.controller.run(name_of(d, job))
    d.poll(time.time())
    assert job not in d.pending_reasons()


@pytest.mark.parametrize("policy", ["Background", "Foreground"])
def test_cancel_deletes_the_job_its_pods_and_workload(make: Make, kube: FakeKube,
                                                      policy: str) -> None:  # fmt: skip
    d = make(propagation=policy)
    job = launch(d, "long")
    name = name_of(d, job)
    kube.controller.admit(name)
    kube.controller.run(name)
    d.poll(time.time())
    assert d.stop(job, time.time()) is None
    assert ("jobs", name, policy) in kube.store.deletes
    assert kube.store.items("jobs") == kube.store.items("pods") == []
    assert kube.store.items("workloads") == []
    assert d.poll(time.time()) == []


def test_a_job_deleted_outside_nacc_is_lost(make: Make, kube: FakeKube) -> None:
    d = make()
    job = launch(d, "gone")
    kube.store.delete("jobs", "default", name_of(d, job), "Background")
    (obs,) = d.poll(time.time())
    assert (obs.job_id, obs.outcome) == (job, Outcome.LOST)


def test_409_already_exists_fails_that_job_with_the_servers_words(
    make: Make, kube: FakeKube
) -> None:
    d = make()
    at = time.time()
    taken = job_name("nacc", "dup", at)
    kube.store.put(kube.store_kind("jobs"), "default", {"metadata": {"name": taken},
                                                          "spec": {}})  # fmt: skip
    with pytest.raises(LaunchRefused) as refused:
        launch(d, "dup", at=at)
    assert refused.value.reason.code == Code.LAUNCH_FAILED
    assert "409 AlreadyExists" in str(refused.value) and taken in str(refused.value)
    assert d.running_jobs == []
    launch(d, "other")  # the dispatcher goes on
    assert len(kube.store.items("jobs")) == 2


def test_422_invalid_fails_that_job_with_the_servers_words(make: Make, kube: FakeKube) -> None:
    d = make(**{"resource.naver-h200": "nvidia.com/gpu"})
    with pytest.raises(LaunchRefused, match=r"422 Invalid: .*image: Required value"):
        d.launch(Launch(JobSpec(JobId("x"), 0, 1, JobClass.VISION, 1.0, "7"), POOL, 1,
                        time.time(), 1.0, 0.0, Payload("true", image="  ")))  # fmt: skip
    bad_ns = make(namespace="nowhere")
    with pytest.raises(LaunchRefused, match=r'404 NotFound: namespaces "nowhere" not found'):
        launch(bad_ns, "y")


def test_an_unreachable_api_server_is_a_fault_not_a_crash_nor_a_job_failure(
    make: Make, kube: FakeKube
) -> None:
    d = make(timeout="2")
    job = launch(d, "before")
    kube.store.down = True
    with pytest.raises(K8sError, match="unreachable") as polled:
        d.poll(time.time())
    assert polled.value.status is None
    with pytest.raises(K8sError, match="unreachable") as launched:
        launch(d, "during")  # not LaunchRefused: the engine fails the launch, not the job's
    assert not isinstance(launched.value, LaunchRefused)
    kube.store.down = False
    kube.controller.admit(name_of(d, job))
    kube.controller.succeed(name_of(d, job))
    assert [o.outcome for o in d.poll(time.time())][-1] is Outcome.SUCCEEDED


def test_a_poll_whose_second_list_fails_loses_no_observation(make: Make, kube: FakeKube) -> None:
    d = make()
    running, done = launch(d, "runs"), launch(d, "done")
    for job in (running, done):
        kube.controller.admit(name_of(d, job))
        kube.controller.run(name_of(d, job))
    kube.controller.succeed(name_of(d, done))
    kube.store.failing[("GET", "pods")] = 500
    with pytest.raises(K8sError, match="500 InternalError"):
        d.poll(time.time())
    kube.store.failing.clear()
    seen = [(o.job_id, o.outcome) for o in d.poll(time.time())]
    assert sorted(seen) == sorted([(running, Outcome.STARTED), (done, Outcome.STARTED),
                                   (done, Outcome.SUCCEEDED)])  # fmt: skip


def test_one_list_per_cycle_whatever_the_number_of_jobs(make: Make, kube: FakeKube) -> None:
    d = make()
    jobs = [launch(d, f"many-{i}") for i in range(24)]
    for job in jobs:
        kube.controller.admit(name_of(d, job))
        kube.controller.run(name_of(d, job))
    d.api.calls.clear()
    seen: list[Observation] = []
    for _ in range(5):
        seen.extend(d.poll(time.time()))
    assert dict(d.api.calls) == {("LIST", "jobs"): 5}
    assert sorted(o.job_id for o in seen) == sorted(jobs)  # 24 starts, in the first poll
    waiting = [launch(d, f"wait-{i}") for i in range(24)]
    d.api.calls.clear()
    for _ in range(3):
        d.poll(time.time())
    assert dict(d.api.calls) == {("LIST", "jobs"): 3, ("LIST", "workloads"): 3}
    assert set(d.pending_reasons()) == set(waiting)


def test_a_restarted_service_adopts_instead_of_creating_twice(make: Make, kube: FakeKube) -> None:
    first = make()
    job = launch(first, "once")
    again = make()  # a new service process
    launch(again, "once")
    assert len(kube.store.items("jobs")) == 1
    assert again.job_name(job) == first.job_name(job)


def test_a_409_for_its_own_job_made_since_the_last_list_adopts_it(
    make: Make, kube: FakeKube
) -> None:
    at = time.time()
    stale = make()
    stale.poll(at)  # its last LIST: no Jobs
    launch(make(), "retried", at=at)  # the same launch, made by another attempt meanwhile
    launch(stale, "retried", at=at)  # 409 AlreadyExists, then found to be its own
    assert len(kube.store.items("jobs")) == 1
    assert stale.job_name(JobId("retried")) == job_name("nacc", "retried", at)


def test_recover_adopts_reports_and_cleans_up(make: Make, kube: FakeKube) -> None:
    first = make()
    running, done, stray = launch(first, "r"), launch(first, "d"), launch(first, "s")
    kube.controller.admit(name_of(first, done))
    kube.controller.succeed(name_of(first, done), log="fin\n")
    later = make()
    found = {r.job_id: r for r in later.recover([running, done, JobId("missing")], time.time())}
    assert found[running].state == "running" and later.running_jobs == [running]
    assert found[done].state == "ended" and found[done].observation is not None
    assert found[done].observation.outcome is Outcome.SUCCEEDED
    assert Path(later.log_location(done) or "").read_text() == "fin\n"
    assert found[JobId("missing")].state == "unknown"
    assert found[stray].state == "unknown" and "deleted" in found[stray].note
    left = {j["metadata"]["annotations"]["nacc.io/job-id"] for j in kube.store.items("jobs")}
    assert left == {"r", "d"}


def test_the_registry_builds_it_and_bad_urls_name_the_setting(kube: FakeKube,
                                                               tmp_path: Path) -> None:  # fmt: skip
    d = create_dispatcher(k8s_url(kube, tmp_path))
    assert isinstance(d, K8sDispatcher) and d.config.context == "fake"
    for query, field in [("colour=red", "colour: unknown setting"),
                         ("propagation=Orphan", "propagation"),
                         ("namespace=Bad_NS", "namespace"), ("workdir=rel", "workdir"),
                         ("queue.p=Not_DNS", "queue.p")]:  # fmt: skip
        with pytest.raises(InputError, match=field):
            parse_url(urlsplit(f"k8s://ctx?workdir=/abs&{query}"))
    with pytest.raises(K8sError, match="context nope"):
        K8sDispatcher(parse_url(urlsplit(k8s_url(kube, tmp_path).replace("//fake", "//nope"))))


def test_an_api_server_that_is_not_listening_is_a_fault(tmp_path: Path) -> None:
    import socket

    from support.fake_kube import write_kubeconfig

    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}")
    d = K8sDispatcher(parse_url(urlsplit(f"k8s://fake?kubeconfig={config}&workdir={tmp_path}")))
    with pytest.raises(K8sError, match=rf"127.0.0.1:{port} unreachable") as polled:
        d.poll(time.time())
    assert polled.value.status is None
    with pytest.raises(K8sError, match="unreachable"):
        launch(d, "nowhere")
