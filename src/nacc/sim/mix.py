"""Mixes a trace does not carry: job classes and programs assigned by a stated share.

Most public traces say nothing of a job's class (so no work is NPU-eligible unless a reader
assumes some) or of the allocation program that funds it (so waits cannot be split by
program). ``--class-mix`` and ``--program-mix`` state the shares; the pick is deterministic:
CRC-32 of the job id (classes) or of the project (programs, so a project stays in one
program) taken modulo the total weight, the same on every run and every machine.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import replace

from nacc.domain.errors import InputError
from nacc.domain.jobs import JobClass, JobSpec

Mix = tuple[tuple[str, int], ...]


def parse_mix(text: str, flag: str, known: Sequence[str] | None = None) -> Mix:
    """``"inference=30,fine-tuning=70"`` as ((name, weight), ...); whole weights >= 0 with a
    positive sum; names from ``known`` when given. Errors name the flag and the entry."""
    entries: list[tuple[str, int]] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, weight = (s.strip() for s in part.partition("="))
        if not sep or not name:
            raise InputError(flag, f"expected NAME=WEIGHT entries, comma-separated; got {part!r}")
        if known is not None and name not in known:
            raise InputError(flag, f"unknown name {name!r}; expected one of {', '.join(known)}")
        if not weight.isdecimal():
            raise InputError(flag, f"expected a whole weight >= 0 for {name!r}, got {weight!r}")
        if any(name == seen for seen, _ in entries):
            raise InputError(flag, f"{name!r} is given twice")
        entries.append((name, int(weight)))
    if sum(w for _, w in entries) <= 0:
        raise InputError(flag, f"expected at least one positive weight, got {text!r}")
    return tuple(entries)


def parse_class_mix(text: str) -> Mix:
    return parse_mix(text, "--class-mix", [c.value for c in JobClass])


def pick(key: str, mix: Mix) -> str:
    """The mix entry ``key`` falls on (CRC-32 of the key modulo the total weight)."""
    point = zlib.crc32(key.encode()) % sum(w for _, w in mix)
    for name, weight in mix:
        if point < weight:
            return name
        point -= weight
    raise AssertionError("unreachable: the point is below the total weight")


def with_classes(jobs: Sequence[JobSpec], mix: Mix) -> list[JobSpec]:
    """Every job's class picked from ``mix`` by its id (replacing what the reader assumed)."""
    return [replace(j, job_class=JobClass(pick(str(j.id), mix))) for j in jobs]


def with_programs(jobs: Sequence[JobSpec], mix: Mix) -> list[JobSpec]:
    """Every project's jobs in the program ``mix`` picks for the project."""
    memo: dict[str, str] = {}
    out: list[JobSpec] = []
    for j in jobs:
        program = memo.get(j.project)
        if program is None:
            program = memo[j.project] = pick(j.project, mix)
        out.append(replace(j, program=program))
    return out
