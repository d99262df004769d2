"""Scenario pools name their dispatch backend: each pool's jobs run on its own backend
(real local processes in two directories); a URL the service cannot use names the file,
line and field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jobsetup import funded_project, submit_job, wait_job

from conftest import Api, live_app
from nacc.adapters.dispatch.local import LocalDispatcher
from nacc.adapters.store import repos_jobs
from nacc.bootstrap import Settings, scenario_pools
from nacc.domain.errors import InputError


def _scenario(tmp_path: Path, backends: list[str | None]) -> Path:
    pools = []
    for index, (accel, backend) in enumerate(zip(["H100-SXM", "RNGD"], backends, strict=True)):
        pool: dict[str, Any] = {"id": f"pool-{index}", "site": "s1", "accelerator": accel,
                                "count": 8, "node_size": 8, "engine": "local"}  # fmt: skip
        if backend is not None:
            pool["backend"] = backend
        pools.append(pool)
    data = {
        "name": "two-backends",
        "providers": [{"id": "p1", "kind": "public", "name": "Provider one"}],
        "sites": [{"id": "s1", "provider": "p1", "region": "Daejeon", "capital_area": False}],
        "pools": pools,
    }
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def two_backends(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[Api, Path, Path]]:
    a, b = tmp_path / "backend-a", tmp_path / "backend-b"
    settings = Settings(database_url=sqlite_url,
                        workdir=tmp_path / "jobs", scenario=_scenario(tmp_path, [f"local://{a}",
                        f"local://{b}"]), devices_per_pool=2, tick_s=0.1, meter_s=0.5)  # fmt: skip
    with live_app(settings) as api:
        yield api, a, b


def test_each_pool_runs_its_jobs_on_the_backend_it_names(
    two_backends: tuple[Api, Path, Path],
) -> None:
    api, a, b = two_backends
    router = api.client.app.state.live.engine.dispatcher  # type: ignore[attr-defined]
    on_a, on_b = router.for_pool("pool-0"), router.for_pool("pool-1")
    assert isinstance(on_a, LocalDispatcher) and isinstance(on_b, LocalDispatcher)
    assert on_a is not on_b and len(router.backends) == 2
    f = funded_project(api.svc)
    cmd = 'echo "ran $NACC_JOB_ID in $NACC_POOL"'
    ids = [
        submit_job(
            api, f.pi, f.project_id, command=cmd, accelerator_types=[accel], job_class="inference"
        ).json()["id"]
        for accel in ("H100-SXM", "RNGD", "H100-SXM")  # the third: a second job on pool-0
    ]
    done = {i: wait_job(api, f.pi, i, {"completed", "failed"}) for i in ids}
    assert all(job["state"] == "completed" for job in done.values()), done
    for job_id, job in done.items():
        home = a if job["pool_id"] == "pool-0" else b
        with api.svc.tx() as s:
            log_path = repos_jobs.get_job(s, job_id).log_path  # type: ignore[union-attr]
        assert log_path is not None and Path(log_path).parent == home / job_id
        assert (home / job_id / "exit_code").read_text().strip() == "0"
        other = b if home == a else a
        assert not (other / job_id).exists()  # the other backend never saw it
        log = api.client.get(f"/jobs/{job_id}/logs", headers=api.as_(f.pi)).text
        assert f"ran {job_id} in {job['pool_id']}" in log
    assert {job["pool_id"] for job in done.values()} == {"pool-0", "pool-1"}


def test_pools_without_a_backend_share_the_services_local_one(tmp_path: Path) -> None:
    pools, ids = scenario_pools(_scenario(tmp_path, [None, "local://"]), 2)
    assert [p.backend for p in pools] == ["local://", "local://"]
    assert ids == {"pool-0": ["0", "1"], "pool-1": ["2", "3"]}


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            "nomad://ctx",
            "unknown dispatch backend 'nomad://ctx'; known: k8s://, local://, slurm://",
        ),
        (
            "k8s://ctx?colour=red",
            "colour: unknown setting; known: namespace, kubeconfig, tag, image, queue, "
            "propagation, workdir, timeout, queue.<pool>, resource.<pool>",
        ),
        ("slurm://head", "expected slurm://HOST:PORT (slurmrestd's address)"),
        (
            "slurm://head:6820?queue=a",
            "queue: unknown setting; known: user, partition, tag, workdir, attempts, "
            "timeout, accounts, token_file, partition.<pool>, gres.<pool>",
        ),
        ("local://somehost/jobs", "local:// runs on this machine; give no host"),
    ],
)
def test_a_backend_the_service_cannot_build_names_file_line_and_field(
    tmp_path: Path, url: str, problem: str
) -> None:
    path = _scenario(tmp_path, [None, url])
    with pytest.raises(InputError) as info:
        scenario_pools(path, 2)
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "backend:" in text)
    assert info.value.where == f"{path}:{line}"
    assert info.value.problem == f"pools[1].backend: {problem}"


def test_a_url_of_the_wrong_shape_is_refused_when_the_scenario_loads(tmp_path: Path) -> None:
    path = _scenario(tmp_path, ["/var/lib/nacc/jobs", None])
    with pytest.raises(InputError, match=r"fleet.yaml:\d+: pools\[0\]\.backend: expected a "
                       r"backend URL SCHEME://"):  # fmt: skip
        scenario_pools(path, 2)
