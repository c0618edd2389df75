"""The engine protocol: ``fit(X, k) -> KMeansResult``, and the steps every engine shares.

Engines import this module; it imports none of them (choosing one is :mod:`.factory`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from hercules.data.chunks import row_blocks

# Rows per block where a pass makes several (rows, d) temporaries: 8k x 384 float32 is 12 MB
# each, where 64k rows made ~300 MB of transient memory at 1M x 384.
_SMALL_BLOCK = 8_192


@dataclass(frozen=True)
class KMeansResult:
    labels: np.ndarray  # (n,) int64, 0..k-1, every label used
    centroids: np.ndarray  # (k, d) float32
    inertia: float


@runtime_checkable
class KMeansEngine(Protocol):
    """One required method. ``init`` (k, d) seeds the run when given."""

    def fit(
        self,
        X: np.ndarray,
        k: int,
        *,
        sample_weight: np.ndarray | None = None,
        seed: int = 0,
        init: np.ndarray | None = None,
    ) -> KMeansResult: ...


def assign(X: np.ndarray, centroids: np.ndarray, chunk: int = 65_536) -> np.ndarray:
    """Nearest-centroid labels, in chunks so memory stays bounded for large n."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    C = np.ascontiguousarray(centroids, dtype=np.float32)
    c_sq = (C * C).sum(axis=1)
    out = np.empty(len(X), dtype=np.int64)
    for start, block in row_blocks(X, chunk):
        # |x-c|^2 = |x|^2 - 2 x.c + |c|^2; |x|^2 is constant per row so it can be dropped.
        out[start : start + chunk] = np.argmin(c_sq[None, :] - 2.0 * block @ C.T, axis=1)
    return out


def group_means(
    X: np.ndarray, labels: np.ndarray, k: int, weights: np.ndarray | None = None
) -> np.ndarray:
    """(Weighted) mean of the rows of each group, as float32 (k, d).

    Sparse (k, rows) @ (rows, d) products over row blocks, summed in float64: the float64
    temporary is one block, not (n, d), and memory-mapped rows are released as they go.
    """
    import scipy.sparse as sp

    w = np.ones(len(X), dtype=np.float64) if weights is None else weights.astype(np.float64)
    sums = np.zeros((k, X.shape[1]), dtype=np.float64)
    for start, block in row_blocks(X, 8_192):
        stop = start + len(block)
        indicator = sp.csr_matrix(
            (w[start:stop], (labels[start:stop], np.arange(len(block)))), shape=(k, len(block))
        )
        sums += indicator @ block
    mass = np.bincount(labels, weights=w, minlength=k)
    return (sums / np.maximum(mass, 1e-300)[:, None]).astype(np.float32)


def members_by_group(labels: np.ndarray, k: int) -> list[np.ndarray]:
    """Row indices of each group 0..k-1, ascending (views of one stable argsort)."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(k + 1))
    return [order[bounds[c] : bounds[c + 1]] for c in range(k)]


def nearest_per_group(
    X: np.ndarray, labels: np.ndarray, centroids: np.ndarray, count: int
) -> list[np.ndarray]:
    """For each group, the row indices of its ``count`` members nearest its centroid, nearest
    first (ties by row). One pass over X in chunks and one sort, not a scan per group."""
    dist = np.empty(len(X), dtype=np.float32)
    for start, rows in row_blocks(X, _SMALL_BLOCK):
        block = rows - centroids[labels[start : start + len(rows)]]
        dist[start : start + len(rows)] = (block * block).sum(axis=1)
    order = np.lexsort((np.arange(len(X)), dist, labels))
    bounds = np.searchsorted(labels[order], np.arange(len(centroids) + 1))
    return [order[bounds[c] : min(bounds[c] + count, bounds[c + 1])] for c in range(len(centroids))]


def compact(X: np.ndarray, labels: np.ndarray, weights: np.ndarray | None) -> KMeansResult:
    """Drop empty clusters and recompute centroids as (weighted) member means."""
    used, labels = np.unique(labels, return_inverse=True)
    labels = labels.astype(np.int64)
    centroids = group_means(X, labels, len(used), weights)
    inertia = 0.0
    for start, rows in row_blocks(X, _SMALL_BLOCK):
        block = rows - centroids[labels[start : start + len(rows)]]
        sq = (block * block).sum(axis=1, dtype=np.float64)
        w = None if weights is None else weights[start : start + len(rows)]
        inertia += float(sq.sum() if w is None else (w * sq).sum())
    return KMeansResult(labels, centroids, inertia)
