"""Set-up for challenge tests: an evaluator script (a real process the fleet runs), a
program, a challenge over HTTP, and waiting for entries to be settled."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import Api
from support.waiting import wait_until

EVALUATOR = """\
import json, os, sys, time
ref = os.environ["NACC_MODEL_REF"]
with open(os.environ["NACC_TEST_DATA"]) as data:  # the hidden test data is readable
    assert data.read().startswith("hidden")
out = os.environ["NACC_METRICS_FILE"]
if ref == "bad-json":
    open(out, "w").write("{not json")
elif ref == "nan":
    open(out, "w").write('{"public": {"acc": NaN}, "private": {"acc": 1}}')
elif ref == "crash":
    sys.exit(3)
elif ref == "silent":
    pass
elif ref == "hang":
    time.sleep(120)
else:  # "<public>:<private>"; any other reference scores 0.5 on both
    try:
        pub, priv = (float(x) for x in ref.split(":"))
    except ValueError:
        pub = priv = 0.5
    with open(out, "w") as f:
        json.dump({"public": {"acc": pub, "loss": 1 - pub},
                   "private": {"acc": priv, "loss": 1 - priv}}, f)
"""


def evaluator(tmp: Path) -> tuple[str, str]:
    """(the evaluation command, the hidden test data's path)."""
    script = tmp / "evaluate.py"
    script.write_text(EVALUATOR)
    data = tmp / "hidden-test.jsonl"
    data.write_text("hidden test data\n")
    return f"/usr/bin/python3 {script}", str(data)  # the venv is not the job account's


def program(api: Api, name: str = "Global AI Challenge") -> int:
    made = api.client.post("/programs", json={"name": name, "description": "challenges"},
                           headers=api.as_(api.operator))  # fmt: skip
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def body(api: Api, tmp: Path, program_id: int, name: str = "llm-eval",
         **kw: Any) -> dict[str, Any]:  # fmt: skip
    command, data = evaluator(tmp)
    now = api.svc.clock()
    out: dict[str, Any] = {
        "program_id": program_id, "name": name, "title": "Korean LLM evaluation",
        "phases": [{"name": "final", "starts_at": iso(now - timedelta(hours=1)),
                    "ends_at": iso(now + timedelta(days=7))}],
        "metrics": [{"name": "acc", "direction": "max"}, {"name": "loss", "direction": "min"}],
        "primary_metric": "acc", "command": command, "test_data": data,
        "per_day": 5, "total": 20, "reset_time": "00:00", "reset_zone": "Asia/Seoul",
        "public_fraction": 0.3, "rule": "best", "time_limit_s": 60, "budget_credits": 50,
    }  # fmt: skip
    out.update(kw)
    return out


def iso(at: datetime) -> str:
    return at.isoformat()


def create(api: Api, tmp: Path, program_id: int, **kw: Any) -> dict[str, Any]:
    made = api.client.post("/challenges", json=body(api, tmp, program_id, **kw),
                           headers=api.as_(api.operator))  # fmt: skip
    assert made.status_code == 201, made.text
    return dict(made.json())


def submit(api: Api, token: str, challenge: int, project: int, ref: str) -> Any:
    return api.client.post(f"/challenges/{challenge}/entries",
                           json={"project_id": project, "model_ref": ref},
                           headers=api.as_(token))  # fmt: skip


def settled(api: Api, challenge: int, count: int, timeout: float = 60) -> list[dict[str, Any]]:
    """Every entry (as an officer sees them) once ``count`` exist and none is pending or
    running; at the deadline an ``AssertionError`` with what was seen."""
    seen: list[Any] = []

    def done() -> list[dict[str, Any]] | None:
        got = api.client.get(f"/challenges/{challenge}/entries", headers=api.as_(api.operator))
        seen[:] = got.json()
        live = [e for e in seen if e["state"] in ("pending", "running")]
        return seen if len(seen) == count and not live else None

    try:
        return wait_until(done, timeout, every=0.2)
    except AssertionError:
        raise AssertionError(seen) from None
