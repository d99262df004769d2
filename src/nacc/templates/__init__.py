"""HTML templates shipped with the package (Jinja2, autoescaped) and the one way to fill them.

Templates lie beside this module as ``*.html.j2`` (package data, so a non-editable install
has them). Every value is escaped unless a template marks it safe, so a job, policy or plan
name with markup in it shows as text.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("nacc", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails, never renders empty
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **context: Any) -> str:
    """The template ``name`` (e.g. ``"sim_report.html.j2"``) filled with ``context``."""
    return _environment().get_template(name).render(**context)
