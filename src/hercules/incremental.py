"""New items into an existing hierarchy: route, optionally append, flag outdated summaries.

Routing takes each new vector to its nearest level-1 centroid (in the level-0 representation
space, where level 1 was fitted) and follows the tree upwards, so a path is always consistent:
its level-2 cluster is the parent of its level-1 cluster, and so on. A training item lands in
its own cluster whenever k-means converged, since each centroid is the mean of its members.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from hercules.builder import ProgressFn, summarize_clusters
from hercules.data.dataset import Corpus
from hercules.engine import assign
from hercules.errors import InputError
from hercules.map_layout import MapLayout, place_new
from hercules.reduce import PCAProjection, apply_reductions
from hercules.summarize.base import Summarizer
from hercules.summarize.snippets import level0_summaries
from hercules.tree import ClusterTree

logger = logging.getLogger(__name__)


def route(tree: ClusterTree, vectors: np.ndarray) -> dict[int, np.ndarray]:
    """Index of the cluster that receives each vector, per level 1..top."""
    expected = tree.levels[0].representation.shape[1]
    if vectors.ndim != 2 or vectors.shape[1] != expected:
        raise InputError(
            f"New item vectors have shape {vectors.shape}; this run's vectors have {expected} "
            "dimensions. Use the same embedder (or embeddings of the same model) as the run."
        )
    paths = {1: assign(vectors, tree.levels[1].representation)}
    for level in range(2, tree.top_level + 1):
        parent = tree.levels[level - 1].parent
        assert parent is not None
        paths[level] = parent[paths[level - 1]]
    return paths


def placement_frame(
    tree: ClusterTree, corpus: Corpus, vectors: np.ndarray
) -> tuple[pd.DataFrame, dict[int, np.ndarray]]:
    """One row per new item (its cluster id and title per level, its distance to its level-1
    centroid), and the routed paths."""
    paths = route(tree, vectors)
    frame = pd.DataFrame({"item_id": corpus.ids})
    for lvl, idx in paths.items():
        frame[f"level_{lvl}_id"] = np.asarray(tree.levels[lvl].ids)[idx]
        frame[f"level_{lvl}_title"] = np.asarray(tree.levels[lvl].titles, dtype=object)[idx]
    centroids = tree.levels[1].representation[paths[1]]
    frame["level_1_distance"] = np.linalg.norm(vectors - centroids, axis=1)
    return frame, paths


def relabel_clusters(
    tree: ClusterTree,
    corpus: Corpus,
    summarizer: Summarizer,
    *,
    stale_only: bool,
    topic_seed: str | None,
    describe: Callable[[], Any],
    n_representatives: int,
    progress: ProgressFn | None,
) -> dict[int, int]:
    """Rewrite the summaries of every cluster (or of the stale ones); clusters redone per level.
    ``describe()`` gives the description embedder, asked for only where a level keeps
    description vectors. Titles set by hand (:mod:`hercules.edits`) are kept: those clusters
    are not asked for, and a stale flag on one stays (its membership grew since the edit);
    a parent named here reads them as its children's titles."""
    done: dict[int, int] = {}
    for level in range(1, tree.top_level + 1):
        data = tree.levels[level]
        if stale_only:
            flags = data.summary_stale
            indices = np.flatnonzero(flags) if flags is not None else np.zeros(0, np.int64)
        else:
            indices = np.arange(len(data))
        if data.title_edited is not None and len(indices):
            kept = data.title_edited[indices]
            if kept.any():
                logger.info("Level %d: kept %d title(s) set by hand.", level, int(kept.sum()))
            indices = indices[~kept]
        if len(indices) == 0:
            continue
        summarize_clusters(
            tree,
            corpus,
            summarizer,
            level,
            indices,
            n_representatives=n_representatives,
            topic_seed=topic_seed,
            describe=describe() if data.description_embedding is not None else None,
            progress=progress,
        )
        done[level] = len(indices)
    return done


