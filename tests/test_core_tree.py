"""Hand-worked toy hierarchies and invariance checks of the whole pipeline (no real models)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from hercules import Hercules, KeywordSummarizer
from tests.fakes import HashingEmbedder, nested_blobs, topic_texts


def _fit(X, levels=(4, 2), **kwargs):
    return Hercules(list(levels), embed_descriptions=False, **kwargs).fit(X)


def test_nested_blobs_give_the_expected_tree():
    X, blob, pair = nested_blobs()
    model = _fit(X)
    assert model.tree_.top_level == 2
    assert adjusted_rand_score(blob, model.labels_[1]) == 1.0
    assert adjusted_rand_score(pair, model.labels_[2]) == 1.0
    top = model.tree_.nodes(2)
    assert [c.num_items for c in top] == [50, 50]
    for node in top:
        assert sorted(child.num_items for child in node.children) == [25, 25]
        assert all(child.parent == node for child in node.children)
    # Level-2 ids continue after level 1's, so ids are unique across the tree.
    ids = [n.id for lvl in (1, 2) for n in model.tree_.nodes(lvl)]
    assert len(set(ids)) == len(ids) == 6


def test_cluster_returns_top_level_and_membership_is_consistent():
    X, _, _ = nested_blobs()
    model = Hercules([4, 2], embed_descriptions=False)
    top = model.cluster(X)
    assert len(top) == 2
    frame = model.get_cluster_membership_dataframe()
    assert list(frame.columns) == [
        "item_index",
        "item_id",
        "item_title",
        "level_1_id",
        "level_1_title",
        "level_1_title_edited",
        "level_2_id",
        "level_2_title",
        "level_2_title_edited",
    ]
    # Every item's level-2 cluster is the parent of its level-1 cluster.
    for _, row in frame.iterrows():
        l1 = model.tree_.find(row["level_1_id"], level=1)
        assert l1.parent is not None
        assert l1.parent.id == row["level_2_id"]


def test_representation_is_the_mean_of_all_items():
    X, _, _ = nested_blobs()
    model = _fit(X)
    scaled = (X - X.mean(axis=0)) / X.std(axis=0)  # numeric items are standardised
    np.testing.assert_allclose(model.tree_.levels[0].representation, scaled, rtol=1e-5, atol=1e-5)
    for lvl in (1, 2):
        for node in model.tree_.nodes(lvl):
            expected = scaled[node.member_indices].mean(axis=0)
            np.testing.assert_allclose(node.representation_vector, expected, rtol=1e-5, atol=1e-5)


def test_same_seed_same_tree_and_input_not_mutated():
    X, _, _ = nested_blobs()
    before = X.copy()
    a, b = _fit(X, random_state=3), _fit(X, random_state=3)
    np.testing.assert_array_equal(X, before)
    for lvl in (1, 2):
        np.testing.assert_array_equal(a.labels_[lvl], b.labels_[lvl])
        assert a.tree_.levels[lvl].titles == b.tree_.levels[lvl].titles


def test_row_order_does_not_change_the_partition():
    X, _blob, _ = nested_blobs()
    perm = np.random.default_rng(1).permutation(len(X))
    a, b = _fit(X), _fit(X[perm])
    assert adjusted_rand_score(a.labels_[1][perm], b.labels_[1]) == 1.0
    assert adjusted_rand_score(a.labels_[2][perm], b.labels_[2]) == 1.0
    # Ids are ordered by size then first item, so sizes per id match too.
    assert list(a.tree_.levels[2].num_items) == list(b.tree_.levels[2].num_items)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_float_precision_does_not_change_the_tree(dtype):
    X, blob, pair = nested_blobs()
    model = _fit(X.astype(dtype))
    assert adjusted_rand_score(blob, model.labels_[1]) == 1.0
    assert adjusted_rand_score(pair, model.labels_[2]) == 1.0


@pytest.mark.parametrize("engine", ["sklearn", "faiss"])
@pytest.mark.parametrize("use_resampling", [False, True], ids=["plain", "resampled"])
def test_engines_and_resampling_recover_blobs(engine, use_resampling):
    X, blob, pair = nested_blobs()
    model = _fit(X, engine=engine, use_resampling=use_resampling)
    assert adjusted_rand_score(blob, model.labels_[1]) == 1.0
    assert adjusted_rand_score(pair, model.labels_[2]) == 1.0


def test_automatic_k_finds_three_blobs():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.3, size=(40, 2)) for c in [(0, 0), (10, 0), (0, 10)]])
    model = Hercules(None, embed_descriptions=False, max_levels=1).fit(X)
    assert len(model.tree_.levels[1]) == 3


def test_text_pipeline_names_topics_by_their_words():
    texts, labels = topic_texts()
    embedder = HashingEmbedder()
    model = Hercules([3], text_embedding_client=embedder).fit(texts)
    assert adjusted_rand_score(labels, model.labels_[1]) == 1.0
    vocab = {
        topic: set(words.split())
        for topic, words in {
            "space": "orbit rocket launch nasa shuttle satellite moon astronaut",
            "hockey": "hockey puck goalie skate rink playoff penalty stanley",
            "cooking": "recipe oven garlic simmer bake flour butter onion",
        }.items()
    }
    for node in model.tree_.nodes(1):
        topic = labels[node.member_indices[0]]
        title_words = set(node.title.split(" / "))
        assert title_words, node.title
        assert title_words <= vocab[topic], (node.title, topic)
    # Items embedded once (besides them: the 3 level-1 labels, key-word candidates, a probe).
    inputs = set(texts)
    assert sum(text in inputs for text in embedder.seen) == len(texts)
    labels_embedded = [
        f"{t}. {d}"
        for t, d in zip(
            model.tree_.levels[1].titles, model.tree_.levels[1].descriptions, strict=True
        )
    ]
    assert all(embedder.seen.count(label) == 1 for label in labels_embedded)


def test_precomputed_embeddings_skip_the_embedder():
    texts, labels = topic_texts()
    vectors = HashingEmbedder().embed(texts)

    def refuse(_items):
        raise AssertionError("embedder must not be called for level-0 items")

    model = Hercules([3], text_embedding_client=refuse, embed_descriptions=False)
    model.fit(texts, embeddings=vectors)
    np.testing.assert_array_equal(model.tree_.levels[0].representation, vectors)
    assert adjusted_rand_score(labels, model.labels_[1]) == 1.0


def test_description_mode_clusters_description_embeddings():
    texts, labels = topic_texts(per_topic=12)
    model = Hercules(
        [6, 3], representation_mode="description", text_embedding_client=HashingEmbedder(dim=512)
    ).fit(texts)
    assert model.tree_.top_level == 2
    assert all(lvl.description_embedding is not None for lvl in model.tree_.levels)
    assert adjusted_rand_score(labels, model.labels_[2]) == 1.0


def test_numeric_titles_use_metadata_names_and_original_units():
    rng = np.random.default_rng(0)
    import pandas as pd

    frame = pd.DataFrame(
        {
            "h": np.r_[rng.normal(150, 2, 30), rng.normal(190, 2, 30)],
            "w": np.r_[rng.normal(50, 1, 30), rng.normal(50, 1, 30)],
        }
    )
    meta = {"h": {"name": "height", "unit": "cm"}, "w": {"name": "weight", "unit": "kg"}}
    model = Hercules([2], embed_descriptions=False)
    model.fit(frame, numeric_metadata=meta)
    titles = sorted(n.title for n in model.tree_.nodes(1))
    assert titles == ["High height", "Low height"]
    tall = next(n for n in model.tree_.nodes(1) if n.title == "High height")
    assert "cm" in tall.description
    assert "190" in tall.description


def test_evaluate_level_reports_every_metric_family():
    texts, labels = topic_texts()
    model = Hercules([3], text_embedding_client=HashingEmbedder()).fit(texts, topic_seed="hockey")
    metrics = model.evaluate_level(1, ground_truth_labels=labels)
    for key in (
        "silhouette",
        "davies_bouldin",
        "calinski_harabasz",
        "ari",
        "nmi",
        "homogeneity",
        "completeness",
        "v_measure",
        "fowlkes_mallows",
        "llm_silhouette",
        "topic_alignment",
    ):
        assert key in metrics, key
    assert metrics["ari"] == pytest.approx(1.0)
    assert -1.0 <= metrics["topic_alignment"] <= 1.0


def test_custom_summarizer_is_used_and_checked():
    X, _, _ = nested_blobs()

    class Counting(KeywordSummarizer):
        def __init__(self):
            super().__init__()
            self.levels: list[int] = []

        def summarize_level(self, request):
            self.levels.append(request.level)
            return super().summarize_level(request)

    summarizer = Counting()
    _fit(X, labeller=summarizer)
    assert summarizer.levels == [1, 2]


def test_a_parent_request_lists_each_childs_members():
    X, _, _ = nested_blobs()

    class Keeping(KeywordSummarizer):
        def __init__(self):
            super().__init__()
            self.requests = []

        def summarize_level(self, request):
            self.requests.append(request)
            return super().summarize_level(request)

    summarizer = Keeping()
    model = _fit(X, labeller=summarizer)
    parents = summarizer.requests[1]
    level1 = model.tree_.labels(1)
    for brief in parents.clusters:
        kids = brief.children
        assert len(kids) >= 1
        joined = np.sort(np.concatenate([kid.member_items for kid in kids]))
        np.testing.assert_array_equal(joined, np.sort(brief.member_items))
        for kid in kids:
            assert len(set(level1[kid.member_items].tolist())) == 1
            assert len(kid.member_items) == kid.num_items


def test_print_hierarchy_lists_every_cluster(capsys):
    X, _, _ = nested_blobs()
    model = _fit(X)
    model.print_hierarchy()
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 6
    assert out[0].startswith("L2 #")
    assert out[1].startswith("  L1 #")
