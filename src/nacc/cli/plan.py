"""`nacc plan`: capacity planning (optimise the fleet, optionally simulate each year)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from nacc.cli.client import fail, marked_error
from nacc.domain.errors import NaccError

if TYPE_CHECKING:
    from nacc.planning.model import PlanningFile
    from nacc.planning.simulate import YearSim
    from nacc.planning.solve import PlanResult

# The planner (numpy, matplotlib, HiGHS: about half a second) is imported by the command
# itself, so every other `nacc` command starts without it. The option defaults are the
# planner's own, written here for the help text; a test checks that they stay equal
# (tests/unit/planning/test_planning_cli.py).
DEFAULT_FRACTION = 0.02  # nacc.planning.simulate.DEFAULT_FRACTION
DEFAULT_JOBS = 6000  # nacc.planning.simulate.DEFAULT_JOBS
TIME_LIMIT_S = 120.0  # nacc.planning.solve.TIME_LIMIT_S
MIP_GAP = 1e-4  # nacc.planning.solve.MIP_GAP

console = Console(width=132, soft_wrap=True)
err_console = Console(stderr=True)
_TRACE = Path(__file__).resolve().parents[3] / "data" / "traces" / "philly.csv.gz"


def plan_command(
    scenario: Annotated[Path, typer.Option("--scenario", help="existing fleet (scenario YAML)")],
    planning: Annotated[Path, typer.Option("--planning", help="planning YAML")],
    out: Annotated[Path, typer.Option("--out", help="output directory")],
    simulate: Annotated[bool, typer.Option("--simulate", help="simulate each year")] = False,
    trace: Annotated[Path, typer.Option("--trace", help="Philly trace")] = _TRACE,
    sim_jobs: Annotated[int, typer.Option("--sim-jobs")] = DEFAULT_JOBS,
    sim_fraction: Annotated[float, typer.Option("--sim-fraction")] = DEFAULT_FRACTION,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0, help="seconds per solve; 0: none")
    ] = TIME_LIMIT_S,
    mip_gap: Annotated[
        float,
        typer.Option(
            "--mip-gap", min=0, max=0.5, help="stop within this relative gap of the best bound"
        ),
    ] = MIP_GAP,
    what_if: Annotated[
        bool,
        typer.Option(
            "--what-if",
            help="also solve the standard variants (budget "
            "±10%, domestic chip prices ±30%, a site's grid power late) "
            "and compare them",
        ),
    ] = False,
    delay_site: Annotated[
        list[str] | None,
        typer.Option(
            "--delay-site",
            help="with --what-if: the site whose "
            "grid power comes late (repeatable; default: the "
            "national-center sites)",
        ),
    ] = None,
    delay_years: Annotated[
        int, typer.Option("--delay-years", min=1, max=10, help="with --what-if: how late")
    ] = 1,
) -> None:
    """Optimise purchases, leases and sites; writes plan.json and report.html."""
    from nacc.catalog.throughput import default_model
    from nacc.planning import build_problem, load_planning, plan
    from nacc.planning.report import write_json, write_report
    from nacc.planning.simulate import simulate_plan
    from nacc.scenario import load_scenario

    start = time.perf_counter()
    try:
        spec = load_planning(planning)
        scen = load_scenario(scenario)
        problem = build_problem(spec, scen, default_model())
        if delay_site and not what_if:
            fail("error.delay_site")
        limit = (_word("plan.limit", seconds=f"{time_limit:g}") if time_limit
                 else _word("plan.no_limit"))  # fmt: skip
        with _stage(_word("plan.solving", years=len(problem.years), limit=limit)):
            result = plan(problem, time_limit_s=time_limit or None, mip_gap=mip_gap)
        sims: list[YearSim] = []
        if simulate and result.years:
            with _stage(_word("plan.simulating", years=len(result.years))):
                sims = simulate_plan(result.years, problem, default_model(), trace,
                                     sim_fraction, sim_jobs)  # fmt: skip
    except (NaccError, ValueError, FileNotFoundError) as exc:
        err_console.print(marked_error(exc), soft_wrap=True)
        raise typer.Exit(2) from None
    payload = result.to_json()
    payload["sites"] = [
        {"site": s.site, "score": s.score, "krw_per_it_kwh": round(s.krw_per_it_kwh, 1),
         "usable_mw": s.usable_mw, "note": s.note}
        for s in problem.scores
    ]  # fmt: skip
    if sims:
        payload["simulation"] = [s.to_json() for s in sims]
    write_json(out / "plan.json", payload)
    target = spec.policy.domestic.share if spec.policy.domestic else None
    target_year = spec.policy.domestic.by_year if spec.policy.domestic else None
    report = write_report(out, f"nacc plan: {spec.name}", result, target, sims, target_year)
    _print(result.to_json(), sims, time.perf_counter() - start)
    _explain(result, spec)
    console.print(_word("plan.written", plan=out / "plan.json", report=report), markup=False)
    if what_if:
        from nacc.cli import plan_whatif

        try:
            plan_whatif.run(spec, scen, out, time_limit or None, mip_gap, list(delay_site or []),
                            delay_years, console, err_console)  # fmt: skip
        except ValueError as exc:
            err_console.print(marked_error(exc), soft_wrap=True)
            raise typer.Exit(2) from None
        console.print(_word("plan.whatif_written", csv=out / "whatif.csv",
                            png=out / "whatif.png"), markup=False)  # fmt: skip


def _explain(result: PlanResult, spec: PlanningFile) -> None:
    """The solver's status, gap and bound, and the domestic share against its target, in
    the CLI's language."""
    from nacc import i18n
    from nacc.cli.client import language
    from nacc.domain.reasons import Code, Reason

    lang = language()
    console.print(i18n.render(Reason.of(Code.PLAN_SOLVER, status=result.status,
                                        gap=f"{result.mip_gap:.2%}",
                                        bound_bn=f"{result.bound / 1e9:,.1f}",
                                        objective_bn=f"{result.solver_objective / 1e9:,.1f}",
                                        seconds=f"{result.seconds:.1f}"), lang),
                  markup=False)  # fmt: skip
    target = spec.policy.domestic
    if target is None or not result.years:
        return
    at = next((y for y in result.years if y.year == target.by_year), result.years[-1])
    basis = i18n.render(Reason.of(Code.PLAN_BASIS_COUNT if target.basis == "count"
                                  else Code.PLAN_BASIS_CREDITS), lang)  # fmt: skip
    code = (Code.PLAN_DOMESTIC_MET if at.domestic_share >= target.share - 1e-9
            else Code.PLAN_DOMESTIC_MISSED)  # fmt: skip
    console.print(i18n.render(Reason.of(code, share=f"{at.domestic_share:.1%}",
                                        target=f"{target.share:.0%}",
                                        year=at.year, basis=basis), lang),
                  markup=False)  # fmt: skip


