"""Test-wide isolation: a fresh cache directory per test, keyword titles unless a test asks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hercules.llm import providers


@pytest.fixture(autouse=True, scope="session")
def _no_automatic_model() -> Iterator[None]:
    # The local LLM becomes the default labeller when installed; tests stay fast and
    # deterministic with keyword titles unless they choose a labeller explicitly: "auto" tries
    # no model here. Session-wide, so that module-scoped fixtures, set up before any
    # function-scoped one, get it too. Processes a test starts pass labeller= themselves.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(providers, "AUTO", ())
        yield


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HERCULES_CACHE_DIR", str(tmp_path_factory.mktemp("hercules-cache")))
