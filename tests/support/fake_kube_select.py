"""Label selectors for the FAKE Kubernetes API server (``support.fake_kube``).

The set-based and equality-based syntax of Kubernetes' ``labelSelector`` query
parameter: ``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``, ``a notin (x,y)``, ``a``, ``!a``,
joined by commas. A selector it cannot read raises ``ValueError`` (the server answers 400).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

_SET = re.compile(r"^\s*([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
Test = Callable[[Mapping[str, str]], bool]


def _split(selector: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in selector:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def _term(term: str) -> Test:
    found = _SET.match(term)
    if found:
        key, op, values = found.group(1), found.group(2), {
            v.strip() for v in found.group(3).split(",") if v.strip()}  # fmt: skip
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    for op in ("!=", "==", "="):
        if op in term:
            key, value = (s.strip() for s in term.split(op, 1))
            if not key:
                break
            if op == "!=":
                return lambda labels: labels.get(key) != value
            return lambda labels: labels.get(key) == value
    else:
        if term.startswith("!") and term[1:].strip():
            key = term[1:].strip()
            return lambda labels: key not in labels
        if re.fullmatch(r"[A-Za-z0-9./_-]+", term):
            return lambda labels: term in labels
    raise ValueError(f"unable to parse requirement: {term!r}")


def matches(selector: str | None) -> Test:
    """A test of an object's labels for ``selector`` (None or empty: everything)."""
    tests = [_term(t) for t in _split(selector or "")]
    return lambda labels: all(t(labels) for t in tests)
