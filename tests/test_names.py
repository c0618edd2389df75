"""One name per thing: deprecated spellings still work, with a warning; one declaration each."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from hercules import builder, parallel, params
from hercules.parallel import factory


def test_summarise_clusters_is_a_deprecated_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(builder, "summarize_clusters", lambda *a, **k: calls.append((a, k)))
    with pytest.warns(DeprecationWarning, match="use summarize_clusters"):
        builder.summarise_clusters(1, 2, level=3)
    assert calls == [((1, 2), {"level": 3})]


def test_backends_are_declared_once() -> None:
    assert parallel.BACKENDS is params.BACKENDS
    assert factory.BACKENDS is params.BACKENDS


@pytest.mark.parametrize("module", ["hercules.summarize.level0", "hercules.embed.openai_http"])
def test_renamed_modules_are_gone(module: str) -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(module)
