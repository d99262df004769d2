"""Awards enforced inside Slurm, kept in step by the live service: a pool on a Slurm lab
with slurmdbd and ``accounts=1``; the project's balance becomes its Slurm account's
``GrpTRESMins`` on gres/gpu without anyone calling ``sync``, follows the charge of a job
run over HTTP and a later grant; an ``sbatch`` submitted around nacc under the account
waits in Slurm with ``AssocGrpGRESMinutes`` once the balance no longer covers it, and
runs once the grant raises the limit, and what it took is not granted back when the
balance moves again. A capacity block booked over HTTP becomes a Slurm
reservation for the project's account: its jobs run in it, another project's do not, an
``sbatch`` of another account naming it is refused, and cancelling the block deletes
it. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from jobsetup import funded_project, submit_job, wait_job

from conftest import Api, live_app
from nacc.adapters.dispatch.slurm_accounts import SlurmAccounts, account_name, gpu_minutes
from nacc.bootstrap import Settings
from nacc.ledger.accounts import EntryKind
from nacc.service import posting
from nacc.service.live_accounts import LimitSync
from support.fleets import write_fleet
from support.slurm_lab import Lab
from support.waiting import wait_until

pytestmark = pytest.mark.slurm_slow  # the lab with slurmdbd: its database takes 10-25 s
POOL = "kisti-h100"
RATE = 1.0  # the lowest class rate on H100-SXM (default model): 1 credit per GPU-hour


def _scenario(tmp_path: Path, url: str) -> Path:
    pool = {"id": POOL, "site": "s1", "accelerator": "H100-SXM", "count": 16,
            "node_size": 8, "engine": "slurm", "backend": url}  # fmt: skip
    return write_fleet(tmp_path, "on-slurm-limited", [pool])


@pytest.fixture
def limited(db_url: str, tmp_path: Path, dbd_conf: Lab) -> Iterator[tuple[Api, str]]:
    tmp_path.chmod(0o755)
    tag = f"lim{uuid.uuid4().hex[:8]}"
    url = f"{dbd_conf.url}?tag={tag}&accounts=1&gres.{POOL}=h100&workdir={tmp_path / 'slurm'}"
    settings = Settings(database_url=db_url, workdir=tmp_path / "jobs",
                        scenario=_scenario(tmp_path, url), tick_s=0.1, meter_s=0.5)  # fmt: skip
    with live_app(settings) as api:
        yield api, tag


def _balance(api: Api, project: int) -> Decimal:
    with api.svc.unit() as uow:
        return uow.ledger.balance(f"project:{project}")


def _state(lab: Lab, sid: str) -> str:
    return lab.run("squeue", "-h", "-t", "all", "-j", sid, "-o", "%T %r").strip()


def test_the_slurm_limit_follows_the_balance_and_holds_work_around_nacc(
    limited: tuple[Api, str], dbd_conf: Lab
) -> None:
    api, tag = limited
    hooks = api.client.app.state.live.after_step  # type: ignore[attr-defined]
    sync = next(h for h in hooks if isinstance(h, LimitSync))
    f = funded_project(api.svc, Decimal("0.0334"))  # 2.004 GPU-minutes at 1 credit/GPU-h
    slurm = SlurmAccounts(tag)
    account = account_name(tag, str(f.project_id))

    def follows(minutes: int) -> bool:  # minus what jobs around nacc took (never charged)
        limit = slurm.limits().get(account)
        around = slurm.around_by([account])[account]
        return limit is not None and limit == slurm.used(account) + minutes - around

    wait_until(lambda: follows(2), 30, "the award to become the account's limit in Slurm")

    job = submit_job(api, f.pi, f.project_id, command="sleep 3", time_limit_s=60).json()
    wait_job(api, f.pi, job["id"], {"completed"}, timeout=90)
    rows = dbd_conf.run("squeue", "-h", "-t", "all", "-o", "%k %a").splitlines()
    assert f"nacc:{tag}:{job['id']} {account}" in rows  # run under the project's account
    left = _balance(api, f.project_id)
    assert gpu_minutes(left, RATE) == 1  # the charge took it below 2 GPU-minutes
    wait_until(lambda: follows(gpu_minutes(_balance(api, f.project_id), RATE)), 30,
               "the charge to lower the limit")  # fmt: skip

    around = dbd_conf.run("sbatch", "--parsable", "-A", account, "-t", "2",
                          "--gres=gpu:h100:1", "--wrap", "sleep 1").strip()  # 2 > 1  # fmt: skip
    wait_until(lambda: _state(dbd_conf, around) == "PENDING AssocGrpGRESMinutes", 30,
               "Slurm to hold the job submitted around nacc")  # fmt: skip

    with api.svc.unit() as uow:  # a grant (as a tranche release): 3 GPU-minutes more
        legs = [("funding", Decimal("-0.05")), (f"project:{f.project_id}", Decimal("0.05"))]
        now = api.svc.clock()
        posting.post(uow, posting.entry(EntryKind.TRANSFER, legs, f"grant:{f.project_id}", now,
                                        "more credits"))  # fmt: skip
    wait_until(lambda: _state(dbd_conf, around).split()[0] == "COMPLETED", 60,
               "the grant to raise the limit, and the job around nacc to run")  # fmt: skip
    took = slurm.around_by([account])[account]
    assert took >= 1  # its GPU-seconds, rounded up to a minute

    with api.svc.unit() as uow:  # the balance moves again: what was used around nacc stays
        legs = [("funding", Decimal("-0.02")), (f"project:{f.project_id}", Decimal("0.02"))]
        posting.post(uow, posting.entry(EntryKind.TRANSFER, legs, f"grant2:{f.project_id}",
                                        api.svc.clock(), "more credits"))  # fmt: skip
    wait_until(lambda: follows(gpu_minutes(_balance(api, f.project_id), RATE)), 30,
               "the second grant to raise the limit, less the use around nacc")  # fmt: skip
    assert 0 < sync.pushes < 100  # batched: pushes when balances moved, not per cycle


def _reservation(lab: Lab, name: str) -> str:
    return " ".join(r for r in lab.run("scontrol", "-o", "show", "res").splitlines()
                    if f"ReservationName={name} " in r)  # fmt: skip


def test_a_block_is_a_slurm_reservation_only_its_projects_use(
    limited: tuple[Api, str], dbd_conf: Lab
) -> None:
    api, tag = limited
    f = funded_project(api.svc, Decimal(100))  # a capacity block is paid when booked
    other = funded_project(api.svc, Decimal(100), org_name="SNU", who="o")
    ops = api.as_(api.operator)
    start = api.svc.clock() - timedelta(minutes=1)
    end = start + timedelta(hours=1)
    body = {"name": "blk1", "pool_id": POOL, "count": 1, "start": start.isoformat(),
            "end": end.isoformat(), "projects": [f.project_id]}  # fmt: skip
    booked = api.client.post("/reservations", json=body, headers=ops)
    assert booked.status_code == 201, booked.text
    name, account = f"{tag}-blk1", account_name(tag, str(f.project_id))
    shown = wait_until(lambda: _reservation(dbd_conf, name), 30, "the block as a reservation")
    assert f"Accounts={account} " in shown and "NodeCnt=1 " in shown, shown  # a whole node

    mine = submit_job(api, f.pi, f.project_id, command="sleep 1").json()
    theirs = submit_job(api, other.pi, other.project_id, command="sleep 1").json()
    for job in (mine, theirs):
        wait_job(api, f.pi if job is mine else other.pi, job["id"], {"completed"}, timeout=90)
    rows = dbd_conf.run("squeue", "-h", "-t", "all", "-o", "%k|%v").splitlines()
    assert f"nacc:{tag}:{mine['id']}|{name}" in rows  # the block's job runs in it
    assert f"nacc:{tag}:{theirs['id']}|(null)" in rows  # another project's does not
    with pytest.raises(AssertionError, match=r"[Aa]ccess denied"):  # nor may work around nacc
        dbd_conf.run("sbatch", "-A", "lab", f"--reservation={name}", "--wrap", "true")

    block = booked.json()["id"]
    assert api.client.post(f"/reservations/{block}/cancel", headers=ops).status_code == 200
    wait_until(lambda: not _reservation(dbd_conf, name), 30, "the reservation to go")
