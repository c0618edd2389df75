"""The map layout (hercules.map_layout): deterministic, right-shaped, sampled, saved, reused."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest

from app_helpers import build_run, corpus, fake_embed
from hercules import Hercules
from hercules.datamap import model_layout
from hercules.errors import ParameterError
from hercules.map_layout import MapLayout, cluster_positions, compute_layout, place_new
from hercules.store.run import LAYOUT_FILE, read_layout, read_manifest

pytest.importorskip("umap")


def blobs(n_per: int = 40, d: int = 16, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 10, size=(k, d))
    labels = np.repeat(np.arange(k), n_per)
    return (centres[labels] + rng.normal(0, 0.5, size=(len(labels), d))).astype(np.float32), labels


def test_same_seed_same_map_and_shape():
    X, _ = blobs()
    a = compute_layout(X, method="umap", seed=3)
    b = compute_layout(X, method="umap", seed=3)
    assert a.xy.shape == (len(X), 2)
    assert a.xy.dtype == np.float32
    assert a.method == "umap"
    np.testing.assert_array_equal(a.xy, b.xy)
    assert np.isfinite(a.xy).all()


def test_umap_keeps_blobs_apart():
    X, labels = blobs()
    xy = compute_layout(X, method="umap", seed=0).xy
    centres = np.array([xy[labels == c].mean(axis=0) for c in range(3)])
    spread = max(np.linalg.norm(xy[labels == c] - centres[c], axis=1).mean() for c in range(3))
    gaps = [np.linalg.norm(centres[i] - centres[j]) for i in range(3) for j in range(i + 1, 3)]
    assert min(gaps) > 2 * spread


def test_large_runs_fit_a_sample_and_transform_the_rest():
    X, labels = blobs(n_per=50)
    seen = []
    layout = compute_layout(
        X, method="umap", seed=0, fit_sample=60, progress=lambda d, t: seen.append((d, t))
    )
    assert layout.info["n_fit"] == 60
    assert layout.info["n_transformed"] == 90
    assert seen[0] == (0, 150)
    assert seen[-1] == (150, 150)
    assert np.isfinite(layout.xy).all()
    # Transformed items land with their own blob: nearest fitted neighbour on the map is
    # from the same blob for nearly all of them.
    same = []
    for i in range(len(X)):
        d = np.linalg.norm(layout.xy - layout.xy[i], axis=1)
        d[i] = np.inf
        same.append(labels[np.argmin(d)] == labels[i])
    assert np.mean(same) > 0.95


@pytest.mark.parametrize(("n", "method"), [(0, "pca"), (1, "pca"), (5, "pca"), (12, "umap")])
def test_tiny_inputs_still_get_positions(n, method):
    X = np.random.default_rng(0).normal(size=(n, 8)).astype(np.float32)
    layout = compute_layout(X, method="umap", seed=0)
    assert layout.xy.shape == (n, 2)
    assert layout.method == method
    assert np.isfinite(layout.xy).all()


def test_pca_method_and_bad_method():
    X, _ = blobs()
    assert compute_layout(X, method="pca").method == "pca"
    with pytest.raises(ParameterError, match="'tsne'"):
        compute_layout(X, method="tsne")


def test_place_new_by_hand():
    old = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], dtype=np.float32)
    xy = np.array([[1.0, 1.0], [5.0, 5.0], [9.0, 9.0]], dtype=np.float32)
    # An exact copy of item 1 sits (almost) on item 1; a point between items 0 and 1 in the
    # vector space sits between their map positions.
    placed = place_new(xy, old, np.array([[10.0, 0.0], [5.0, 0.0]]), k=2)
    np.testing.assert_allclose(placed[0], xy[1], atol=1e-4)
    np.testing.assert_allclose(placed[1], [3.0, 3.0], atol=1e-4)


def test_cluster_positions_sit_on_a_member():
    xy = np.array([[0, 0], [2, 0], [1, 0.5], [10, 10]], dtype=np.float32)
    labels = np.array([0, 0, 0, 2])
    pos = cluster_positions(xy, labels, 3)
    np.testing.assert_array_equal(pos[0], [1, 0.5])  # the member nearest the mean (1, 0.167)
    assert np.isnan(pos[1]).all()  # empty cluster
    np.testing.assert_array_equal(pos[2], [10, 10])


def test_layout_is_saved_with_the_run_and_reused(tmp_path, caplog):
    run = build_run(tmp_path / "run")
    payload, _ = read_manifest(run)
    assert not (payload / LAYOUT_FILE).exists()  # a run saved before any map was drawn
    model = Hercules.load_model(run)
    assert model.layout_ is None
    with caplog.at_level(logging.INFO, logger="hercules.datamap"):
        layout = model_layout(model)
    assert "Drawing the map layout of 60 items" in caplog.text
    saved = read_layout(run)
    assert saved is not None
    np.testing.assert_array_equal(saved[0], layout.xy)
    assert saved[1]["method"] == "umap"
    assert saved[1]["n_items"] == 60
    again = Hercules.load_model(run)
    assert again.layout_ is not None
    np.testing.assert_array_equal(again.layout_.xy, layout.xy)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hercules.datamap"):
        assert model_layout(again) is again.layout_
    assert "Drawing" not in caplog.text


def test_a_layout_of_the_wrong_length_is_ignored(tmp_path, caplog):
    run = build_run(tmp_path / "run")
    from hercules.store.run import write_layout

    write_layout(run, np.zeros((7, 2), np.float32), {"method": "umap"})
    with caplog.at_level(logging.WARNING):
        assert Hercules.load_model(run).layout_ is None
    assert "shape (7, 2) for 60 items" in caplog.text


def test_save_model_writes_the_layout_and_append_places_new_items(tmp_path):
    model = Hercules([6, 2], text_embedding_client=fake_embed, random_state=0, labeller="keywords")
    model.fit(corpus())
    layout = model_layout(model)
    first = layout.xy.copy()
    new = ["rocket orbit launch moon nasa", "guitar album song concert"]
    model.predict(new, append=True)
    assert len(model.layout_) == 62
    np.testing.assert_array_equal(model.layout_.xy[:60], first)  # old items do not move
    assert model.layout_.info["n_placed_later"] == 2
    # The new space item lands among the space items (the first 10 of the corpus).
    space = model.layout_.xy[:10].mean(axis=0)
    music = model.layout_.xy[30:40].mean(axis=0)
    placed = model.layout_.xy[60]
    assert np.linalg.norm(placed - space) < np.linalg.norm(placed - music)
    model.save_model(tmp_path / "run")
    loaded = Hercules.load_model(tmp_path / "run")
    np.testing.assert_array_equal(loaded.layout_.xy, model.layout_.xy)


def test_numeric_run_gets_a_layout(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"a": np.r_[rng.normal(0, 1, 30), rng.normal(20, 1, 30)], "b": rng.normal(0, 1, 60)}
    )
    model = Hercules([2], embed_descriptions=False).fit(frame)
    layout = model_layout(model)
    assert layout.xy.shape == (60, 2)
    assert np.isfinite(layout.xy).all()


def test_layout_round_trips_through_info():
    layout = MapLayout(np.ones((3, 2), np.float32), "umap", {"seed": 1})
    info = json.loads(json.dumps(layout.to_info()))
    back = MapLayout.from_saved(layout.xy, info)
    assert back.method == "umap"
    assert back.info == {"seed": 1}