def _word(key: str, **params: object) -> str:
    from nacc.cli import words
    from nacc.cli.client import language

    return words.say(language(), key, **params)


@contextmanager
def _stage(label: str) -> Iterator[None]:
    """A spinner with the time elapsed on stderr while a long stage runs (nothing when
    stderr is not a terminal, so piped output stays clean)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:  # fmt: skip
        bar.add_task(label, total=None)
        yield


def _print(payload: dict[str, object], sims: list[YearSim], wall: float) -> None:
    from nacc.cli import words
    from nacc.cli.client import language
    from nacc.planning.explain import text_in

    lang = language()

    def say(key: str, **params: object) -> None:
        console.print(words.say(lang, key, **params), markup=False)

    cost = payload["objective_krw"]
    say("plan.summary", feasible=words.say(lang, "plan.yes" if payload["feasible"] else "plan.no"),
        cost_bn=f"{float('nan' if cost is None else cost) / 1e9:,.1f}",  # type: ignore[arg-type]
        seconds=f"{wall:.1f}")  # fmt: skip
    if isinstance(stopped := payload.get("stopped"), dict):
        say("plan.stopped", message=stopped["message"])
    for year in payload["years"]:  # type: ignore[attr-defined]
        say("plan.year", year=year["year"], fleet=year["fleet"], bought=year["bought"],
            leased=year["leased"], domestic=f"{year['domestic_share']:.1%}")  # fmt: skip
    for b in payload["binding"]:  # type: ignore[attr-defined]
        say("plan.binding", constraint=b["constraint"], text=text_in(b, lang))
    infeasible = payload.get("infeasible")
    if isinstance(infeasible, dict):
        for r in infeasible["cheapest_relaxation"]:
            say("plan.relax", text=text_in(r, lang))
    for s in sims:
        say("plan.simulated", year=s.year, minutes=f"{s.avg_queue_s / 60:,.1f}",
            utilisation=f"{s.utilization:.1%}")  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add `nacc plan` to the app."""
    app.command(name="plan")(plan_command)