def append_new(
    tree: ClusterTree,
    corpus: Corpus,
    new: Corpus,
    vectors: np.ndarray,
    paths: dict[int, np.ndarray],
    *,
    stale_threshold: float,
    projections: dict[str, PCAProjection],
    layout: MapLayout | None = None,
) -> dict[int, np.ndarray]:
    """:func:`append_items` with the new items' snippet titles, then the 2-D views redrawn
    with the run's fitted projections and the new items placed on the map ``layout`` (when
    the run has one: :func:`hercules.map_layout.place_new`); returns the stale cluster
    indices per level."""
    if layout is not None and len(layout) == tree.n_items:
        placed = place_new(layout.xy, tree.levels[0].representation, vectors)
        layout.xy = np.vstack([layout.xy, placed])
        layout.info["n_placed_later"] = int(layout.info.get("n_placed_later", 0)) + len(placed)
    titles, descriptions = level0_summaries(new)
    stale = append_items(
        tree,
        corpus,
        new,
        vectors,
        paths,
        titles=titles,
        descriptions=descriptions,
        stale_threshold=stale_threshold,
    )
    for level in tree.levels:
        level.reductions.clear()
    apply_reductions(tree, projections)
    return stale


def append_items(
    tree: ClusterTree,
    corpus: Corpus,
    new: Corpus,
    vectors: np.ndarray,
    paths: dict[int, np.ndarray],
    *,
    titles: list[str],
    descriptions: list[str],
    stale_threshold: float,
) -> dict[int, np.ndarray]:
    """Add routed items to the tree and the corpus; return the stale cluster indices per level.

    Cluster vectors become the means over old and new members; sizes grow. A cluster is stale
    when its new members exceed ``stale_threshold`` of its previous size.
    """
    if new.modality != corpus.modality:
        raise InputError(f"New items are {new.modality} but the run holds {corpus.modality} items.")
    base = tree.levels[0]
    n_old = len(base)
    shared = base.description_embedding is base.representation
    base.ids = list(base.ids) + list(new.ids)
    base.representation = np.vstack([base.representation, vectors.astype(np.float32)])
    if shared:
        base.description_embedding = base.representation
    elif base.description_embedding is not None:
        base.description_embedding = None  # not computed for the new items; dropped honestly
    base.num_items = np.concatenate([base.num_items, np.ones(len(vectors), dtype=np.int64)])
    base.titles = list(base.titles) + titles
    base.descriptions = list(base.descriptions) + descriptions
    base.parent = np.concatenate([base.parent, paths[1]]) if base.parent is not None else None
    _extend_corpus(corpus, new)
    stale: dict[int, np.ndarray] = {}
    for level in range(1, tree.top_level + 1):
        data = tree.levels[level]
        k = len(data)
        added = np.bincount(paths[level], minlength=k)
        sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
        np.add.at(sums, paths[level], vectors.astype(np.float64))
        old = data.num_items.astype(np.float64)
        data.representation = (
            (data.representation * old[:, None] + sums) / (old + added)[:, None]
        ).astype(np.float32)
        data.num_items = data.num_items + added
        flags = added > stale_threshold * old
        if data.summary_stale is None:
            data.summary_stale = np.zeros(k, dtype=bool)
        data.summary_stale |= flags
        stale[level] = np.flatnonzero(flags)
    tree._labels.clear()
    logger.info("Appended %d items to a run of %d.", len(vectors), n_old)
    return stale


def _extend_corpus(corpus: Corpus, new: Corpus) -> None:
    corpus.ids = list(corpus.ids) + list(new.ids)
    if corpus.texts is not None:
        corpus.texts = list(corpus.texts) + list(new.texts or [])
    elif corpus.image_paths is not None:
        corpus.image_paths = list(corpus.image_paths) + list(new.image_paths or [])
    else:
        assert corpus.numeric is not None
        assert new.numeric is not None
        corpus.numeric = pd.concat([corpus.numeric, new.numeric], ignore_index=True)
    corpus._cache.clear()
