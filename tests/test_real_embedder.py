"""The real default embedder (int8 ONNX MiniLM) on real 20 Newsgroups text, end to end."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from hercules import Hercules
from hercules.data.newsgroups import default_path, load_newsgroups
from hercules.embed import MiniLMEmbedder
from hercules.embed.onnx_minilm import _batches
from hercules.errors import ParameterError

needs_corpus = pytest.mark.skipif(
    default_path() is None, reason="20 Newsgroups file not found (../shared/data)"
)
GROUPS = ["comp.graphics", "rec.sport.hockey", "sci.space", "soc.religion.christian"]


@pytest.fixture(scope="module")
def embedder():
    return MiniLMEmbedder(num_threads=2)


def test_embeddings_are_unit_vectors_and_semantic(embedder):
    vectors = embedder.embed(
        [
            "The rocket reached orbit.",
            "A spacecraft was launched.",
            "My favourite pasta recipe.",
            "",
        ]
    )
    assert vectors.shape == (4, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_batching_and_length_sorting_do_not_change_results(embedder):
    texts = ["short", "a much longer sentence about hockey and goalies " * 5, "medium text here"]
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


@pytest.mark.parametrize(
    ("lengths", "max_texts", "max_tokens", "groups"),
    [
        # shortest first; three short texts fit 512 tokens, 2 x 256 would need 512 + padding
        ([5, 300, 10, 10, 256], 32, 512, [[0, 2, 3], [4], [1]]),
        ([5, 300, 10, 10, 256], 2, 512, [[0, 2], [3, 4], [1]]),
        # a text longer than the budget still goes, alone
        ([600, 600], 32, 512, [[0], [1]]),
        ([4, 4, 4, 4], 32, 8, [[0, 1], [2, 3]]),
    ],
)
def test_batches_group_by_token_count(lengths, max_texts, max_tokens, groups):
    found = _batches(np.array(lengths), max_texts, max_tokens)
    assert [g.tolist() for g in found] == groups


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tokens_per_batch": 0}, "tokens_per_batch must be >= 1, got 0"),
        ({"num_threads": 0}, "num_threads must be >= 1 or None"),
        ({"sessions": 0}, "sessions must be >= 1 or None"),
    ],
)
def test_bad_embedder_settings_are_named(options, message):
    with pytest.raises(ParameterError, match=message):
        MiniLMEmbedder(**options)


@pytest.mark.parametrize(
    ("threads", "sessions", "expected"), [(2, None, 2), (1, None, 1), (2, 1, 1)]
)
def test_sessions_side_by_side_give_the_same_vectors(embedder, threads, sessions, expected):
    texts = [f"post {i} about " + "hockey goalies " * (i % 7) for i in range(40)]
    side_by_side = MiniLMEmbedder(num_threads=threads, sessions=sessions, tokens_per_batch=64)
    vectors = side_by_side.embed(texts)
    assert len(side_by_side._sessions) == expected
    alone = MiniLMEmbedder(num_threads=1).embed(texts)
    np.testing.assert_allclose(vectors, alone, atol=1e-5)


@pytest.mark.parametrize("tokens_per_batch", [16, 512, 100_000])
def test_token_budget_does_not_change_results(embedder, tokens_per_batch):
    texts = ["", "short", "goalies and hockey " * 40, "a medium text about rockets", "x y z"]
    budgeted = MiniLMEmbedder(num_threads=2, tokens_per_batch=tokens_per_batch).embed(texts)
    alone = np.vstack([embedder.embed([t]) for t in texts])
    np.testing.assert_allclose(budgeted, alone, atol=1e-5)


def test_sort_windows_keep_input_order_and_progress(embedder, monkeypatch):
    import hercules.embed.onnx_minilm as onnx_minilm

    texts = ["rockets " * 30, "a", "hockey goalies", "pasta recipe with basil", "orbit " * 9]
    whole = embedder.embed(texts)
    monkeypatch.setattr(onnx_minilm, "SORT_WINDOW", 2)  # windows [0, 1], [2, 3], [4]
    seen: list[tuple[int, int]] = []
    windowed = MiniLMEmbedder(num_threads=2, progress=lambda d, t: seen.append((d, t))).embed(texts)
    np.testing.assert_allclose(windowed, whole, atol=1e-5)
    assert seen[-1] == (5, 5)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@needs_corpus
def test_twenty_newsgroups_sample_end_to_end(embedder, tmp_path):
    corpus = load_newsgroups(subset="test")
    rng = np.random.default_rng(0)
    picked = []
    for group in GROUPS:
        idx = [
            i for i, c in enumerate(corpus.categories) if c == group and len(corpus.texts[i]) > 200
        ]
        picked += list(rng.choice(idx, size=75, replace=False))
    texts = [corpus.texts[i] for i in picked]
    truth = [corpus.categories[i] for i in picked]
    model = Hercules([12, 4], text_embedding_client=embedder).fit(texts)
    metrics = model.evaluate_level(2, truth)
    # Four well-separated newsgroups: MiniLM + k-means separates them clearly (measured 0.7-0.9).
    assert metrics["ari"] > 0.6, metrics
    assert adjusted_rand_score(truth, model.labels_[1]) > 0.3
    model.save_model(tmp_path / "run")
    assert Hercules.load_model(tmp_path / "run").get_cluster_membership_dataframe().shape[0] == 300
