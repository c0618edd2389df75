"""Bottom-up construction of the hierarchy: cluster a level, summarize it, repeat.

In ``direct`` mode all levels are clustered first (keyword titles), then summarized bottom-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from hercules.data.chunks import is_on_disk
from hercules.data.dataset import Corpus
from hercules.engine import (
    FaissKMeans,
    KMeansEngine,
    SklearnKMeans,
    choose_k,
    make_engine,
    resampled_kmeans,
)
from hercules.engine.base import group_means, members_by_group, nearest_per_group
from hercules.errors import InputError, ParameterError
from hercules.summarize.base import (
    ChildSummary,
    ClusterBrief,
    LevelRequest,
    Rival,
    Summarizer,
)
from hercules.summarize.keywords import KeywordSummarizer
from hercules.summarize.stats import index_clusters
from hercules.title_quality import member_space, normalize_title
from hercules.tree import ClusterTree, Level

logger = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
LevelFn = Callable[[ClusterTree, int], None]
DescribeFn = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class BuildSettings:
    """What shapes the levels: every field but ``unit_norm_upper_levels`` is the model-role
    parameter of the same name in :mod:`hercules.params`."""

    level_cluster_counts: Sequence[int] | None
    representation_mode: str
    engine: str | KMeansEngine
    random_state: int
    use_resampling: bool
    resampling_steps: int
    resampling_points_per_cluster: int | None
    weight_by_size: bool
    n_representatives: int
    min_clusters_per_level: int
    max_levels: int
    auto_k_max: int | None
    unit_norm_upper_levels: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, Any], **derived: Any) -> BuildSettings:
        """The settings among a model's ``params`` (its ``get_params()``), with the values in
        ``derived`` (such as a distributed ``engine``) taking their place."""
        names = {field.name for field in fields(cls)}
        return cls(**({k: v for k, v in params.items() if k in names} | derived))


def build_tree(
    level0: Level,
    corpus: Corpus,
    settings: BuildSettings,
    summarizer: Summarizer,
    *,
    describe: DescribeFn | None,
    topic_seed: str | None = None,
    progress: ProgressFn | None = None,
    on_level: LevelFn | None = None,
    on_draft: Callable[[ClusterTree], None] | None = None,
    start: ClusterTree | None = None,
    start_labelled: int | None = None,
) -> ClusterTree:
    """Grow levels on top of ``level0`` (or on top of a checkpointed ``start`` tree).

    In ``direct`` mode the levels do not depend on their titles, so every level is built first
    with keyword titles; ``on_draft(tree)`` then sees the whole hierarchy, seconds after the
    vectors exist, before ``summarizer`` rewrites the titles level by level, bottom-up (a
    parent is named from its children). ``description`` mode clusters the written summaries,
    so each level is summarized before the next is built. ``on_level(tree, labelled)`` runs
    after every level built or labelled; ``labelled`` levels (from 1) have their final titles.
    ``start_labelled`` says how many levels of ``start`` have them (default: all). Raises
    :class:`~hercules.errors.InputError` when not one level could be built above the items.
    """
    tree = start if start is not None else ClusterTree([level0], corpus.modality)
    labelled = tree.top_level if start_labelled is None else min(start_labelled, tree.top_level)
    if describe is None and settings.representation_mode == "description":
        raise ParameterError("representation_mode='description' needs a text embedder.")
    draft_first = settings.representation_mode == "direct" and not isinstance(
        summarizer, KeywordSummarizer
    )
    if not draft_first and labelled < tree.top_level:
        tree.levels[labelled + 1 :] = []  # built with draft titles by another order; redo
        tree.levels[labelled].parent = None
        tree._labels.clear()
    if draft_first:
        keywords = KeywordSummarizer()
        while _grow(tree, corpus, settings, progress):
            summarize_clusters(
                tree,
                corpus,
                keywords,
                tree.top_level,
                np.arange(len(tree.levels[-1])),
                n_representatives=settings.n_representatives,
                topic_seed=topic_seed,
                describe=None,
            )
        _check_grown(tree)
        if tree.top_level > labelled:
            if on_level is not None:  # saved first, so the draft can be opened from disk
                on_level(tree, labelled)
            if on_draft is not None:
                on_draft(tree)
        for level in range(labelled + 1, tree.top_level + 1):
            _summarize(tree, level, corpus, summarizer, settings, topic_seed, describe, progress)
            labelled = level
            if on_level is not None:
                on_level(tree, labelled)
        return tree
    while _grow(tree, corpus, settings, progress):
        _summarize(
            tree, tree.top_level, corpus, summarizer, settings, topic_seed, describe, progress
        )
        labelled = tree.top_level
        if on_level is not None:
            on_level(tree, labelled)
    _check_grown(tree)
    return tree


def _check_grown(tree: ClusterTree) -> None:
    if tree.top_level == 0:
        raise InputError(
            f"No level could be built above the {tree.n_items} items (automatic k found no "
            "structure). Give level_cluster_counts explicitly, e.g. [5]."
        )


def _grow(
    tree: ClusterTree, corpus: Corpus, settings: BuildSettings, progress: ProgressFn | None
) -> bool:
    """Cluster the top level into a new one (untitled); False when no level is to be added."""
    counts = settings.level_cluster_counts
    planned = len(counts) if counts is not None else settings.max_levels
    if tree.top_level >= planned:
        return False
    next_id = sum(len(lvl) for lvl in tree.levels[1:])
    prev = tree.levels[-1]
    target = tree.top_level + 1
    X = _clustering_vectors(prev, settings)
    weights = prev.num_items.astype(np.float64) if settings.weight_by_size else None
    engine = make_engine(settings.engine, len(prev), on_disk=is_on_disk(X))
    seed = settings.random_state + target
    if counts is not None:
        k = int(counts[target - 1])
        if k >= len(prev):
            raise ParameterError(
                f"level_cluster_counts asks for k={k} clusters at level {target}, but level "
                f"{target - 1} has only {len(prev)} nodes; give a k below {len(prev)} "
                f"(counts were {list(counts)})."
            )
    else:
        if len(prev) < max(3, 2 * settings.min_clusters_per_level):
            logger.info("Stopping: level %d has only %d nodes.", target - 1, len(prev))
            return False
        k = choose_k(X, engine, sample_weight=weights, seed=seed, k_max=settings.auto_k_max)
        if k < settings.min_clusters_per_level or k <= 1:
            logger.info("Stopping: automatic k=%d at level %d is below the minimum.", k, target)
            return False
    _report(progress, f"Clustering level {target} (k={k})", 0, 1)
    if settings.use_resampling:
        result = resampled_kmeans(
            X,
            k,
            engine,
            sample_weight=weights,
            seed=seed,
            steps=settings.resampling_steps,
            points_per_cluster=settings.resampling_points_per_cluster,
        )
    else:
        result = engine.fit(X, k, sample_weight=weights, seed=seed)
    # The engine's centroids are the (weighted) member means of X; when X is the level's
    # own vectors with the same weights, they are the new level's vectors already.
    same = (
        isinstance(engine, FaissKMeans | SklearnKMeans)
        and X is prev.representation
        and (weights is not None or prev.level == 0)
    )
    new_level = _make_level(
        tree, result.labels, target, next_id, result.centroids if same else None
    )
    tree.levels.append(new_level)
    tree._labels.clear()
    _report(progress, f"Clustering level {target} (k={k})", 1, 1)
    return True


def _clustering_vectors(level: Level, settings: BuildSettings) -> np.ndarray:
    if settings.representation_mode == "direct":
        if level.level == 0 or not settings.unit_norm_upper_levels:
            return level.representation
        # Items live on the unit sphere (cosine embeddings); a centroid's length only says how
        # spread its cluster is, so centroids are clustered by direction, as the items were.
        norms = np.linalg.norm(level.representation, axis=1, keepdims=True)
        return level.representation / np.maximum(norms, 1e-12)
    assert level.description_embedding is not None, "description mode needs description vectors"
    return level.description_embedding


def _make_level(
    tree: ClusterTree,
    labels: np.ndarray,
    target: int,
    first_id: int,
    means: np.ndarray | None = None,
) -> Level:
    """Turn k-means labels of the previous level into a new, size-ordered level.

    ``means`` (k, d), when given, are the size-weighted member means per label, so the
    previous level's vectors need not be read again."""
    prev = tree.levels[-1]
    k = int(labels.max()) + 1
    sizes = np.bincount(labels, weights=prev.num_items, minlength=k).astype(np.int64)
    first_item = np.full(k, np.iinfo(np.int64).max)
    item_labels = labels[tree.labels(target - 1)]
    np.minimum.at(first_item, item_labels, np.arange(len(item_labels)))
    # Largest first, ties by earliest item: ids then mean something and are reproducible.
    order = np.lexsort((first_item, -sizes))
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    prev.parent = rank[labels]
    sizes = sizes[order]
    # Size-weighted: a cluster's vector is the mean of all its level-0 items, not of its
    # children's centroids, so small children do not pull it off.
    if means is not None:
        representation = np.ascontiguousarray(means[order], dtype=np.float32)
    else:
        representation = group_means(prev.representation, prev.parent, k, prev.num_items)
    return Level(
        level=target,
        ids=list(range(first_id, first_id + k)),
        representation=representation,
        num_items=sizes,
        titles=[""] * k,
        descriptions=[""] * k,
    )


