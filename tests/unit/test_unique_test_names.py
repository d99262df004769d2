"""Test modules outside packages are imported by their file name alone (pytest's
``prepend`` import mode), so two such files with one name in different folders break the
collection of the whole suite ("import file mismatch") though each passes on its own.
Keep every import name unique."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def import_name(path: Path) -> str:
    """The module name pytest imports ``path`` under: dotted from its top package."""
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def test_every_test_module_has_its_own_import_name() -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for path in TESTS.rglob("*.py"):
        if path.name not in ("__init__.py", "conftest.py"):
            seen[import_name(path)].append(str(path.relative_to(TESTS)))
    twice = {name: where for name, where in seen.items() if len(where) > 1}
    assert not twice, twice
