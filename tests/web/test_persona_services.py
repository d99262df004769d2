"""The service functions the persona pages added: a reviewer's declared conflict (and
that a score is then refused), the decision preview (the same outcome ``decide`` then
stores, with nothing written by the preview), the fleet's utilisation and domestic share,
and a project's burn-down. On SQLite through the real store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from nacc.bootstrap import Settings, build_app
from nacc.domain.errors import Forbidden, NotFound
from nacc.domain.lifecycle import JobState
from nacc.domain.pools import Pool
from nacc.domain.reasons import Reason
from nacc.ports.store_jobs_data import JobChange, UsageView
from nacc.service import awards, burndown, fleet, jobs, programs, review_desk
from nacc.service.auth import Principal
from nacc.service.context import Services
from web.personas import Cast, cast
from web.world import fund


@pytest.fixture
def world(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[Services, Cast, int]]:
    settings = Settings(database_url=sqlite_url, workdir=tmp_path / "j",
                        devices={"H100-SXM": 2})  # fmt: skip
    _, svc = build_app(settings, live=False)
    project_id, _ = fund(svc)
    yield svc, cast(svc), project_id
    svc.sessions.kw["bind"].dispose()


def _who(svc: Services, email: str) -> Principal:
    with svc.unit() as uow:
        user = uow.people.user_by_email(email)
        assert user is not None
        roles = frozenset(uow.people.roles_of(user.id))
    return Principal(user.id, user.name, user.organisation_id, roles)


def test_a_declared_conflict_refuses_the_score(world: tuple[Services, Cast, int]) -> None:
    svc, c, _ = world
    reviewer = _who(svc, "rev@kisti.example")
    first, second = c.proposals
    assert review_desk.declare_conflict(svc, reviewer, second, "former employer")
    assert not review_desk.declare_conflict(svc, reviewer, second, "again")  # once
    with pytest.raises(Forbidden):
        review_desk.score(svc, reviewer, second, {"novelty": 9, "feasibility": 9}, "")
    review_desk.score(svc, reviewer, first, {"novelty": 8, "feasibility": 7}, "ok")
    [desk] = review_desk.assigned(svc, reviewer)
    state = {a.proposal.id: (a.reviewed, a.declared_conflict) for a in desk.proposals}
    assert state == {first: (True, False), second: (False, True)}
    assert all(a.proposal.pi is None for a in desk.proposals)  # a blind call
    with svc.unit() as uow:
        assert uow.programs.reviews_for(second) == []
    outsider = _who(svc, "rev2@kisti.example")  # not assigned to the call
    with pytest.raises(Forbidden):
        review_desk.declare_conflict(svc, outsider, second, "")


def test_the_preview_is_what_deciding_then_stores(world: tuple[Services, Cast, int]) -> None:
    svc, c, _ = world
    officer = _who(svc, "po@nacc.example")
    review_desk.score(svc, _who(svc, "rev@kisti.example"), c.proposals[0],
                      {"novelty": 8, "feasibility": 7}, "")  # fmt: skip
    chosen = {c.proposals[1]: (True, "NPU porting first")}
    shown = review_desk.preview(svc, officer, c.closed_call, chosen)
    assert (shown.budget, shown.awarded, shown.left) == (Decimal(1000), Decimal(500), Decimal(500))
    assert programs.get_call(svc, c.closed_call).budget_balance == Decimal(1000)  # nothing moved
    assert not programs.get_call(svc, c.closed_call).decided
    done = awards.decide(svc, officer, c.closed_call, awards.DecideRequest(chosen))
    as_shown = {d.proposal_id: (d.awarded, d.amount, d.reason) for d in shown.decisions}
    assert as_shown == {d.proposal_id: (d.awarded, d.amount, d.reason) for d in done}
    [project] = review_desk.projects_of_call(svc, officer, c.closed_call)
    assert (project.released_credits, project.awarded_credits) == (Decimal(250), Decimal(500))
    with pytest.raises(Forbidden):
        review_desk.preview(svc, _who(svc, "rev@kisti.example"), c.closed_call, {})


def test_fleet_utilisation_and_domestic_share(world: tuple[Services, Cast, int]) -> None:
    svc, _, project_id = world
    now = svc.clock()
    pools = [Pool("h100", "local", "site-a", "H100-SXM", 4, 4, "local"),
             Pool("rngd", "local", "site-b", "RNGD", 8, 8, "local")]  # fmt: skip
    pi = _who(svc, "pi@kaist.example")
    pricing = jobs.Pricing({("H100-SXM", "fine-tuning"): 1.0, ("RNGD", "fine-tuning"): 1.0})
    ran = []
    for pool, count, credits in (("h100", 2, "3"), ("rngd", 4, "1")):
        req = jobs.JobRequest("sleep 1", count, "fine-tuning", 60)
        job, _ = jobs.submit(svc, pi, project_id, req, pricing)
        with svc.unit() as uow:
            start = now - timedelta(hours=2)
            uow.jobs.transition(job.id, JobChange(JobState.RUNNING, start, Reason.of("started"),
                                                  pool_id=pool))  # fmt: skip
            kind = "H100-SXM" if pool == "h100" else "RNGD"
            uow.ledger.record_usage(UsageView(job.id, start, start + timedelta(hours=1), kind,
                                              count, Decimal(credits)))  # fmt: skip
        ran.append(job.id)
    operator = _who(svc, "ops@nacc.example")
    view = fleet.fleet(svc, operator, pools, now)
    rows = {r.pool_id: r for r in view.pools}
    assert (rows["h100"].busy, rows["rngd"].busy) == (2, 4)
    assert rows["h100"].utilisation_24h == pytest.approx(2 * 3600 / (4 * 86400))
    assert rows["rngd"].domestic and not rows["h100"].domestic
    assert (view.delivered_domestic, view.delivered_foreign) == (Decimal(1), Decimal(3))
    assert view.domestic_share == pytest.approx(0.25) and view.target == 0.5
    assert rows["rngd"].power_kw == pytest.approx(4 * 0.18)  # the catalog's 180 W
    assert sum(v for _, v in view.hourly) > 0 and len(view.hourly) == 24
    with pytest.raises(Forbidden):
        fleet.fleet(svc, pi, pools, now)


def test_burn_down_follows_the_project_account(world: tuple[Services, Cast, int]) -> None:
    svc, _, project_id = world
    pi = _who(svc, "pi@kaist.example")
    burn = burndown.burn_down(svc, pi, project_id)
    assert burn.awarded == Decimal(100) and not burn.expired and burn.days_left in (28, 29)
    assert burn.left[-1][1] == Decimal(100) and burn.plan[-1][1] == Decimal(0)
    with pytest.raises(NotFound):
        burndown.burn_down(svc, _who(svc, "rev@kisti.example"), project_id)
