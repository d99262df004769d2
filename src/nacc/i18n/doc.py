"""docs/reasons.md from the code list and the catalogs: ``python -m nacc.i18n.doc``.

A test checks that the file in docs/ is what this prints, so the table of codes, their
parameters and their English and Korean messages never drifts from the code.
"""

from __future__ import annotations

import inspect
import sys

from nacc.domain.reason_params import PARAMS
from nacc.domain.reasons import Code
from nacc.i18n import catalog

# What each parameter name means (shared by every code that takes it).
MEANINGS: dict[str, str] = {
    "half_life_s": "a usage half-life (seconds)",
    "rows": "how many rows",
    "pct": "a change in percent, signed (+10, -30)",
    "share": "a share, as a percentage (50.0%)",
    "target": "a target share, as a percentage (50%)",
    "year": "a calendar year",
    "years": "a number of years",
    "basis": "what a share counts (accelerators, or credits per hour)",
    "variants": "how many variants",
    "site": "a site's id in the planning file",
    "gap": "the solver's relative optimality gap, as a percentage",
    "objective_bn": "the solver's objective in KRW bn",
    "saving_krw": "what the change would save, in KRW (shown in 억/조 원 in Korean)",
    "cost_krw": "what one more unit costs, in KRW",
    "amount_krw": "an amount of money in KRW",
    "amount_mw": "grid power in MW",
    "share_pct": "a share target in percent",
    "chip": "an accelerator type",
    "group": "a demand group of the plan",
    "bound_bn": "the solver's best bound in KRW bn",
    "seconds": "a solver's run time in seconds (0.5)",
    "backend": "a dispatch backend, named by its URL without secrets (slurm://head:6820)",
    "resets_at": "when a challenge's daily entry quota resets (ISO 8601 with offset)",
    "split": "a challenge's score split: public or private",
    "metric": "a challenge metric's name (* when a whole split is missing)",
    "value": "a value as the evaluator wrote it",
    "size": "a size in bytes",
    "attempts": "how many times an evaluation was tried",
    "accel_type": "accelerator type (H100-SXM, RNGD, ...)",
    "job": "a nacc job id",
    "jobs": "how many jobs",
    "slurm_job": "a Slurm job id",
    "gpus": "GPUs Slurm accounted to the job",
    "elapsed_s": "the job's elapsed time in Slurm's accounting (seconds)",
    "charged": "credits nacc charged",
    "accounted": "credits Slurm's accounting comes to (GPUs x elapsed x rate)",
    "credit_rate": "credits per GPU-hour",
    "allowed": "what an award allows (job classes or accelerator types), comma-separated",
    "database": "a database URL (without its password)",
    "dataset": "dataset name (the catalog's)",
    "email": "an e-mail address",
    "job_class": "a job class (pretraining, fine-tuning, inference, ...)",
    "project": "project id",
    "report": "a progress report's number (1, 2, 3: at 1, 3 and 9 months)",
    "due": "when a progress report was due (ISO 8601)",
    "tranche": "a tranche's number (1 is released at award)",
    "valid_until": "when a project's validity ends (ISO 8601)",
    "suggestion": "the known name closest to the unknown one",
    "types": "accelerator types asked for, comma-separated",
    "account": "ledger account (project:3, usage, ...)",
    "allocation": "the policy's share of the accelerator type for the job (0..1)",
    "amount": "credits asked",
    "available": "accelerators of the pool not booked by other blocks over the time asked",
    "balance": "credits on the account now",
    "block": "reservation (capacity block) id",
    "cause": "what the credits are for (English)",
    "change": "signed change of the balance",
    "conflicting": "the blocks already booked over that time, comma-separated",
    "count": "accelerators asked",
    "devices": "device indices of the process",
    "exit_code": "the process's exit status",
    "expected": "the values accepted",
    "files": "how many files were written",
    "folder": "a folder written to",
    "field": "where in the input (body.accelerators, file:line)",
    "floor": "lowest balance allowed",
    "free": "accelerators free in the pool",
    "id": "the id asked for",
    "invitation": "team invitation id",
    "interval_s": "longest wait between two allocations (seconds)",
    "kind": "what was asked for (job, project, policy, ...)",
    "known": "the names that exist, comma-separated",
    "limit": "the bound the value broke",
    "limit_s": "the job's time limit (seconds)",
    "message": "English text (kept as is in every language)",
    "name": "a name (the caller's, a signal's, the unknown one)",
    "needed": "accelerators the job needs",
    "pid": "process id",
    "policy": "the scheduling policy (fifo, slurm, las, gavel, nacc)",
    "pool": "pool id",
    "priority": "the job's priority under the policy",
    "proposal": "proposal id",
    "call": "call id",
    "closes_at": "when the call's submissions close (UTC)",
    "opens_at": "when the call's submissions open (UTC)",
    "budget": "a call's budget (credits)",
    "proposals": "how many proposals the call has",
    "now": "the present time (UTC)",
    "problem": "what was expected (English)",
    "problems": "what is wrong, semicolon-separated (English)",
    "ran_s": "how long the job ran (seconds)",
    "reason": "the engine's own reason word (Slurm: Priority, AssocGrpGRES, ...; "
    "Kueue: Pending, Inadmissible, ...)",
    "rate": "submissions allowed per second and token",
    "rank": "a proposal's place in the call's ranking (1 = best score)",
    "score": "a proposal's mean weighted review score, two decimals (8.50)",
    "minimum": "the call's minimum score to be awarded",
    "requested": "credits a proposal asked for",
    "left": "credits of the call's budget still unawarded",
    "result": "the balance after the change",
    "retry_after_s": "how long to wait before trying again (seconds)",
    "roles": "roles that would allow it (operator or officer)",
    "scope": "where the role must hold (project:3, program:1)",
    "shortfall": "credits missing",
    "signal": "signal number",
    "state": "Slurm's job state (CANCELLED, ...), a Kubernetes Job's condition (Failed), "
    "or an invitation's (accepted, ...)",
    "status": "HTTP status",
    "queues": "how many Kueue ClusterQueues",
    "token": "API token id",
    "user": "user id",
    "waited_s": "how long the job waited (seconds)",
}


