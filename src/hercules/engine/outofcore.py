"""k-means that never holds more than a sample and one row block of the data in memory.

Training runs on a random sample (``max_points_per_centroid`` rows per cluster, at least
``min_sample`` rows), seeded by k-means++ on a smaller sub-sample, with Lloyd iterations that
stop when the objective improves by less than ``tol`` (relative). One streamed pass then
assigns every row to its nearest centroid (faiss exact search per block) and accumulates the
per-cluster sums, so the final centroids are the exact member means of the full data.

The data may be an in-memory array, a ``np.memmap`` or the path of a ``.npy`` file (opened
memory-mapped): memory is the sample plus one block (``chunk_rows`` x d), plus O(n) labels.
This is the engine behind :class:`~hercules.engine.faiss_engine.FaissKMeans`.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np
import scipy.sparse as sp

from hercules.data.chunks import CHUNK_ROWS, open_vectors, row_blocks, take_rows
from hercules.engine.base import KMeansResult
from hercules.errors import ParameterError, require

logger = logging.getLogger(__name__)


def streamed_kmeans(
    source: np.ndarray | str | os.PathLike[str],
    k: int,
    *,
    chunk_rows: int = CHUNK_ROWS,
    sample_weight: np.ndarray | None = None,
    seed: int = 0,
    init: np.ndarray | None = None,
    niter: int = 20,
    tol: float = 1e-4,
    max_points_per_centroid: int = 128,
    min_sample: int = 65_536,
    seed_sample: int = 8,
) -> KMeansResult:
    """k-means of the rows of ``source`` (array, memmap or ``.npy`` path) into ``k`` clusters.

    Returns labels (n,), the member means of the non-empty clusters and the inertia.
    """
    X = open_vectors(source)
    if X.ndim != 2:
        raise ParameterError(f"streamed_kmeans needs a 2-D array of vectors, got shape {X.shape}.")
    n = len(X)
    if not 1 <= k <= n:
        raise ParameterError(f"k must be in [1, n_samples={n}], got k={k}.")
    if chunk_rows < 1:
        raise ParameterError(f"chunk_rows must be >= 1, got {chunk_rows}.")
    centroids, m, iterations = train_centroids(
        X,
        k,
        sample_weight=sample_weight,
        seed=seed,
        init=init,
        niter=niter,
        tol=tol,
        max_points_per_centroid=max_points_per_centroid,
        min_sample=min_sample,
        seed_sample=seed_sample,
        chunk_rows=chunk_rows,
    )
    logger.info("k-means (k=%d) trained on %d of %d rows in %d iterations", k, m, n, iterations)
    return assign_and_average(X, centroids, sample_weight=sample_weight, chunk_rows=chunk_rows)


def train_centroids(
    X: np.ndarray,
    k: int,
    *,
    sample_weight: np.ndarray | None,
    seed: int,
    init: np.ndarray | None,
    niter: int,
    tol: float,
    max_points_per_centroid: int,
    min_sample: int,
    seed_sample: int,
    chunk_rows: int,
) -> tuple[np.ndarray, int, int]:
    """The training stage of :func:`streamed_kmeans`: (centroids, sample rows, iterations).

    Draws the sample, seeds k-means++ on a smaller sub-sample unless ``init`` is given, and
    runs Lloyd iterations on the sample; only the sample is held in memory. Shared with
    :class:`~hercules.parallel.kmeans.ExecutorKMeans`, whose assignment pass runs elsewhere.
    """
    n = len(X)
    rng = np.random.default_rng(seed)
    m = min(n, max(min_sample, max_points_per_centroid * k))
    rows = np.sort(rng.choice(n, size=m, replace=False)) if m < n else None
    S = np.ascontiguousarray(
        take_rows(X, rows, chunk_rows) if rows is not None else X, dtype=np.float32
    )
    w = None
    if sample_weight is not None:
        w = np.asarray(sample_weight if rows is None else sample_weight[rows], dtype=np.float64)
    if init is None:
        # k-means++ costs O(m * k * log k * d); seed_sample points per cluster is enough,
        # since the Lloyd iterations that follow move the seeds anyway.
        ms = min(len(S), max(4_096, seed_sample * k))
        pool = np.sort(rng.choice(len(S), size=ms, replace=False)) if ms < len(S) else None
        init = kmeans_plusplus(
            S if pool is None else S[pool],
            k,
            weights=w if w is None or pool is None else w[pool],
            rng=rng,
        )
    centroids, iterations = lloyd(S, init, weights=w, niter=niter, tol=tol)
    return centroids, m, iterations


def kmeans_plusplus(
    X: np.ndarray, k: int, *, weights: np.ndarray | None, rng: np.random.Generator
) -> np.ndarray:
    """Greedy k-means++ seeds (Arthur & Vassilvitskii; 2 + log k candidates per step, as
    scikit-learn draws them), in float32 with one (m, d) @ (d, trials) product per step.

    scikit-learn's ``kmeans_plusplus`` took 36 s for k=1000 on 8,000 rows here (per-call
    validation and float64 distance chunks); this takes about a second.
    """
    X = np.ascontiguousarray(X, dtype=np.float32)
    m = len(X)
    w = np.ones(m, np.float32) if weights is None else np.asarray(weights, dtype=np.float32)
    sq = np.einsum("ij,ij->i", X, X)
    trials = 2 + int(np.log(k))
    first = int(rng.choice(m, p=w.astype(np.float64) / w.sum(dtype=np.float64)))
    chosen = [first]
    closest = np.maximum(sq + sq[first] - 2.0 * (X @ X[first]), 0.0)
    for _ in range(1, k):
        cumulative = np.cumsum(w * closest, dtype=np.float64)
        if cumulative[-1] <= 0:  # fewer distinct points than k: take any unused rows
            rest = np.setdiff1d(np.arange(m), chosen)[: k - len(chosen)]
            chosen.extend(int(r) for r in rest)
            break
        draws = rng.random(trials) * cumulative[-1]
        cand = np.minimum(np.searchsorted(cumulative, draws), m - 1)
        # (trials, m): the wide orientation runs twice as fast in OpenBLAS here.
        dist = sq[cand][:, None] + sq[None, :] - 2.0 * (X[cand] @ X.T)
        new = np.minimum(closest[None, :], np.maximum(dist, 0.0))
        best = int(np.argmin(new @ w))
        closest = new[best]
        chosen.append(int(cand[best]))
    return X[np.asarray(chosen[:k])].copy()


def _index(centroids: np.ndarray) -> Any:
    faiss = require("faiss", "The faiss k-means engine", "faiss-cpu")
    index = faiss.IndexFlatL2(centroids.shape[1])
    index.add(np.ascontiguousarray(centroids, dtype=np.float32))
    return index


def _nearest(index: Any, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dist, nearest = index.search(np.ascontiguousarray(block, dtype=np.float32), 1)
    return nearest[:, 0], np.maximum(dist[:, 0], 0.0)


def _sums(block: np.ndarray, labels: np.ndarray, k: int, w: np.ndarray | None) -> np.ndarray:
    """Per-cluster (weighted) sums of one block as one sparse product, float64 (k, d)."""
    data = np.ones(len(block), np.float32) if w is None else w.astype(np.float32)
    indicator = sp.csr_matrix((data, (labels, np.arange(len(block)))), shape=(k, len(block)))
    return np.asarray(indicator @ np.asarray(block, dtype=np.float32), dtype=np.float64)


def lloyd(
    S: np.ndarray, init: np.ndarray, *, weights: np.ndarray | None, niter: int, tol: float
) -> tuple[np.ndarray, int]:
    """Lloyd iterations on an in-memory sample; stops when the objective's relative
    improvement falls below ``tol``. An empty cluster takes the worst-fitted sample point."""
    C = np.ascontiguousarray(init, dtype=np.float32).copy()
    k = len(C)
    prev = np.inf
    done = 0
    while done < niter:
        done += 1
        labels, dist = _nearest(_index(C), S)
        wd = dist if weights is None else dist * weights
        objective = float(wd.sum(dtype=np.float64))
        if np.isfinite(prev) and prev - objective <= tol * prev:
            break
        prev = objective
        sums = _sums(S, labels, k, weights)
        mass = np.bincount(labels, weights=weights, minlength=k)
        full = mass > 0
        C[full] = (sums[full] / mass[full, None]).astype(np.float32)
        empty = np.flatnonzero(~full)
        if len(empty):
            worst = np.argsort(-wd, kind="stable")[: len(empty)]
            C[empty[: len(worst)]] = S[worst]
    return C, done


def assign_and_average(
    X: np.ndarray,
    centroids: np.ndarray,
    *,
    sample_weight: np.ndarray | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> KMeansResult:
    """One streamed pass: nearest centroid per row, then centroids = member means.

    Empty clusters are dropped (labels renumbered in order). The inertia is that of the
    returned means, from the pass's distances by the parallel-axis identity
    sum w|x-m|^2 = sum w|x-c|^2 - W |m-c|^2 per cluster.
    """
    k, d = centroids.shape
    index = _index(centroids)
    labels = np.empty(len(X), dtype=np.int64)
    sums = np.zeros((k, d), dtype=np.float64)
    mass = np.zeros(k, dtype=np.float64)
    inertia = 0.0
    for first, block in row_blocks(X, chunk_rows):
        nearest, dist = _nearest(index, block)
        labels[first : first + len(block)] = nearest
        w = None if sample_weight is None else sample_weight[first : first + len(block)]
        sums += _sums(block, nearest, k, w)
        mass += np.bincount(nearest, weights=w, minlength=k)
        inertia += float(dist.sum(dtype=np.float64) if w is None else (dist * w).sum())
    used = np.flatnonzero(mass > 0)
    means = sums[used] / mass[used, None]
    shift = ((means - centroids[used].astype(np.float64)) ** 2).sum(axis=1)
    inertia = max(0.0, inertia - float((mass[used] * shift).sum()))
    if len(used) < k:
        remap = np.full(k, -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        labels = remap[labels]
    return KMeansResult(labels, means.astype(np.float32), inertia)
