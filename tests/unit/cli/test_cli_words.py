"""The command line's own words (``nacc.cli.words``, ``cli.po``): Korean and English
have the same keys, every key the commands name is in both, and every report dimension
and period has a label."""

from __future__ import annotations

import re
from importlib.resources import files

from nacc.cli import main, words
from nacc.service.reports_usage import DIMENSIONS, PERIODS, WAIT_GROUPS

SOURCES = (
    "client.py",
    "usercmds.py",
    "officer.py",
    "say.py",
    "jobfile.py",
    "main.py",
    "whatif.py",
    "access.py",
    "datasets.py",
    "admin.py",
    "challenges.py",
    "serve.py",
    "sweep.py",
    "plan.py",
    "usage.py",
)
KEY = re.compile(r"""(?:say\([a-z_]+(?:\(\))?, |_say\()"([a-z_.]+)"|"""
                 r""""((?:col|dim|per|error|jobfile|sim|whatif|plan|serve|sweep|usage)\.[a-z_.]+)"|"""
                 r"""f"col\.\{c\}" for c in \(([^)]*)\)""")  # fmt: skip


def _keys_in_sources() -> set[str]:
    found: set[str] = set()
    for name in SOURCES:
        body = (files("nacc.cli") / name).read_text(encoding="utf-8")
        for said, labelled, listed in KEY.findall(body):
            files_ = (".", ".json", ".csv", ".png")  # a file name, not a key
            found |= {k for k in (said, labelled) if k and not k.endswith(files_)}
            found |= {f"col.{c}" for c in re.findall(r'"([a-z_]+)"', listed)}
    return found


def test_both_languages_have_every_key() -> None:
    ko, en = words.messages("ko"), words.messages("en")
    assert set(ko) == set(en) and len(en) > 40
    used = _keys_in_sources()
    assert {"jobs.title", "col.state", "award.preview.title", "cancel.requested"} <= used
    assert used <= set(en), sorted(used - set(en))
    assert {f"dim.{d}" for d in (*DIMENSIONS, *WAIT_GROUPS)} <= set(en)
    assert {f"per.{p}" for p in PERIODS} <= set(en)
    assert {"error.not_logged_in", "jobfile.positive", "sim.title", "whatif.title"} <= used
    assert {"serve.listening", "sweep.start", "plan.summary", "plan.binding"} <= used
    assert {"usage.no_option", "usage.bad_value", "usage.options", "serve.demo.token"} <= used
    sweep_cols = ("scenario", "policy", "load", "seeds", "wait", "jct", "p99", "lb", "busy", "jain")
    assert {f"sweep.col.{c}" for c in sweep_cols} <= set(en)  # built as f"sweep.col.{col}"
    # keys the sources build: the simulate table's headers, the job file's list fields
    assert {f"sim.col.{c}" for c in main._COLUMNS} | {"jobfile.types", "jobfile.datasets"} <= set(
        en
    )


def test_words_are_filled_in_the_language_asked() -> None:
    assert words.say("ko", "jobs.title", project=3, total=12) == "프로젝트 3: 작업 12개"
    assert words.say("en", "jobs.title", project=3, total=12) == "project 3: 12 jobs"
    assert words.say("fr", "col.state") == "state"  # a language we lack: English
    assert words.say("en", "no.such.key") == "no.such.key"