def groups() -> list[tuple[str, list[Code]]]:
    """The codes under the comments that group them in ``Code``'s source."""
    out: list[tuple[str, list[Code]]] = []
    for line in inspect.getsource(Code).splitlines():
        text = line.strip()
        if text.startswith("# "):
            out.append((text[2:], []))
        elif "=" in text and out:
            name = text.split("=")[0].strip()
            if name in Code.__members__:
                out[-1][1].append(Code[name])
    return out


def _cell(text: str | None) -> str:
    return "" if text is None else text.replace("|", "\\|")


_INTRO = """# Reasons and error codes

Generated by `python -m nacc.i18n.doc > docs/reasons.md` from `nacc.domain.reasons`
and the catalogs `src/nacc/i18n/locale/{en,ko}/LC_MESSAGES/nacc.po` (a test keeps
them equal). A reason is `Reason.of(code, **params)`; it becomes text only at the
edge: `nacc.i18n.render(reason, lang)` (API: `Accept-Language` or `?lang=`; CLI:
`--lang`, else `LC_ALL`/`LC_MESSAGES`/`LANG`). Parameters named `*_s` are seconds
and read as durations (`3600` -> `1 h`, `1시간`). A reason missing a parameter its
message needs renders as `code{k=v, ...}`. Errors carry the same codes: problem+json
has `code`, `params` and a `detail` in the request's language (English: the error's
own message).

To add a code: add it to `Code` (`nacc.domain.reasons`) and `PARAMS`
(`nacc.domain.reason_params`), a message to both catalogs, a meaning for any new parameter
to `nacc.i18n.doc.MEANINGS`, then regenerate this file."""


def _code_tables() -> list[str]:
    lines: list[str] = []
    for heading, codes in groups():
        lines += ["", f"## {heading[0].upper()}{heading[1:]}", ""]
        lines += ["| code | params | English | Korean |", "| --- | --- | --- | --- |"]
        for code in codes:
            params = ", ".join(f"`{p}`" for p in PARAMS.get(code, ())) or "—"
            en, ko = (_cell(catalog.lookup(lang, code)) for lang in ("en", "ko"))
            lines.append(f"| `{code}` | {params} | {en} | {ko} |")
    return lines


def _title_table() -> list[str]:
    lines = ["", "## Problem titles (by the error class's code)", ""]
    lines += ["| code | English | Korean |", "| --- | --- | --- |"]
    for code in Code:
        en, ko = (catalog.lookup(lang, code, catalog.TITLE) for lang in ("en", "ko"))
        if en is not None or ko is not None:
            lines.append(f"| `{code}` | {_cell(en)} | {_cell(ko)} |")
    return lines


def render() -> str:
    """The whole of docs/reasons.md."""
    lines = [_INTRO, *_code_tables(), *_title_table()]
    lines += ["", "## Parameters", "", "| param | meaning |", "| --- | --- |"]
    lines += [f"| `{name}` | {MEANINGS[name]} |" for name in sorted(MEANINGS)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(render())
