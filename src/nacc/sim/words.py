"""The simulation report's words (titles, column names with units, plot labels):
``locale/<lang>/LC_MESSAGES/report.po`` beside this module, Korean and English complete
(tests/unit/sim/test_report_words.py); a key missing from a catalog renders as the key."""

from __future__ import annotations

from nacc.i18n.catalog import Words

WORDS = Words("nacc.sim", "report")
po_path = WORDS.po_path
messages = WORDS.messages
say = WORDS.say
