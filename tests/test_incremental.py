"""New items into a fitted tree: routing, appending, stale flags and targeted relabelling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hercules import Hercules, InputError, KeywordSummarizer
from tests.fakes import HashingEmbedder, nested_blobs, topic_texts


class CountingSummarizer(KeywordSummarizer):
    """Keyword labels, counting how many clusters each level asked for."""

    def __init__(self):
        super().__init__()
        self.requested: list[tuple[int, int]] = []

    def summarize_level(self, request):
        self.requested.append((request.level, len(request.clusters)))
        return super().summarize_level(request)


def test_training_items_route_to_their_own_clusters():
    texts, _ = topic_texts()
    model = Hercules([6, 3], text_embedding_client=HashingEmbedder()).fit(texts)
    routed = model.predict(texts)
    for level in (1, 2):
        np.testing.assert_array_equal(routed[f"level_{level}_id"], model.labels_[level])
    assert (routed["level_1_distance"] >= 0).all()


def test_numeric_routing_uses_the_fitted_scaling(tmp_path):
    X, blob, _ = nested_blobs()
    model = Hercules([4, 2], embed_descriptions=False).fit(X)
    model.save_model(tmp_path / "run")
    loaded = Hercules.load_model(tmp_path / "run")
    # Points near each blob centre land in that blob's cluster, also after a reload.
    centres = np.array([[0.1, 0.1], [0.0, 2.9], [19.8, 0.2], [20.1, 3.1]])
    routed = loaded.predict(centres)
    expected = [model.labels_[1][np.flatnonzero(blob == b)[0]] for b in range(4)]
    assert routed["level_1_id"].tolist() == expected


def test_numeric_columns_must_match():
    frame = pd.DataFrame({"a": [0.0, 1.0, 10.0, 11.0], "b": [0.0, 0.5, 9.0, 9.5]})
    model = Hercules([2], embed_descriptions=False).fit(frame)
    with pytest.raises(InputError, match=r"columns \['b', 'a'\].*\['a', 'b'\]"):
        model.predict(frame[["b", "a"]])


def test_append_flags_only_clusters_that_grew_and_relabel_redoes_only_those(tmp_path):
    texts, labels = topic_texts(per_topic=20)
    summarizer = CountingSummarizer()
    model = Hercules([3], text_embedding_client=HashingEmbedder(), labeller=summarizer)
    model.fit(texts)
    space = next(n for n in model.tree_.nodes(1) if labels[n.member_indices[0]] == "space")
    before = {n.id: n.num_items for n in model.tree_.nodes(1)}
    new_texts = ["orbit rocket launch nasa shuttle"] * 5  # 5 new items for a 20-item cluster
    routed = model.predict(new_texts, append=True, stale_threshold=0.1)
    assert set(routed["level_1_id"]) == {space.id}
    assert model.tree_.n_items == 65
    assert len(model.labels_[1]) == 65
    after = {n.id: n.num_items for n in model.tree_.nodes(1)}
    assert after[space.id] == before[space.id] + 5
    stale = [n.id for n in model.tree_.nodes(1) if n.summary_stale]
    assert stale == [space.id]
    # Saved and reloaded, the flags survive; relabel asks the summarizer for that one cluster.
    model.save_model(tmp_path / "run")
    reloaded = Hercules.load_model(
        tmp_path / "run", text_embedding_client=HashingEmbedder(), labeller=summarizer
    )
    summarizer.requested.clear()
    assert reloaded.relabel() == {1: 1}
    assert summarizer.requested == [(1, 1)]
    assert not any(n.summary_stale for n in reloaded.tree_.nodes(1))
    assert reloaded.relabel() == {}


def test_appended_cluster_vectors_are_means_of_all_members():
    X, _, _ = nested_blobs()
    model = Hercules([4, 2], embed_descriptions=False).fit(X)
    model.predict(np.array([[0.0, 0.0], [20.0, 3.0]]), append=True)
    reps = model.tree_.levels[0].representation
    for level in (1, 2):
        for node in model.tree_.nodes(level):
            np.testing.assert_allclose(
                node.representation_vector, reps[node.member_indices].mean(axis=0), atol=1e-5
            )
    assert model.tree_.levels[0].reductions["representation_pca"].shape == (102, 2)


def test_vectors_of_another_model_are_refused():
    texts, _ = topic_texts()
    model = Hercules([3], text_embedding_client=HashingEmbedder()).fit(texts)
    with pytest.raises(InputError, match="same embedder"):
        model.predict(texts[:2], embeddings=np.zeros((2, 10)))


def test_cli_assign_append_then_relabel(tmp_path):
    from typer.testing import CliRunner

    from hercules.cli import app

    X, _, _ = nested_blobs()
    table = tmp_path / "points.csv"
    pd.DataFrame(X, columns=["x", "y"]).to_csv(table, index=False)
    new = tmp_path / "new.csv"
    pd.DataFrame({"x": [0.0] * 5, "y": [0.0] * 5}).to_csv(new, index=False)
    run = tmp_path / "run"
    runner = CliRunner()
    assert (
        runner.invoke(app, ["run", str(table), "--levels", "4,2", "--out", str(run)]).exit_code == 0
    )
    result = runner.invoke(app, ["assign", str(run), str(new), "--append"])
    assert result.exit_code == 0, result.output
    # The 25-item blob grew by 20% (stale); its 50-item pair by exactly 10% (not above).
    assert "1 cluster(s) flagged stale" in result.output
    assert Hercules.load_model(run).tree_.n_items == 105
    result = runner.invoke(app, ["relabel", str(run)])
    assert result.exit_code == 0, result.output
    assert "Relabelled 1 cluster(s)" in result.output
