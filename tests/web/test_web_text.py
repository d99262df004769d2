"""The portal's catalogs are complete: Korean and English have the same keys, every key
a template or module says exists in both, and placeholders match."""

from __future__ import annotations

import re
import string
from importlib.resources import files

import pytest

from nacc.domain.challenges import EntryState
from nacc.domain.datasets import AccessState, Residency, Sensitivity
from nacc.domain.jobs import JobClass
from nacc.domain.lifecycle import JobState
from nacc.domain.notices import LANGS, Channel, Kind
from nacc.domain.programs import OrgKind
from nacc.domain.reservations import ChargeMode
from nacc.ports.store_notices import STATES as NOTICE_STATES
from nacc.ports.store_people_rules import PROPOSAL_STATUSES
from nacc.web import text

WEB = files("nacc.web")
SAID = re.compile(r"""(?:\bt|say\(\w+)\(\s*(?:lang,\s*)?["']([a-z_]+\.[a-z_.-]+)["']""")


def _used() -> set[str]:
    keys: set[str] = set()
    for folder in ("templates", ""):
        for item in (WEB / folder).iterdir() if folder else WEB.iterdir():
            if item.name.endswith((".j2", ".py")):
                keys |= set(SAID.findall(item.read_text()))
    keys |= {f"state.{s}" for s in JobState} | {f"class.{c}" for c in JobClass}
    keys |= {"signin.bad_token"}  # passed to the template by name
    # keys a template builds from a value: each family in full
    keys |= {f"kind.{k}" for k in OrgKind} | {f"status.{s}" for s in PROPOSAL_STATUSES}
    keys |= {f"decide.override_{v}" for v in ("none", "award", "reject")}
    keys |= {f"tranche.at_{c}" for c in ("at_award", "progress_report_accepted")}
    keys |= {f"outcome.{o}" for o in ("awarded", "rejected")}
    # the issue-12 pages (web/programs_pages.py)
    keys |= {f"residency.{r}" for r in Residency} | {f"sensitivity.{x}" for x in Sensitivity}
    keys |= {f"access.state_{a}" for a in AccessState} | {f"entries.state_{e}" for e in EntryState}
    keys |= {f"notice.{k}" for k in Kind} | {f"notify.lang_{lang}" for lang in LANGS}
    keys |= {f"notify.channel_{c}" for c in Channel} | {f"blocks.charge_{c}" for c in ChargeMode}
    keys |= {f"notify.delivery_{n}" for n in NOTICE_STATES}
    keys |= {f"reports_due.state_{r}" for r in ("overdue", "due", "scheduled", "accepted")}
    return {k for k in keys if not k.endswith("_")}  # a prefix: its family is listed above


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_korean_and_english_say_the_same_keys() -> None:
    assert set(text.messages("ko")) == set(text.messages("en"))


@pytest.mark.parametrize("lang", text.LANGUAGES)
def test_every_key_in_use_has_a_message(lang: str) -> None:
    used = _used()
    assert len(used) > 40  # the scan found the templates' keys
    missing = used - set(text.messages(lang))
    assert not missing, f"{lang} web catalog lacks {sorted(missing)}"


def test_placeholders_agree() -> None:
    ko, en = text.messages("ko"), text.messages("en")
    for key in en:
        assert _fields(ko[key]) == _fields(en[key]), key


def test_language_is_the_switch_then_the_cookie_then_the_browser_then_korean() -> None:
    assert text.choose("en", "ko", "ko-KR") == "en"
    assert text.choose(None, "en", "ko-KR") == "en"
    assert text.choose("xx", None, "en-US,en;q=0.9") == "en"
    assert text.choose(None, None, "fr-FR") == "ko"
    assert text.choose(None, None, None) == "ko"
