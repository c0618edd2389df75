"""Metrics for one level: internal, external (vs ground truth), LLM-based and topic alignment.

Internal metrics score the level-0 representation vectors grouped by the level's clusters.
"LLM" metrics score the description embeddings of the level below grouped by this level's
clusters: do the written summaries of the children agree with where they were put?
Topic alignment is the mean cosine similarity between the topic seed and the level's
description embeddings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Integral
from typing import Any

import numpy as np
from sklearn import metrics

from hercules.errors import InputError
from hercules.title_quality import tree_quality
from hercules.tree import ClusterTree

SILHOUETTE_SAMPLE = 10_000


def internal_metrics(
    X: np.ndarray, labels: np.ndarray, *, seed: int = 0, prefix: str = ""
) -> dict[str, float]:
    k = len(np.unique(labels))
    if k < 2 or k >= len(X):
        return {}
    sample = min(len(X), SILHOUETTE_SAMPLE)
    return {
        f"{prefix}silhouette": float(
            metrics.silhouette_score(
                X, labels, sample_size=sample if sample < len(X) else None, random_state=seed
            )
        ),
        f"{prefix}davies_bouldin": float(metrics.davies_bouldin_score(X, labels)),
        f"{prefix}calinski_harabasz": float(metrics.calinski_harabasz_score(X, labels)),
    }


def external_metrics(truth: Sequence[Any], labels: np.ndarray) -> dict[str, float]:
    return {
        "ari": float(metrics.adjusted_rand_score(truth, labels)),
        "nmi": float(metrics.normalized_mutual_info_score(truth, labels)),
        "ami": float(metrics.adjusted_mutual_info_score(truth, labels)),
        "homogeneity": float(metrics.homogeneity_score(truth, labels)),
        "completeness": float(metrics.completeness_score(truth, labels)),
        "v_measure": float(metrics.v_measure_score(truth, labels)),
        "fowlkes_mallows": float(metrics.fowlkes_mallows_score(truth, labels)),
    }


def evaluate_tree_level(
    tree: ClusterTree,
    level: int,
    *,
    ground_truth: Sequence[Any] | None = None,
    llm_metrics: bool = True,
    topic_seed: str | None = None,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    seed: int = 0,
) -> dict[str, float | int]:
    if not isinstance(level, Integral) or isinstance(level, bool):
        raise InputError(
            f"level must be an int in 1..{tree.top_level}, got {level!r} "
            f"({type(level).__name__}); pass e.g. level=1."
        )
    if not 1 <= level <= tree.top_level:
        raise InputError(f"level must be in 1..{tree.top_level}, got {level}.")
    level = int(level)
    labels = tree.labels(level)
    result: dict[str, float | int] = {"level": level, "n_clusters": len(tree.levels[level])}
    result.update(internal_metrics(tree.levels[0].representation, labels, seed=seed))
    if ground_truth is not None:
        truth = list(ground_truth)
        if len(truth) != tree.n_items:
            raise InputError(
                f"ground_truth_labels has {len(truth)} entries but the model holds "
                f"{tree.n_items} items; give one label per item, in input order."
            )
        result.update(external_metrics(label_codes(truth), labels))
    below = tree.levels[level - 1]
    if llm_metrics and below.description_embedding is not None and below.parent is not None:
        result.update(
            internal_metrics(below.description_embedding, below.parent, seed=seed, prefix="llm_")
        )
    if topic_seed:
        if embed is None:
            raise InputError("topic alignment needs a text embedder; this model has none.")
        here = tree.levels[level].description_embedding
        if here is not None:
            seed_vec = np.asarray(embed([topic_seed]), dtype=np.float64)[0]
            sims = _cosine(here, seed_vec)
            result["topic_alignment"] = float(sims.mean())
    result.update(title_metrics(tree, level, seed=seed))
    return result


def title_metrics(tree: ClusterTree, level: int, *, seed: int = 0) -> dict[str, float | int]:
    """Faithfulness and coverage of the level's labels and its copied, duplicate and generic
    titles.

    Definitions in :mod:`hercules.title_quality`; faithfulness needs description vectors
    (``embed_descriptions=True``, the default) and is left out without them.
    """
    report = tree_quality(tree, None, seed=seed)["levels"][level - 1]
    out: dict[str, float | int] = {
        key: report[key]
        for key in (
            "copied_parent_titles",
            "duplicate_titles",
            "generic_titles",
            "single_child_parents",
        )
    }
    for key in ("faithfulness_siblings", "faithfulness_level", "coverage_mean", "supported_share"):
        if report.get(key) is not None:
            out[key] = report[key]
    return out


def label_codes(truth: list[Any]) -> np.ndarray:
    """Ground-truth labels of any hashable kinds (None, ints and strings mixed) as class codes.

    Equal values share a class (1 and 1.0 are equal in Python; 1 and '1' are not); None and
    NaN are one class, "no label".
    """
    codes: dict[Any, int] = {}
    out = np.empty(len(truth), dtype=np.int64)
    for i, value in enumerate(truth):
        if value is None or (isinstance(value, float | np.floating) and value != value):
            value = None
        try:
            out[i] = codes.setdefault(value, len(codes))
        except TypeError:
            raise InputError(
                f"ground_truth_labels[{i}] is {value!r:.60} ({type(value).__name__}), which "
                "cannot be a class label; give one hashable label (str or int) per item."
            ) from None
    return out


def _cosine(X: np.ndarray, v: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    return (X @ v) / np.maximum(np.linalg.norm(X, axis=1) * np.linalg.norm(v), 1e-12)
