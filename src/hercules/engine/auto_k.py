"""Choose k automatically: silhouette on a fixed-size sample over a range that grows with n."""

from __future__ import annotations

import logging

import numpy as np
from sklearn.metrics import silhouette_score

from hercules.engine.base import KMeansEngine, assign

logger = logging.getLogger(__name__)


def candidate_ks(n: int, *, k_min: int = 2, k_max: int | None = None, count: int = 12) -> list[int]:
    """A geometric grid from ``k_min`` up to about 2*sqrt(n) (or ``k_max``), below n."""
    upper = k_max if k_max is not None else max(k_min, round(2 * np.sqrt(n)))
    upper = min(upper, n - 1)
    if upper < k_min:
        return []
    grid = np.unique(np.round(np.geomspace(k_min, upper, num=count)).astype(int))
    return [int(k) for k in grid]


def choose_k(
    X: np.ndarray,
    engine: KMeansEngine,
    *,
    sample_weight: np.ndarray | None = None,
    seed: int = 0,
    k_min: int = 2,
    k_max: int | None = None,
    sample_size: int = 3_000,
) -> int:
    """Best silhouette over :func:`candidate_ks`.

    Each candidate is fitted on a sample of at most ``sample_size`` rows and scored there, so
    the cost is O(candidates * sample_size^2) whatever n is, not quadratic in n.
    """
    n = len(X)
    ks = candidate_ks(n, k_min=k_min, k_max=k_max)
    if not ks:
        return 1
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=sample_size, replace=False)) if n > sample_size else None
    sample = X if rows is None else X[rows]
    weights = sample_weight if rows is None or sample_weight is None else sample_weight[rows]
    best_k, best_score = ks[0], -np.inf
    for k in ks:
        if k >= len(sample):
            break
        result = engine.fit(sample, k, sample_weight=weights, seed=seed)
        labels = assign(sample, result.centroids)
        if len(np.unique(labels)) < 2:
            continue
        score = float(silhouette_score(sample, labels))
        logger.debug("auto-k: k=%d silhouette=%.4f", k, score)
        if score > best_score:
            best_k, best_score = k, score
    logger.info("auto-k chose k=%d (silhouette %.3f) among %s", best_k, best_score, ks)
    return best_k
