"""scikit-learn KMeans: the default engine for small and medium data."""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans

from hercules.engine.base import KMeansResult, compact


class SklearnKMeans:
    """Lloyd k-means with k-means++ seeding.

    ``n_init=None`` picks restarts from the problem size: restarts are cheap and help when n*k
    is small (upper levels, where k-means runs on ~100 centroids); on large problems one
    well-seeded run is as good and many times faster.
    """

    def __init__(self, *, n_init: int | None = None, max_iter: int = 300) -> None:
        self.n_init = n_init
        self.max_iter = max_iter

    def _restarts(self, n: int, k: int) -> int:
        if self.n_init is not None:
            return self.n_init
        work = n * k
        if work <= 20_000:
            return 50
        return 10 if work <= 100_000 else 3 if work <= 1_000_000 else 1

    def fit(
        self,
        X: np.ndarray,
        k: int,
        *,
        sample_weight: np.ndarray | None = None,
        seed: int = 0,
        init: np.ndarray | None = None,
    ) -> KMeansResult:
        X = np.ascontiguousarray(X, dtype=np.float32)
        model = KMeans(
            n_clusters=k,
            init="k-means++" if init is None else np.asarray(init, dtype=np.float32),
            n_init=1 if init is not None else self._restarts(len(X), k),
            max_iter=self.max_iter,
            random_state=seed,
        )
        model.fit(X, sample_weight=sample_weight)
        return compact(X, model.labels_, sample_weight)
