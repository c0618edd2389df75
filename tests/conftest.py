"""Test-wide isolation: a fresh cache directory per test, keyword titles unless a test asks."""

from __future__ import annotations

import pytest

from hercules.llm import providers


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HERCULES_CACHE_DIR", str(tmp_path_factory.mktemp("hercules-cache")))
    # The local LLM becomes the default labeller when installed; unit tests stay fast and
    # deterministic with keyword titles unless they choose a labeller explicitly: "auto" tries
    # no model here. Processes a test starts pass labeller= themselves.
    monkeypatch.setattr(providers, "AUTO", ())
