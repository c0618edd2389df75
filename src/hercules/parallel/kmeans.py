"""A k-means engine whose assignment pass over all rows runs on an executor.

Training stays in the driver on a sample through :meth:`~hercules.engine.FaissKMeans.train`,
the faiss engine's own training stage (k-means++ seeds on a sub-sample, Lloyd iterations on
``max_points_per_centroid`` rows per cluster); only the pass that labels every row, the part
that grows with n, is spread over workers. The tree is built from the labels alone (cluster
vectors are member means), so equal labels mean an equal tree.
"""

from __future__ import annotations

import logging

import numpy as np

from hercules.engine.base import KMeansEngine, KMeansResult, compact
from hercules.engine.factory import FAISS_MIN_ROWS
from hercules.engine.faiss_engine import FaissKMeans
from hercules.engine.sklearn_engine import SklearnKMeans
from hercules.errors import ParameterError
from hercules.parallel.base import Executor, LocalExecutor

logger = logging.getLogger(__name__)


class ExecutorKMeans:
    """The faiss engine's training (same sample, seeds and iterations for the same seed) with
    the final assignment on ``executor``. Inputs under ``min_rows`` rows (default: the 'auto'
    switch-over, 50k) go to the scikit-learn engine unchanged, as 'auto' does locally.

    The final labels come from :func:`hercules.engine.assign` (one GEMM per chunk) where the
    local faiss engine uses a faiss flat search: the same nearest centroid, up to exact
    floating-point ties between two centroids.
    """

    def __init__(
        self,
        executor: Executor,
        *,
        reference: FaissKMeans | None = None,
        min_rows: int = FAISS_MIN_ROWS,
    ) -> None:
        self.executor = executor
        self.reference = reference if reference is not None else FaissKMeans()
        self.min_rows = min_rows

    def fit(
        self,
        X: np.ndarray,
        k: int,
        *,
        sample_weight: np.ndarray | None = None,
        seed: int = 0,
        init: np.ndarray | None = None,
    ) -> KMeansResult:
        from hercules.data.chunks import open_vectors

        X = open_vectors(X)
        if len(X) < self.min_rows:
            return SklearnKMeans().fit(X, k, sample_weight=sample_weight, seed=seed, init=init)
        n = len(X)
        if not 1 <= k <= n:
            raise ParameterError(f"k must be in [1, n_samples={n}], got k={k}.")
        # The faiss engine's own training stage, then the assignment pass on the executor.
        centroids, m, iterations = self.reference.train(
            X, k, sample_weight=sample_weight, seed=seed, init=init
        )
        logger.info(
            "k-means (k=%d) trained on %d of %d rows in %d iterations; assigning on %s",
            k,
            m,
            n,
            iterations,
            self.executor.name,
        )
        labels = self.executor.assign(X, centroids)
        return compact(X, labels, sample_weight)


def distribute_engine(engine: str | KMeansEngine, executor: Executor) -> str | KMeansEngine:
    """'auto' and 'faiss' become an :class:`ExecutorKMeans`; 'sklearn' (full Lloyd iterations,
    no separate assignment pass) and engine objects stay as they are."""
    if isinstance(executor, LocalExecutor) or not isinstance(engine, str):
        return engine
    if engine == "auto":
        return ExecutorKMeans(executor)
    if engine == "faiss":
        return ExecutorKMeans(executor, min_rows=0)
    return engine
