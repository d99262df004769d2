"""The unit of work itself: what commits, what rolls back, hooks after role changes."""

from __future__ import annotations

import pytest

from nacc.ports.store import Store


def test_kind_names_the_backend(store: Store, kind: str) -> None:
    assert store.kind == kind


def test_roles_changed_hook_runs_after_commit_only(store: Store) -> None:
    calls: list[str] = []
    store.after_roles_changed(lambda: calls.append("x"))
    with pytest.raises(RuntimeError), store.unit() as uow:
        uow.roles_changed()
        raise RuntimeError("refused")
    assert calls == []
    with store.unit() as uow:
        uow.roles_changed()
    assert calls == ["x"]
    with store.unit():
        pass
    assert calls == ["x"]
