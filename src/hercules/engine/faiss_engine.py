"""faiss k-means for large n, always seeded with k-means++ (faiss's random start loses quality)."""

from __future__ import annotations

import numpy as np
from sklearn.cluster import kmeans_plusplus

from hercules.engine.base import KMeansResult, assign, compact
from hercules.errors import require


class FaissKMeans:
    """faiss training on a subsample (``max_points_per_centroid`` per cluster), k-means++ seeds
    drawn on a sample, then one exact assignment pass over all rows."""

    def __init__(
        self, *, niter: int = 20, max_points_per_centroid: int = 256, seed_sample: int = 8
    ) -> None:
        self.niter = niter
        self.max_points_per_centroid = max_points_per_centroid
        self.seed_sample = seed_sample

    def fit(
        self,
        X: np.ndarray,
        k: int,
        *,
        sample_weight: np.ndarray | None = None,
        seed: int = 0,
        init: np.ndarray | None = None,
    ) -> KMeansResult:
        faiss = require("faiss", "The faiss k-means engine", "faiss-cpu")
        X = np.ascontiguousarray(X, dtype=np.float32)
        rng = np.random.default_rng(seed)
        if init is None:
            # k-means++ costs O(m * k * log k * d); seeding on seed_sample points per cluster
            # is enough, since the faiss iterations that follow move the seeds anyway.
            m = min(len(X), max(4_096, self.seed_sample * k))
            rows = np.sort(rng.choice(len(X), size=m, replace=False)) if m < len(X) else None
            pool = X if rows is None else X[rows]
            w = sample_weight if sample_weight is None or rows is None else sample_weight[rows]
            init, _ = kmeans_plusplus(pool, k, sample_weight=w, random_state=seed)
        km = faiss.Kmeans(
            X.shape[1],
            k,
            niter=self.niter,
            seed=seed,
            max_points_per_centroid=self.max_points_per_centroid,
            verbose=False,
        )
        weights = None if sample_weight is None else sample_weight.astype(np.float32)
        km.train(X, weights=weights, init_centroids=np.ascontiguousarray(init, dtype=np.float32))
        return compact(X, assign(X, km.centroids), sample_weight)
