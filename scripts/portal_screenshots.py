"""Screenshots of every portal page in Korean and English (docs/screenshots/).

    .venv/bin/python scripts/portal_screenshots.py docs/screenshots

Starts the portal on a throw-away SQLite database with the browser tests' people and
calls (tests/web/world.py, tests/web/personas.py), walks each persona's pages in Debian's
Chromium (1000 px wide) and writes ``<page>-<lang>.png``, reduced to a 128-colour palette
(Pillow). ``--only NAME`` takes one page (the test of this script uses it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from support.waiting import wait_until  # noqa: E402
from web.conftest import ARGS, CHROMIUM  # noqa: E402
from web.personas import Cast, cast  # noqa: E402
from web.programs_cast import Programs, seed, who  # noqa: E402
from web.world import Portal, serve  # noqa: E402

WIDTH = 1000
LOCALES = {"ko": "ko-KR", "en": "en-US"}


def _shrink(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def _signed_in(browser: Any, portal: Portal, lang: str, token: str) -> Any:
    context = browser.new_context(locale=LOCALES[lang], viewport={"width": WIDTH, "height": 700})
    page = context.new_page()
    page.goto(f"{portal.url}/portal/signin?lang={lang}")
    page.fill("#token", token)
    page.click("#signin")
    page.wait_for_url(f"{portal.url}/")
    return page


def _pages(portal: Portal, c: Cast) -> list[tuple[str, str, Callable[[Any], None]]]:
    """(page name, whose token, how to get there from a signed-in home page)."""
    u = portal.url

    def go(path: str) -> Callable[[Any], None]:
        return lambda page: page.goto(u + path)

    def job(page: Any) -> None:
        for command, count, cls, types, state in (
            ("sleep 300", "2", "inference", "RNGD", "running"),
            ("echo 'hello from the portal'; sleep 2", "1", "fine-tuning", "", "completed"),
        ):
            page.goto(f"{u}/portal/projects/{portal.project_id}")  # the first keeps running
            page.fill("#command", command)
            page.select_option("#job_class", cls)
            page.fill("#accelerators", count)
            page.fill("#accelerator_types", types)
            page.click("#submit")
            expect(page.locator("#state")).to_have_class(f"state state-{state}", timeout=30_000)

    def preview(page: Any) -> None:
        page.goto(f"{u}/portal/calls/{c.closed_call}/manage")
        page.select_option(f"#o-{c.proposals[1]}", "award")
        page.fill(f"#r-{c.proposals[1]}", "domestic NPU porting")
        page.click("#preview")
        page.locator("#preview-result").wait_for()

    pi, rev, off, ops = portal.pi_token, c.reviewer, c.officer, c.operator
    return [
        ("projects", pi, go("/")),
        ("job", pi, job),
        ("project", pi, go(f"/portal/projects/{portal.project_id}")),
        ("calls", pi, go("/portal/calls")),
        ("apply", pi, go(f"/portal/calls/{c.open_call}/apply")),
        ("review", rev, go("/portal/review")),
        ("review-proposal", rev, go(f"/portal/review/proposals/{c.proposals[0]}")),
        ("programs", off, go("/portal/programs")),
        ("call-manage", off, preview),
        ("call-edit", off, go(f"/portal/calls/{c.open_call}/edit")),
        ("fleet", ops, go("/portal/fleet")),
        ("people", ops, go("/portal/people")),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNGs (created)")
    parser.add_argument("--only", help="one page name (e.g. signin, fleet)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        # jobs run as their own accounts: they pass through (not list) the folder to reach
        # their job folders and the challenge's evaluator and its metrics folder
        Path(tmp).chmod(0o711)
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        fleet = {"H100-SXM": 2, "RNGD": 4}  # a foreign and a domestic pool
        for portal in serve(f"sqlite:///{tmp}/nacc.db", Path(tmp), fleet):
            c = cast(portal.svc)
            _review(portal, c)
            made = _programs(portal, c, Path(tmp), fleet)
            for lang in LOCALES:
                context = browser.new_context(locale=LOCALES[lang],
                                              viewport={"width": WIDTH, "height": 700})  # fmt: skip
                if args.only in (None, "signin"):
                    page = context.new_page()
                    page.goto(f"{portal.url}/portal/signin?lang={lang}")
                    _write(page, args.out / f"signin-{lang}.png")
                context.close()
                for name, token, reach in _pages(portal, c) + _program_pages(portal, c, made):
                    if args.only not in (None, name):
                        continue
                    page = _signed_in(browser, portal, lang, token)
                    reach(page)
                    page.wait_for_load_state("networkidle")
                    _write(page, args.out / f"{name}-{lang}.png")
                    page.context.close()
        browser.close()
    return 0


def _review(portal: Portal, c: Cast) -> None:
    """One review, so the officer's page shows a score."""
    from nacc.service import reviews
    from nacc.service.auth import Principal

    svc = portal.svc
    with svc.unit() as uow:
        roles = frozenset(uow.people.roles_of(c.reviewer_id))
        user = uow.people.get_user(c.reviewer_id)
        assert user is not None
    who = Principal(c.reviewer_id, user.name, user.organisation_id, roles)
    reviews.submit_review(svc, who, c.proposals[0], {"novelty": 8, "feasibility": 7}, "solid")


def _programs(portal: Portal, c: Cast, tmp: Path, fleet: dict[str, int]) -> Programs:
    """The datasets, challenge, overdue report of ``web.programs_cast``, an entry of the
    PI's team and a booked block."""
    from datetime import timedelta

    from nacc.bootstrap import local_pools, pricing
    from nacc.catalog.throughput import default_model
    from nacc.service import challenge_entries, reservations

    svc = portal.svc
    p = seed(svc, c, portal.pi_token, portal.project_id, tmp, fleet)
    pools, _ = local_pools(fleet)
    entry = challenge_entries.submit(svc, who(svc, portal.pi_token), p.challenge,
                                     portal.project_id, "0.81:0.79",
                                     pricing(pools, default_model()))  # fmt: skip

    def evaluated() -> bool:
        with svc.unit() as uow:
            row = uow.challenges.entry(entry.id)
        return row is not None and row.state not in ("pending", "running")

    wait_until(evaluated, 60, what="the entry's evaluation")
    start = (svc.clock() + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    ask = reservations.Booking("npu-hackathon", 2, start, start + timedelta(hours=8),
                               (portal.project_id,), pool_id=p.pool, charge="use_plus_idle",
                               idle_fee=0.2)  # fmt: skip
    reservations.book(svc, who(svc, c.officer), pools, ask)
    return p


def _program_pages(portal: Portal, c: Cast,
                   p: Programs) -> list[tuple[str, str, Callable[[Any], None]]]:  # fmt: skip
    """The issue-12 pages (datasets, challenges, notices, blocks)."""

    def go(path: str) -> Callable[[Any], None]:
        return lambda page: page.goto(portal.url + path)

    pi, off = portal.pi_token, c.officer
    return [
        ("datasets", pi, go("/portal/datasets")),
        ("dataset", off, go("/portal/datasets/ko-wiki")),
        ("challenges", pi, go("/portal/challenges")),
        ("challenge-team", pi, go(f"/portal/challenges/{p.challenge}/teams/{portal.project_id}")),
        ("challenge-entries", off, go(f"/portal/challenges/{p.challenge}/entries")),
        ("notify", pi, go("/portal/me/notify")),
        ("progress-reports", off, go("/portal/progress-reports")),
        ("blocks", off, go("/portal/blocks")),
    ]


def _write(page: Any, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    _shrink(path)
    print(f"{path} {path.stat().st_size // 1024} KB", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
