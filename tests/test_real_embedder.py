"""The real default embedder (int8 ONNX MiniLM) on real 20 Newsgroups text, end to end."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from hercules import Hercules
from hercules.data.newsgroups import default_path, load_newsgroups
from hercules.embed import MiniLMEmbedder

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
