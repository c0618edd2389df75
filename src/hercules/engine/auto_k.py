"""Choose k automatically: silhouette on a fixed-size sample, preferring a readable tree.

The paper's rule, the best silhouette over k = 2 .. 2*sqrt(n), favours k = 2 on text
embeddings: their silhouette is low and nearly flat in k (0.02-0.05 on MiniLM vectors of
20 Newsgroups), so the winner is noise, and a 2-cluster level 1 leaves no tree above it (300
posts from 20 newsgroups gave one level of two clusters). Here:

- k is searched from a floor that grows with n, :func:`min_k` = sqrt(n)/2 and at least 3 (9 for
  300 items, 27 for 3,000, 3 for 24 clusters), up to 2*sqrt(n) and at most n/2, so every level
  groups its nodes by a factor of about 2 to 20 and the levels shrink towards a few top
  clusters; a top level of 2 clusters (say "computers" and "everything else") says little;
- a k below the floor still wins when its silhouette shows real structure,
  :data:`STRONG_SILHOUETTE` or more (Kaufman and Rousseeuw's "reasonable structure") and beats
  every k above the floor: three well-separated blobs still give k = 3, two give k = 2;
- a level of fewer than :data:`MIN_NODES` nodes is the top: grouping 4-7 clusters again would
  only add a level of 2 or 3 that says little.

Measured against known labels on 20 Newsgroups samples and scikit-learn's digits, wine and iris
in bench/bench_auto_k.py (bench/results/auto_k.json).
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.metrics import silhouette_score

from hercules.engine.base import KMeansEngine, assign
from hercules.engine.sklearn_engine import SklearnKMeans

logger = logging.getLogger(__name__)

STRONG_SILHOUETTE = 0.5
MIN_NODES = 8
MIN_FLOOR = 3


def min_k(n: int) -> int:
    """The floor of the search for ``n`` nodes: round(sqrt(n) / 2), at least 3."""
    return max(MIN_FLOOR, round(np.sqrt(n) / 2))


def candidate_ks(
    n: int, *, k_min: int | None = None, k_max: int | None = None, count: int = 8
) -> list[int]:
    """A geometric grid from ``k_min`` (default :func:`min_k`) up to about 2*sqrt(n).

    At most n // 2, so every level at least halves the number of nodes; ``k_max`` caps the
    grid (and the floor, when it is lower than the floor).
    """
    upper = k_max if k_max is not None else max(2, round(2 * np.sqrt(n)))
    upper = min(upper, n // 2)
    if upper < 2:
        return []
    lower = max(2, min(k_min if k_min is not None else min_k(n), upper))
    grid = np.unique(np.round(np.geomspace(lower, upper, num=count)).astype(int))
    return [int(k) for k in grid]


def below_floor_ks(floor: int, count: int = 4) -> list[int]:
    """A few k from 2 up to below ``floor``: tried for strong structure only."""
    if floor <= 2:
        return []
    grid = np.unique(np.round(np.geomspace(2, floor - 1, num=count)).astype(int))
    return [int(k) for k in grid]


def choose_k(
    X: np.ndarray,
    engine: KMeansEngine,
    *,
    sample_weight: np.ndarray | None = None,
    seed: int = 0,
    k_min: int | None = None,
    k_max: int | None = None,
    sample_size: int = 3_000,
) -> int:
    """The best silhouette over :func:`candidate_ks`, or a smaller k with strong structure.

    Returns 1 (no level) below :data:`MIN_NODES` nodes. ``k_min=2`` searches the paper's
    whole range 2 .. 2*sqrt(n). Each candidate is fitted once on a sample of at most
    ``sample_size`` rows and scored there, so the cost is O(candidates * sample_size^2)
    whatever n is, not quadratic in n.
    """
    n = len(X)
    ks = candidate_ks(n, k_min=k_min, k_max=k_max)
    if n < MIN_NODES or not ks:
        return 1
    small = [k for k in below_floor_ks(ks[0]) if k_max is None or k <= k_max]
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=sample_size, replace=False)) if n > sample_size else None
    sample = X if rows is None else X[rows]
    weights = sample_weight if rows is None or sample_weight is None else sample_weight[rows]
    # One k-means++ run per candidate: scoring needs a fair partition, not the best of many
    # restarts (the chosen k is fitted again with the engine's own restarts).
    scorer = SklearnKMeans(n_init=1) if isinstance(engine, SklearnKMeans) else engine
    scores: dict[int, float] = {}
    for k in small + ks:
        if k >= len(sample):
            break
        result = scorer.fit(sample, k, sample_weight=weights, seed=seed)
        labels = assign(sample, result.centroids)
        if len(np.unique(labels)) < 2:
            continue
        scores[k] = float(silhouette_score(sample, labels))
        logger.debug("auto-k: k=%d silhouette=%.4f", k, scores[k])
    if not scores:
        return ks[0]
    best_k = max((k for k in ks if k in scores), key=scores.__getitem__, default=ks[0])
    strong = [k for k in small if scores.get(k, -1.0) >= STRONG_SILHOUETTE]
    if strong:
        k_strong = max(strong, key=scores.__getitem__)
        if scores[k_strong] > scores.get(best_k, -1.0):
            best_k = k_strong
    logger.info(
        "auto-k chose k=%d (silhouette %.3f) among %s",
        best_k,
        scores.get(best_k, float("nan")),
        sorted(scores),
    )
    return best_k
