"""Health: ``/healthz`` for anyone (load balancers), ``/healthz/details`` for operators.

The public answer says only whether the API reaches its database and whether the live
scheduler beats; where the scheduler runs (pid, host) is for operators.
"""

from __future__ import annotations

from fastapi import APIRouter

from nacc.api.deps import CallerDep, ServicesDep
from nacc.api.problems import READ
from nacc.api.schemas import HealthOut
from nacc.api.schemas_identity import BackendOut, HealthDetailsOut
from nacc.service.auth import require
from nacc.service.reports import scheduler_health

router = APIRouter(tags=["ops"])


def _age(age_s: float | None) -> float | None:
    return None if age_s is None else round(age_s, 3)


@router.get("/healthz")
def healthz(svc: ServicesDep) -> HealthOut:
    """Answers 200 while the API reaches its database; the scheduler's state rides
    along (a stalled scheduler is not a reason to restart the API)."""
    health = scheduler_health(svc)
    down = 0 if health.beat is None else sum(not b.up for b in health.beat.backends)
    return HealthOut.model_validate({"status": "ok", "scheduler": health.state,
                                     "scheduler_beat_age_s": _age(health.age_s),
                                     "backends_down": down})  # fmt: skip


@router.get("/healthz/details", responses=READ)
def healthz_details(svc: ServicesDep, who: CallerDep) -> HealthDetailsOut:
    """Operators: the scheduler's heartbeat in full (pid, host, queue sizes)."""
    require(who, "operator")
    health = scheduler_health(svc)
    beat = health.beat
    if beat is None:
        return HealthDetailsOut(status="ok", scheduler=health.state)
    return HealthDetailsOut(
        status="ok", scheduler=health.state, scheduler_beat_age_s=_age(health.age_s),
        scheduler_pid=beat.pid, scheduler_host=beat.host, scheduler_started_at=beat.started_at,
        scheduler_step_s=beat.step_s, pending=beat.pending, running=beat.running,
        backends=[BackendOut(name=b.name, pools=list(b.pools), up=b.up, since=b.since,
                             error=b.error) for b in beat.backends],
    )  # fmt: skip
