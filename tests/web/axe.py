"""Accessibility check of the page in the browser: axe-core (vendored from npm under
``vendor/axe-core``) run in the page through Playwright's ``evaluate`` (which the page's
CSP does not block, so the portal needs no exception for it)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


@cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def serious_violations(page: Any) -> list[str]:
    """``rule: target`` for each serious or critical violation on the page (WCAG 2 A/AA
    rules and axe's best practices)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_source() + "\n;undefined")
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}));
    }""")
    return [f"{v['id']}: {', '.join(v['nodes'])}" for v in found if v["impact"] in SERIOUS]
