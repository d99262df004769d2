"""The portal's pages load only the portal's own files, and the heaviest page's assets
stay under 500 KB compressed (issue 10); every vendored file keeps its licence beside it."""

from __future__ import annotations

import gzip
import re
from importlib.resources import files

STATIC = files("nacc.web") / "static"
TEMPLATES = files("nacc.web") / "templates"
LIMIT = 500 * 1024
ASSET = re.compile(r"""(?:src|href)="(/static/[^"]+)\"""")


def _assets(name: str, seen: set[str] | None = None) -> set[str]:
    """The /static files a template and the templates it extends load."""
    body = (TEMPLATES / name).read_text(encoding="utf-8")
    found = set(ASSET.findall(body))
    parent = re.search(r'{% extends "([^"]+)" %}', body)
    return found | (_assets(parent.group(1)) if parent else set())


def _compressed(path: str) -> int:
    data = (STATIC / path.removeprefix("/static/")).read_bytes()
    return len(gzip.compress(data, compresslevel=9))


def test_the_heaviest_page_loads_under_500_kb_compressed() -> None:
    pages = [t.name for t in TEMPLATES.iterdir() if t.name.endswith(".html.j2")]
    weights = {name: sum(_compressed(a) for a in _assets(name)) for name in pages}
    heaviest = max(weights, key=lambda n: weights[n])
    assert "/static/vendor/echarts/echarts.simple.min.js" in _assets("fleet.html.j2")
    assert weights[heaviest] > 150 * 1024  # the charts' library is counted
    assert weights[heaviest] < LIMIT, (heaviest, weights[heaviest])


def test_pages_name_no_other_host() -> None:
    for t in TEMPLATES.iterdir():
        body = t.read_text(encoding="utf-8")
        assert not re.search(r"""(?:src|href)="(?:https?:)?//""", body), t.name


def test_each_vendored_package_has_its_licence() -> None:
    vendor = STATIC / "vendor"
    for package in (p for p in vendor.iterdir() if p.is_dir()):
        assert (package / "LICENSE").is_file(), package.name
