"""Job files for ``nacc submit job.yaml`` (like a SkyPilot task or an sbatch script)::

    project: 1
    command: |
      python train.py --epochs 3
    workdir: ~/work/llm        # default: where nacc submit runs, when the server is local
    env: {HF_HOME: /data/hf, SEED: "1"}
    accelerators: 2
    class: fine-tuning
    types: [H100-SXM, H200]    # or "H100-SXM,H200"; names are read case-tolerantly
    time_limit: 2h             # seconds, or a number with s, m, h or d
    datasets: [kor-med]        # catalog names (approved access): NACC_DATASET_<NAME> paths

Every problem names the file, the line and the field, and what was expected, in the CLI's
language (``JobFileError.text``; the words are ``jobfile.*`` in ``cli.po``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nacc.cli import words
from nacc.domain.errors import InputError

KEYS = ("project", "command", "workdir", "env", "accelerators", "class", "types", "time_limit",
        "datasets")  # fmt: skip
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class JobFileError(InputError):
    """A problem with a job file: where (file:line: field) and a ``cli.po`` key with its
    parameters; its ``str`` is English, ``text(lang)`` any language."""

    def __init__(self, where: str, key: str, **params: object) -> None:
        super().__init__(where, words.say("en", key, **params))
        self.key, self.said = key, params

    def text(self, lang: str) -> str:
        return f"{self.where}: {words.say(lang, self.key, **self.said)}"


@dataclass
class JobFile:
    project: int | None = None
    command: str | None = None
    workdir: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    accelerators: int | None = None
    job_class: str | None = None
    types: list[str] | None = None
    time_limit_s: int | None = None
    datasets: list[str] = field(default_factory=list)


def duration_s(text: str) -> int:
    """``3600``, ``90s``, ``30m``, ``2h``, ``1d`` -> seconds (a ValueError if not)."""
    m = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if m is None or int(m.group(1)) <= 0:
        raise ValueError(words.say("en", "jobfile.duration"))
    return int(m.group(1)) * _UNITS[m.group(2) or "s"]


def read(path: Path) -> JobFile:
    """The job file at ``path`` (an ``InputError`` naming file:line and field if bad)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise JobFileError(str(path), "jobfile.unreadable", error=error.strerror) from None
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", error)
        raise JobFileError(where, "jobfile.not_yaml", error=problem) from None
    if root is None:
        raise JobFileError(str(path), "jobfile.empty")
    if not isinstance(root, yaml.MappingNode):
        raise JobFileError(f"{path}:{root.start_mark.line + 1}", "jobfile.not_mapping",
                           keys=", ".join(KEYS))  # fmt: skip
    out = JobFile()
    for key_node, value_node in root.value:
        key = str(key_node.value)
        where = f"{path}:{key_node.start_mark.line + 1}: {key}"
        if key not in KEYS:
            raise JobFileError(where, "jobfile.unknown_field", keys=", ".join(KEYS))
        value = yaml.safe_load(yaml.serialize(value_node))
        _set(out, key, value, where)
    return out


def _set(out: JobFile, key: str, value: Any, where: str) -> None:
    if key == "project":
        out.project = _positive(value, where)
    elif key == "command":
        if not isinstance(value, str) or not value.strip():
            raise JobFileError(where, "jobfile.command")
        out.command = value
    elif key == "workdir":
        if not isinstance(value, str) or not value:
            raise JobFileError(where, "jobfile.workdir")
        out.workdir = value
    elif key == "env":
        out.env = _env(value, where)
    elif key == "accelerators":
        out.accelerators = _positive(value, where)
    elif key == "class":
        if not isinstance(value, str):
            raise JobFileError(where, "jobfile.class")
        out.job_class = value
    elif key in ("types", "datasets"):
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(t, str) and t.strip() for t in items):
            raise JobFileError(where, f"jobfile.{key}")
        if key == "types":
            out.types = [t.strip() for t in items]
        else:
            out.datasets = [t.strip() for t in items]
    else:  # time_limit
        try:
            out.time_limit_s = _positive(value, where) if isinstance(value, int) else duration_s(
                str(value))  # fmt: skip
        except ValueError:
            raise JobFileError(where, "jobfile.duration") from None


def _env(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k) for k in value
    ):
        raise JobFileError(where, "jobfile.env_names")
    if any(isinstance(v, (dict, list)) or v is None for v in value.values()):
        raise JobFileError(where, "jobfile.env_values")
    return {k: str(v) for k, v in value.items()}


def _positive(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise JobFileError(where, "jobfile.positive", value=repr(value))
    return value
