"""faiss k-means for large n, always seeded with k-means++ (faiss's random start loses quality)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hercules.data.chunks import CHUNK_ROWS
from hercules.engine.base import KMeansResult
from hercules.engine.outofcore import streamed_kmeans, train_centroids


class FaissKMeans:
    """Lloyd iterations on a sample (``max_points_per_centroid`` rows per cluster, at least
    ``min_sample``) from k-means++ seeds drawn on a smaller sample, stopped when the objective
    improves by less than ``tol``; then one exact assignment pass over all rows in blocks, with
    faiss doing the nearest-centroid searches. Works unchanged on memory-mapped arrays
    (:func:`~hercules.engine.outofcore.streamed_kmeans`).
    """

    def __init__(
        self,
        *,
        niter: int = 20,
        tol: float = 1e-4,
        max_points_per_centroid: int = 128,
        min_sample: int = 65_536,
        seed_sample: int = 8,
        chunk_rows: int = CHUNK_ROWS,
    ) -> None:
        self.niter = niter
        self.tol = tol
        self.max_points_per_centroid = max_points_per_centroid
        self.min_sample = min_sample
        self.seed_sample = seed_sample
        self.chunk_rows = chunk_rows

    def fit(
        self,
        X: np.ndarray,
        k: int,
        *,
        sample_weight: np.ndarray | None = None,
        seed: int = 0,
        init: np.ndarray | None = None,
    ) -> KMeansResult:
        return streamed_kmeans(
            X, k, sample_weight=sample_weight, seed=seed, init=init, **self._options()
        )

    def train(
        self,
        X: np.ndarray,
        k: int,
        *,
        sample_weight: np.ndarray | None = None,
        seed: int = 0,
        init: np.ndarray | None = None,
    ) -> tuple[np.ndarray, int, int]:
        """The training stage of :meth:`fit` alone: (centroids, sample rows, iterations)."""
        return train_centroids(
            X, k, sample_weight=sample_weight, seed=seed, init=init, **self._options()
        )

    def _options(self) -> dict[str, Any]:
        return {
            "niter": self.niter,
            "tol": self.tol,
            "max_points_per_centroid": self.max_points_per_centroid,
            "min_sample": self.min_sample,
            "seed_sample": self.seed_sample,
            "chunk_rows": self.chunk_rows,
        }
