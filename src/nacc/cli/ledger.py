"""`nacc ledger verify`: prove the journal balances and matches metered usage; with
``--slurm URL`` also that each job charged on that Slurm matches slurmdbd's accounting."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import typer
from rich.console import Console

from nacc.cli import words
from nacc.cli.say import language

if TYPE_CHECKING:
    from nacc.ledger.verify import VerifyReport
    from nacc.service.context import Services

ledger = typer.Typer(help="The credit ledger.", no_args_is_help=True)
console = Console(width=132, soft_wrap=True)

_SLURM = typer.Option(
    None,
    "--slurm",
    help="slurm://HOST:PORT?tag=T (the pool's backend URL): also check every job charged "
    "there against slurmdbd's accounting (GPUs x elapsed x rate)",
)


@ledger.command()
def verify(slurm: str | None = _SLURM) -> None:
    """Check the journal of the server's database (NACC_DATABASE_URL, else SQLite at
    $NACC_HOME/nacc.db, as `nacc serve`); exit 1 if not OK, 2 if there is no database."""
    from nacc.bootstrap import Settings, build_services  # here: client commands start fast
    from nacc.cli.admin import refuse_missing, shown_url
    from nacc.service.reports import verify_ledger

    settings = Settings()
    refuse_missing(settings.database_url)
    lang = language()
    console.print(words.say(lang, "ledger.database", url=shown_url(settings.database_url)),
                  markup=False)  # fmt: skip
    svc = build_services(settings)
    report = verify_ledger(svc)
    for line in report_lines(report, lang):
        console.print(line, markup=False)
    ok = report.ok
    if slurm is not None:
        ok = _verify_slurm(svc, slurm) and ok
    if not ok:
        raise typer.Exit(1)


def report_lines(report: VerifyReport, lang: str) -> list[str]:
    """``report`` for people in ``lang`` (``ledger.*`` in cli.po): the summary, each check
    with its verdict, each violation as the ledger says it."""
    from nacc.ledger.verify import CHECKS

    problems = len(report.violations)
    verdict = words.say(lang, "ledger.ok") if report.ok else words.say(
        lang, "ledger.problems", n=problems)  # fmt: skip
    out = [words.say(lang, "ledger.head", entries=report.entries, accounts=report.accounts,
                     jobs=report.jobs, verdict=verdict)]  # fmt: skip
    for index in range(len(CHECKS)):
        found = [v for v in report.violations if v.check == index]
        mark = words.say(lang, "ledger.fail" if found else "ledger.pass")
        out.append(f"  [{mark}] {words.say(lang, f'ledger.check.{index}')}")
        out.extend(f"      - {v.message}" for v in found)
    return out


def _verify_slurm(svc: Services, url: str) -> bool:
    from nacc import i18n
    from nacc.adapters.dispatch.slurm import SlurmDispatcher, parse_url
    from nacc.adapters.dispatch.slurm_accounting import accounted, charged_from, check
    from nacc.cli.client import language, message_of
    from nacc.domain.errors import NaccError

    try:
        config = parse_url(urlsplit(url), Path("/"))
        found = accounted(SlurmDispatcher(config).client, config.tag)
    except NaccError as e:
        console.print(f"--slurm {url}: {message_of(e)}", markup=False)  # in the CLI's language
        return False
    charged = []
    with svc.snapshot() as uow:
        for job_id in found:
            c = charged_from(job_id, uow.ledger.usage_for_job(job_id))
            if c is not None:
                charged.append(c)
    result = check(found, charged)
    for said in result.said:  # in the CLI's language (--lang, else the locale)
        console.print(i18n.render(said, language()), markup=False)
    return result.ok
