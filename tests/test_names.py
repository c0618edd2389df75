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


def test_a_labeller_object_is_used_and_summarizer_is_deprecated() -> None:
    import numpy as np

    from hercules import Hercules
    from hercules.summarize.keywords import KeywordSummarizer

    class Counting(KeywordSummarizer):
        def __init__(self) -> None:
            super().__init__()
            self.levels: list[int] = []

        def summarize_level(self, request: Any) -> Any:
            self.levels.append(request.level)
            return super().summarize_level(request)

    points = np.vstack([np.zeros((10, 2)), np.full((10, 2), 5.0)]) + np.arange(20)[:, None] * 0.01
    own = Counting()
    model = Hercules([2], labeller=own, random_state=0).fit(points)
    assert own.levels == [1]
    assert model.summarizer_ is own
    old = Counting()
    with pytest.warns(DeprecationWarning, match="pass the object as labeller="):
        Hercules([2], summarizer=old, random_state=0).fit(points)
    assert old.levels == [1]


def test_a_labeller_object_is_not_saved_and_the_default_loads(tmp_path: Any) -> None:
    import numpy as np

    from hercules import Hercules
    from hercules.summarize.keywords import KeywordSummarizer

    points = np.vstack([np.zeros((10, 2)), np.full((10, 2), 5.0)]) + np.arange(20)[:, None] * 0.01
    Hercules([2], labeller=KeywordSummarizer(), random_state=0).fit(points).save_model(tmp_path)
    assert Hercules.load_model(tmp_path).labeller == params.default("labeller")
