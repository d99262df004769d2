"""Filling a message's ``{name}`` placeholders with a reason's parameters, readably.

Parameters named ``*_s`` are seconds and read as durations ("1 h 30 min", "1시간 30분"),
``*_krw`` are won ("KRW 1.23 bn", "12.3억 원");
other floats get three significant digits; ``{name!r}`` quotes the raw value (English
messages use it to read exactly as the error's ``str``).
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter

from nacc.domain.reasons import Param

_UNITS = {
    "en": (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)),
    "ko": (("일", 86400), ("시간", 3600), ("분", 60), ("초", 1)),
}
_YES_NO = {"en": ("yes", "no"), "ko": ("예", "아니요")}


def placeholders(template: str) -> list[str]:
    """The parameter names ``template`` uses, in order."""
    return [name for _, name, _, _ in Formatter().parse(template) if name is not None]


def number(value: float) -> str:
    """A number as people write it: whole numbers plain, others to three digits."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}" if abs(value) >= 100 else f"{value:.3g}"


def duration(seconds: float, lang: str) -> str:
    """``seconds`` in the two largest units that matter: "1 h 30 min", "45 s", "2일 3시간"."""
    units = _UNITS.get(lang, _UNITS["en"])
    sign, left = ("-" if seconds < 0 else ""), abs(float(seconds))
    if left < 60:
        value = number(round(left, 1))
        return f"{sign}{value} {units[-1][0]}" if lang == "en" else f"{sign}{value}{units[-1][0]}"
    whole = round(left)
    parts: list[str] = []
    for name, size in units:
        count, whole = divmod(whole, size)
        if count or parts:
            parts.append(f"{count} {name}" if lang == "en" else f"{count}{name}")
        if len(parts) == 2:
            break
    return sign + " ".join(p for p in parts if not p.startswith("0"))


def money(krw: float, lang: str) -> str:
    """An amount in won as people say it: "KRW 1.23 bn" / "12.3억 원", "KRW 4.5 trn" /
    "4.50조 원", "KRW 4.5 M" / "450만 원"."""
    size = abs(krw)
    if lang == "ko":
        if size >= 1e12:
            return f"{krw / 1e12:,.2f}조 원"
        if size >= 1e8:
            return f"{krw / 1e8:,.1f}억 원"
        if size >= 1e4:
            return f"{krw / 1e4:,.0f}만 원"
        return f"{krw:,.0f}원"
    if size >= 1e12:
        return f"KRW {krw / 1e12:,.2f} trn"
    if size >= 1e9:
        return f"KRW {krw / 1e9:,.2f} bn"
    if size >= 1e6:
        return f"KRW {krw / 1e6:,.1f} M"
    return f"KRW {krw:,.0f}"


def value(name: str, raw: Param, lang: str) -> str:
    """One parameter as text in ``lang``: ``*_s`` durations, ``*_krw`` money."""
    if isinstance(raw, bool):
        yes, no = _YES_NO.get(lang, _YES_NO["en"])
        return yes if raw else no
    if isinstance(raw, int | float):
        if name.endswith("_krw"):
            return money(raw, lang)
        return duration(raw, lang) if name.endswith("_s") else number(raw)
    return str(raw)


def fill(template: str, params: Mapping[str, Param], lang: str) -> str | None:
    """``template`` with ``params`` in place; None where a placeholder has no value."""
    out: list[str] = []
    for literal, name, spec, conversion in Formatter().parse(template):
        out.append(literal)
        if name is None:
            continue
        if name not in params:
            return None
        raw = params[name]
        if conversion == "r":
            out.append(repr(raw))
        elif spec:
            try:
                out.append(format(raw, spec))
            except (TypeError, ValueError):
                return None
        else:
            out.append(value(name, raw, lang))
    return "".join(out)
