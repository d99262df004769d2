"""Evaluations: an entry's evaluation runs as a job on the fleet, and ``settle`` records
what it gave.

``launch`` stores an ``inference`` job of the challenge's evaluation project (so it is
charged to the challenge's program, never to the team, and any accelerator that runs
inference — the domestic NPUs too — qualifies). The job runs the challenge's command with

* ``NACC_METRICS_FILE``: where the evaluator writes its metrics JSON,
  ``{"public": {metric: number}, "private": {...}}`` (a fresh folder per attempt under
  ``<workdir>/../evaluations``, named unguessably, writable by the job's account);
* ``NACC_TEST_DATA``: the hidden test data's path (in the job's command, which only the
  evaluation project's readers — officers, operators — may see);
* ``NACC_MODEL_REF``: the entry's model/checkpoint reference;
* ``NACC_PUBLIC_FRACTION``, ``NACC_CHALLENGE``, ``NACC_ENTRY_ID``.

``settle`` (the live scheduler calls it after each step) looks at every pending or
running entry's job: a completed job's metrics file is read (never through a link, at
most 64 KiB) and checked by ``nacc.domain.challenges.read_metrics`` — sound: ``scored``;
else ``invalid`` with the coded reason. A platform failure (time limit, lost, launch
refused) is retried once, then ``platform_failed``; a non-zero exit is ``failed``; a
cancelled job ``cancelled``. What uses quota: ``nacc.domain.challenges.COUNTED``.
"""

from __future__ import annotations

import errno
import logging
import os
import shlex
import stat
import uuid
from datetime import datetime
from pathlib import Path

from nacc.domain.challenges import (
    MAX_METRICS_BYTES,
    EntryState,
    MetricsRefused,
    read_metrics,
    verdict,
)
from nacc.domain.errors import Conflict
from nacc.domain.reasons import Code, Reason
from nacc.ledger.accounts import InsufficientCredits, project, usage_credits
from nacc.ports.store import UnitOfWork
from nacc.ports.store_challenges import ChallengeRow, EntryChange, EntryRow
from nacc.ports.store_jobs import NewJob
from nacc.service.challenges import EVALUATION_CLASS
from nacc.service.context import Services
from nacc.service.jobs import Pricing

log = logging.getLogger("nacc.challenges")


def evaluations_dir(svc: Services) -> Path:
    return svc.workdir.parent / "evaluations"


def _metrics_path(svc: Services, entry: EntryRow, attempt: int) -> Path:
    root = evaluations_dir(svc)
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o711)  # others may pass through, not list
    folder = root / f"e{entry.id}-a{attempt}-{uuid.uuid4().hex}"
    folder.mkdir()
    os.chmod(folder, 0o733)  # the job's account (maybe another uid) writes; none lists
    return folder / "metrics.json"


def _command(ch: ChallengeRow, entry: EntryRow, metrics: Path) -> str:
    env = {
        "NACC_METRICS_FILE": str(metrics),
        "NACC_TEST_DATA": ch.spec.test_data,
        "NACC_MODEL_REF": entry.model_ref,
        "NACC_PUBLIC_FRACTION": f"{ch.spec.public_fraction:g}",
        "NACC_CHALLENGE": ch.spec.name,
        "NACC_ENTRY_ID": str(entry.id),
    }
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    return f"export {exports}\n{ch.spec.command}"