def _representatives(tree: ClusterTree, level: int, count: int) -> list[list[int]]:
    """Level-0 items closest to each cluster's centroid, nearest first."""
    groups = nearest_per_group(
        tree.levels[0].representation, tree.labels(level), tree.levels[level].representation, count
    )
    return [group.tolist() for group in groups]


def _summarize(
    tree: ClusterTree,
    level: int,
    corpus: Corpus,
    summarizer: Summarizer,
    settings: BuildSettings,
    topic_seed: str | None,
    describe: DescribeFn | None,
    progress: ProgressFn | None,
) -> None:
    summarize_clusters(
        tree,
        corpus,
        summarizer,
        level,
        np.arange(len(tree.levels[level])),
        n_representatives=settings.n_representatives,
        topic_seed=topic_seed,
        describe=describe,
        progress=progress,
    )


def summarize_clusters(
    tree: ClusterTree,
    corpus: Corpus,
    summarizer: Summarizer,
    level: int,
    indices: np.ndarray,
    *,
    n_representatives: int,
    topic_seed: str | None,
    describe: DescribeFn | None,
    progress: ProgressFn | None = None,
) -> None:
    """(Re)write titles, descriptions and description vectors of some clusters of one level."""
    data = tree.levels[level]
    below = tree.levels[level - 1]
    labels = tree.labels(level)
    if corpus.numeric is not None and level >= 1:
        # One pass over the data for every level's numeric profiles (a no-op once indexed).
        index_clusters(corpus, tree.labels(1), len(tree.levels[1]))
    members = members_by_group(labels, len(data))
    reps = _representatives(tree, level, n_representatives)
    # A parent's prompt shows one example per child: the item closest to the child's centroid.
    child_examples = (
        [r[0] if r else None for r in _representatives(tree, level - 1, 1)] if (level >= 2) else []
    )
    # Each child's members, so a parent's title can be checked against every child.
    child_members = members_by_group(tree.labels(level - 1), len(below)) if level >= 2 else []
    briefs = []
    for c in indices:
        children = []
        if level >= 2:
            assert below.parent is not None
            for child in np.flatnonzero(below.parent == c):
                children.append(
                    ChildSummary(
                        below.ids[child],
                        below.titles[child],
                        below.descriptions[child],
                        int(below.num_items[child]),
                        child_examples[child],
                        child_members[child],
                    )
                )
        briefs.append(
            ClusterBrief(
                cluster_id=data.ids[c],
                level=level,
                num_items=int(data.num_items[c]),
                member_items=members[c],
                representative_items=reps[c],
                children=children,
                parent=int(data.parent[c]) if data.parent is not None else None,
            )
        )
    stage = f"Summarizing level {level}"
    _report(progress, stage, 0, len(briefs))

    reported = [0]

    def advance(done: int, total: int) -> None:
        reported[0] = done
        _report(progress, stage, done, total)

    rivals = _rivals(tree, level)
    taken = frozenset(normalize_title(r.title) for r in rivals)
    request = LevelRequest(
        level,
        briefs,
        corpus,
        topic_seed,
        embed=describe,
        member_vectors=member_space(tree, describe),
        taken_titles=taken,
        rivals=rivals,
        progress=advance if progress is not None else None,
    )
    summaries = summarizer.summarize_level(request)
    if len(summaries) != len(briefs):
        raise RuntimeError(
            f"{type(summarizer).__name__} returned {len(summaries)} summaries for "
            f"{len(briefs)} clusters at level {level}; it must return one per cluster."
        )
    if data.summary_failed is None or len(data.summary_failed) != len(data):
        data.summary_failed = np.zeros(len(data), dtype=bool)
    if data.title_notes is None or len(data.title_notes) != len(data):
        data.title_notes = [""] * len(data)
    if data.title_candidates is None or len(data.title_candidates) != len(data):
        data.title_candidates = [()] * len(data)
    for c, summary in zip(indices, summaries, strict=True):
        data.titles[c] = summary.title
        data.descriptions[c] = summary.description
        data.summary_failed[c] = summary.failed
        data.title_notes[c] = summary.note
        data.title_candidates[c] = tuple(summary.candidates)
    if data.summary_stale is not None:
        data.summary_stale[indices] = False
    if reported[0] != len(briefs):  # a summarizer that does not report per cluster
        _report(progress, stage, len(briefs), len(briefs))
    if describe is not None:
        texts = [f"{s.title}. {s.description}" for s in summaries]
        vectors = np.asarray(describe(texts), dtype=np.float32)
        if data.description_embedding is None or len(indices) == len(data):
            data.description_embedding = np.zeros((len(data), vectors.shape[1]), np.float32)
        data.description_embedding[indices] = vectors


def _rivals(tree: ClusterTree, level: int) -> tuple[Rival, ...]:
    """Every titled node below ``level``, with the id of its ancestor at ``level``."""
    ids = tree.levels[level].ids
    out = []
    for lvl in range(1, level):
        owner = np.arange(len(tree.levels[lvl]))
        for up in range(lvl, level):
            parent = tree.levels[up].parent
            assert parent is not None
            owner = parent[owner]
        out += [
            Rival(title, lvl, ids[int(o)])
            for title, o in zip(tree.levels[lvl].titles, owner, strict=True)
            if title
        ]
    return tuple(out)


def _report(progress: ProgressFn | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


def summarise_clusters(*args: Any, **kwargs: Any) -> None:
    """Deprecated spelling of :func:`summarize_clusters`."""
    import warnings

    warnings.warn(
        "hercules.builder.summarise_clusters is deprecated; use summarize_clusters.",
        DeprecationWarning,
        stacklevel=2,
    )
    summarize_clusters(*args, **kwargs)
