"""What the issue-12 pages show, on top of ``personas.cast``: two datasets (one the PI's
project may use, with a job naming it; one to ask for), a challenge of the officers'
program open now (one entry a day, a real evaluator), a call of its own decided 40 days
ago whose project has a progress report past due, and the live fleet's pool to book
blocks on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path

from nacc.bootstrap import local_pools, pricing
from nacc.catalog.throughput import default_model
from nacc.domain.challenges import Direction, Metric, Phase, Rule
from nacc.domain.datasets import Copy
from nacc.ports.store_challenges import ChallengeSpec
from nacc.ports.store_people import CallSpec, ProposalSpec, hash_token
from nacc.service import awards, challenges, datasets, jobs, programs
from nacc.service.auth import Principal
from nacc.service.context import Services
from web.personas import Cast

EVALUATOR = """\
import json, os
ref = os.environ["NACC_MODEL_REF"]
try:
    pub, priv = (float(x) for x in ref.split(":"))
except ValueError:
    pub = priv = 0.5
with open(os.environ["NACC_METRICS_FILE"], "w") as f:
    json.dump({"public": {"acc": pub}, "private": {"acc": priv}}, f)
"""


@dataclass(frozen=True)
class Programs:
    challenge: int
    job_id: str  # a job of the PI's project naming ``ko-wiki``
    report_project: int  # a project with a progress report past due
    pool: str


def who(svc: Services, token: str) -> Principal:
    with svc.unit() as uow:
        holder = uow.people.token_holder(hash_token(token), svc.clock())
    assert holder is not None
    return Principal(holder.user_id, holder.name, holder.organisation_id, holder.roles)


def seed(svc: Services, c: Cast, pi_token: str, project_id: int, tmp: Path,
         devices: dict[str, int] | None = None) -> Programs:  # fmt: skip
    pools, _ = local_pools(devices or {"H100-SXM": 2})
    ops, po, pi = who(svc, c.operator), who(svc, c.officer), who(svc, pi_token)
    assert po.organisation_id is not None
    for name, residency, sensitivity in (("kor-med", "domestic", "personal"),
                                         ("ko-wiki", "any", "public")):  # fmt: skip
        datasets.register(svc, ops, pools, datasets.Registration(
            name, po.organisation_id, 3 * 10**12 if name == "kor-med" else 42 * 10**9,
            "CC-BY-NC-4.0", residency, sensitivity, (Copy("localhost", f"/data/{name}"),),
            description=f"{name} corpus"))  # fmt: skip
    asked = datasets.request_access(svc, pi, "ko-wiki", project_id, "pre-training")
    datasets.decide(svc, po, "ko-wiki", asked.id, True, None)
    job, _ = jobs.submit(svc, pi, project_id, jobs.JobRequest(
        command="true", accelerators=1, job_class="fine-tuning", time_limit_s=60,
        datasets=("ko-wiki",)), pricing(pools, default_model()))  # fmt: skip
    script = tmp / "evaluate.py"
    script.write_text(EVALUATOR)
    (tmp / "hidden.jsonl").write_text("hidden\n")
    program = programs.list_programs(svc, 10, 0).items[0].id
    now = svc.clock()
    spec = ChallengeSpec(
        "ko-llm", "한국어 LLM 평가", program,
        (Phase("final", now - timedelta(hours=1), now + timedelta(days=7)),),
        (Metric("acc", Direction.MAX),), "acc", f"/usr/bin/python3 {script}",
        str(tmp / "hidden.jsonl"), 1, 5, time(0, 0), "Asia/Seoul", 0.3, Rule.BEST,
        time_limit_s=60,
    )  # fmt: skip
    ch = challenges.create(svc, po, spec, Decimal(50), pricing(pools, default_model()))
    day = timedelta(days=1)
    spec_call = CallSpec("2026 NPU 실증", now - 60 * day, now - 50 * day, Decimal(400),
                         now - 50 * day, now + 7 * day, {"novelty": 1.0}, 5.0)  # fmt: skip
    call = programs.open_call(svc, po, program, spec_call)
    with svc.unit() as uow:
        org = uow.people.get_user(pi.user_id)
        assert org is not None and org.organisation_id is not None
        asked_for = ProposalSpec(org.organisation_id, pi.user_id, "NPU 추론 실증", "요약",
                                 Decimal(300), ["inference"])  # fmt: skip
        decided = uow.programs.create_proposal(call.id, asked_for, now - 55 * day).id
    began = now - 40 * day  # its first report (a month in) is past due
    ask = awards.DecideRequest({decided: (True, "priority")}, valid_from=began,
                               valid_until=began + 365 * day)  # fmt: skip
    awards.decide(svc, po, call.id, ask)
    with svc.unit() as uow:
        made = uow.awards.project_for_proposal(decided)
        assert made is not None
    return Programs(ch.id, job.id, made.id, str(pools[0].id))
