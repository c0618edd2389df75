"""Resampling refinement of hierarchical k-means (Vo et al., 2024).

Plain k-means on data with a long-tailed density spends its centroids on the dense modes.
Vo et al. rebalance by repeating: take the ``points_per_cluster`` points closest to each
centroid, re-run k-means on that union (seeded by the current centroids) so every cluster
contributes equally, and take the new centroids. Finally every point is assigned to its
nearest refined centroid.
"""

from __future__ import annotations

import numpy as np

from hercules.engine.base import KMeansEngine, KMeansResult, assign, compact, nearest_per_group


def resampled_kmeans(
    X: np.ndarray,
    k: int,
    engine: KMeansEngine,
    *,
    sample_weight: np.ndarray | None = None,
    seed: int = 0,
    steps: int = 3,
    points_per_cluster: int | None = None,
) -> KMeansResult:
    result = engine.fit(X, k, sample_weight=sample_weight, seed=seed)
    if steps <= 0:
        return result
    r = points_per_cluster or max(2, int(np.median(np.bincount(result.labels))) // 2)
    centroids = result.centroids
    labels = result.labels
    for step in range(steps):
        rows = np.sort(np.concatenate(nearest_per_group(X, labels, centroids, r)))
        if len(rows) <= len(centroids):
            break
        refit = engine.fit(X[rows], len(centroids), seed=seed + step + 1, init=centroids)
        centroids = refit.centroids
        labels = assign(X, centroids)
    return compact(X, labels, sample_weight)
