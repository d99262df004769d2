"""``scripts/portal_screenshots.py`` (``make screenshots``) runs as documented: here for
one page (``--only fleet``, both languages) so the suite stays short."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from web.conftest import CHROMIUM

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "portal_screenshots.py"


def test_the_script_writes_small_pngs_1000_px_wide(tmp_path: Path) -> None:
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing")
    from PIL import Image

    out = tmp_path / "shots"
    spec = importlib.util.spec_from_file_location("portal_screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)  # the script as a module: no second interpreter to start
    assert script.main([str(out), "--only", "fleet"]) == 0
    shots = sorted(p.name for p in out.iterdir())
    assert shots == ["fleet-en.png", "fleet-ko.png"]
    for name in shots:
        with Image.open(out / name) as image:
            assert image.width == 1000 and image.mode == "P"  # a palette PNG
        assert (out / name).stat().st_size < 150 * 1024