def launch(svc: Services, uow: UnitOfWork, ch: ChallengeRow, entry: EntryRow, by: int,
           pricing: Pricing) -> EntryRow:  # fmt: skip
    """Store the entry's next evaluation job (attempt + 1), checking the challenge's
    evaluation budget (``InsufficientCredits`` when it does not cover the estimate)."""
    spec = ch.spec
    rate = pricing.worst_rate(EVALUATION_CLASS, spec.accelerator_types)
    if rate is None:
        raise Conflict(f"no accelerator of {list(spec.accelerator_types or ['any'])} in this "
                       f"fleet runs {EVALUATION_CLASS}")  # fmt: skip
    estimate = usage_credits(spec.accelerators, spec.time_limit_s, rate)
    funds = uow.projects.funds(ch.project_id, lock=True)
    assert funds is not None, f"challenge {ch.id}'s evaluation project is gone"
    if estimate > funds.available:
        cause = f"the evaluation of entry {entry.id} (the challenge's evaluation budget)"
        raise InsufficientCredits(project(str(ch.project_id)), funds.available, estimate,
                                  estimate - funds.available, cause)  # fmt: skip
    attempt = entry.attempt + 1
    metrics = _metrics_path(svc, entry, attempt)
    job = NewJob(
        id=f"j-{uuid.uuid4().hex[:12]}", project_id=ch.project_id, submitted_by=by,
        command=_command(ch, entry, metrics), accelerators=spec.accelerators,
        job_class=EVALUATION_CLASS, accelerator_types=spec.accelerator_types,
        time_limit_s=spec.time_limit_s, reserve=estimate,
    )  # fmt: skip
    view, _ = uow.jobs.create(job, svc.clock())
    change = EntryChange(state=EntryState.PENDING, attempt=attempt, job_id=view.id,
                         metrics_path=str(metrics))  # fmt: skip
    return uow.challenges.change(entry.id, change)


def settle(svc: Services, pricing: Pricing) -> int:
    """Record what ended evaluation jobs gave; how many entries changed."""
    changed = 0
    with svc.unit() as uow:
        for entry in uow.challenges.live_entries():
            changed += _settle_one(svc, uow, entry, pricing)
    return changed


def _settle_one(svc: Services, uow: UnitOfWork, entry: EntryRow, pricing: Pricing) -> int:
    job = uow.jobs.get(entry.job_id) if entry.job_id else None
    if job is None:
        return 0
    if job.state in ("pending", "running"):
        if job.state != entry.state:
            uow.challenges.change(entry.id, EntryChange(state=job.state))
            return 1
        return 0
    ch = uow.challenges.get(entry.challenge_id)
    assert ch is not None
    end = job.finished_at or svc.clock()
    v = verdict(job.state, job.reason, job.exit_code, entry.attempt)
    if v.retry:
        try:
            launch(svc, uow, ch, entry, job.submitted_by, pricing)
        except InsufficientCredits:
            uow.challenges.change(entry.id, EntryChange(
                state=EntryState.PLATFORM_FAILED, reason=v.reason, finished_at=end))  # fmt: skip
        return 1
    if v.state is not None:
        uow.challenges.change(entry.id, EntryChange(state=v.state, reason=v.reason,
                                                    finished_at=end))  # fmt: skip
        return 1
    uow.challenges.change(entry.id, _scored(ch, entry, end))
    return 1


def _scored(ch: ChallengeRow, entry: EntryRow, end: datetime) -> EntryChange:
    try:
        raw = _read(Path(entry.metrics_path or ""))
    except FileNotFoundError:
        return EntryChange(state=EntryState.INVALID, reason=Reason(Code.METRICS_FILE_MISSING),
                           finished_at=end)  # fmt: skip
    except OSError as error:
        why = Reason.of(Code.METRICS_NOT_JSON, problem=f"unreadable: {error.strerror}")
        return EntryChange(state=EntryState.INVALID, reason=why, finished_at=end)
    try:
        scores = read_metrics(raw, ch.spec.metrics)
    except MetricsRefused as refused:
        return EntryChange(state=EntryState.INVALID, reason=refused.reason, finished_at=end)
    return EntryChange(state=EntryState.SCORED, public=scores["public"],
                       private=scores["private"], finished_at=end)  # fmt: skip


def _read(path: Path) -> bytes:
    """The metrics file's first bytes (one more than the limit, so an oversize file is
    seen), never through a link, only a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, "the metrics file is a link") from None
        raise
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError(errno.EINVAL, "the metrics file is not a regular file")
        return f.read(MAX_METRICS_BYTES + 1)
