"""The 2-D map of a run: where each level-0 item sits, computed once and saved with the run.

UMAP (``umap-learn``, the ``map`` extra) places the items: seeded (``random_state``), so the
same vectors and seed give the same map on the same machine. Runs larger than ``fit_sample``
items fit UMAP on a seeded sample and place the rest with the fitted reducer's ``transform``,
in blocks. PCA (:mod:`hercules.reduce`) is the fast fallback: ``method="pca"``, or
``method="auto"`` when umap-learn is not installed (logged, and named on the map).

The reducer itself is not kept (it would have to be pickled): items added later
(``predict(..., append=True)``) are placed by :func:`place_new`, at the distance-weighted mean
of their nearest laid-out neighbours in the vector space, as UMAP's ``transform`` initialises
a new point before its optimisation.

Cluster label positions (:func:`cluster_positions`) are derived from the items' positions
whenever they are needed; only the items' ``xy`` is stored (:mod:`hercules.store.run`).
"""

from __future__ import annotations

import importlib.util
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hercules.data.chunks import row_blocks, take_rows
from hercules.errors import MissingDependencyError, ParameterError
from hercules.reduce import fit_pca

logger = logging.getLogger(__name__)

METHODS = ("auto", "umap", "pca")
FIT_SAMPLE = 20_000
TRANSFORM_BLOCK = 20_000
N_NEIGHBORS = 15
MIN_DIST = 0.1
# Below this many items UMAP has too few neighbours to mean anything: PCA places them.
MIN_UMAP_ITEMS = 8
PLACE_NEIGHBOURS = 5
MAP_EXTRA = "hercules-cluster[map]"

# (done, total) items placed so far; the CLI turns it into a progress bar.
LayoutProgress = Callable[[int, int], None]


@dataclass
class MapLayout:
    """``xy[i]``: the map position of level-0 item ``i``; ``info`` says how it was made."""

    xy: np.ndarray
    method: str
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.xy)

    def to_info(self) -> dict[str, Any]:
        return {"method": self.method, "n_items": len(self.xy), **self.info}

    @classmethod
    def from_saved(cls, xy: np.ndarray, info: dict[str, Any]) -> MapLayout:
        extra = {k: v for k, v in info.items() if k not in ("method", "n_items")}
        return cls(np.asarray(xy, dtype=np.float32), str(info.get("method", "umap")), extra)


def umap_available() -> bool:
    return importlib.util.find_spec("umap") is not None


def compute_layout(
    vectors: np.ndarray,
    *,
    method: str = "auto",
    seed: int = 0,
    fit_sample: int = FIT_SAMPLE,
    n_neighbors: int = N_NEIGHBORS,
    min_dist: float = MIN_DIST,
    progress: LayoutProgress | None = None,
) -> MapLayout:
    """The 2-D positions of ``vectors`` (one row per item; may be memory-mapped)."""
    if method not in METHODS:
        raise ParameterError(f"The layout method must be one of {METHODS}; got {method!r}.")
    if fit_sample < MIN_UMAP_ITEMS:
        raise ParameterError(f"fit_sample must be >= {MIN_UMAP_ITEMS}; got {fit_sample}.")
    n = len(vectors)
    started = time.perf_counter()
    if method == "umap" and not umap_available():
        raise MissingDependencyError("The UMAP map layout", MAP_EXTRA)
    if method == "auto" and not umap_available():
        logger.warning(
            "umap-learn is not installed: the map uses PCA. For a UMAP map: pip install '%s'",
            MAP_EXTRA,
        )
        method = "pca"
    if method != "pca" and n < MIN_UMAP_ITEMS:
        logger.info("%d items are too few for UMAP; the map uses PCA.", n)
        method = "pca"
    if method == "pca":
        xy = _pca_xy(vectors, seed) if n else np.zeros((0, 2), dtype=np.float32)
        if progress:
            progress(n, n)
        return MapLayout(xy, "pca", {"seed": seed, "seconds": time.perf_counter() - started})
    xy, info = _umap_xy(vectors, seed, fit_sample, n_neighbors, min_dist, progress)
    info["seconds"] = round(time.perf_counter() - started, 3)
    logger.info("UMAP map of %d items in %.1f s", n, info["seconds"])
    return MapLayout(xy, "umap", info)


def _pca_xy(vectors: np.ndarray, seed: int) -> np.ndarray:
    xy = fit_pca(vectors, seed=seed).transform(vectors)
    return np.ascontiguousarray(xy, dtype=np.float32)


def _umap_xy(
    vectors: np.ndarray,
    seed: int,
    fit_sample: int,
    n_neighbors: int,
    min_dist: float,
    progress: LayoutProgress | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    with warnings.catch_warnings():  # numba/umap import-time chatter is not the user's concern
        warnings.simplefilter("ignore")
        import umap

    n = len(vectors)
    if n > fit_sample:
        rows = np.sort(np.random.default_rng(seed).choice(n, fit_sample, replace=False))
    else:
        rows = np.arange(n)
    sample = np.ascontiguousarray(take_rows(vectors, rows), dtype=np.float32)
    neighbours = max(2, min(n_neighbors, len(rows) - 1))
    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=neighbours,
        min_dist=min_dist,
        metric="euclidean",
        random_state=seed,
        transform_seed=seed,
        n_jobs=1,  # a seeded UMAP runs single-threaded anyway; saying so silences its warning
        init="spectral" if len(rows) > 2 * neighbours else "random",
    )
    if progress:
        progress(0, n)
    with warnings.catch_warnings():
        # e.g. "Graph is not fully connected, spectral embedding may not work as expected"
        warnings.simplefilter("ignore")
        fitted = reducer.fit_transform(sample)
    xy = np.empty((n, 2), dtype=np.float32)
    xy[rows] = fitted
    done = len(rows)
    if progress:
        progress(done, n)
    rest = np.setdiff1d(np.arange(n), rows, assume_unique=True)
    for start in range(0, len(rest), TRANSFORM_BLOCK):
        idx = rest[start : start + TRANSFORM_BLOCK]
        block = np.ascontiguousarray(take_rows(vectors, idx), dtype=np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            xy[idx] = reducer.transform(block)
        done += len(idx)
        if progress:
            progress(done, n)
    info = {
        "seed": seed,
        "n_fit": len(rows),
        "n_transformed": len(rest),
        "n_neighbors": neighbours,
        "min_dist": min_dist,
        "umap_version": getattr(umap, "__version__", "unknown"),
    }
    return _finite(xy), info


def _finite(xy: np.ndarray) -> np.ndarray:
    """UMAP can leave a duplicate-free outlier at NaN; put any such point at the centre."""
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        logger.warning("%d items had no finite map position; drawn at the centre.", bad.sum())
        xy[bad] = np.nanmedian(xy[~bad], axis=0) if (~bad).any() else 0.0
    return xy


def place_new(
    xy: np.ndarray,
    old_vectors: np.ndarray,
    new_vectors: np.ndarray,
    *,
    k: int = PLACE_NEIGHBOURS,
) -> np.ndarray:
    """Positions for new items: the inverse-distance-weighted mean of the map positions of
    their ``k`` nearest old items (exact search over row blocks of ``old_vectors``)."""
    if len(old_vectors) == 0 or len(new_vectors) == 0:
        return np.zeros((len(new_vectors), 2), dtype=np.float32)
    k = min(k, len(old_vectors))
    new = np.ascontiguousarray(new_vectors, dtype=np.float32)
    new_sq = (new * new).sum(axis=1)
    best_d = np.full((len(new), k), np.inf, dtype=np.float32)
    best_i = np.zeros((len(new), k), dtype=np.int64)
    for start, block in row_blocks(old_vectors, 16_384):
        block = np.asarray(block, dtype=np.float32)
        dist = new_sq[:, None] - 2.0 * new @ block.T + (block * block).sum(axis=1)[None, :]
        both_d = np.concatenate([best_d, dist.astype(np.float32)], axis=1)
        both_i = np.concatenate(
            [best_i, np.broadcast_to(np.arange(start, start + len(block)), dist.shape)], axis=1
        )
        keep = np.argpartition(both_d, k - 1, axis=1)[:, :k]
        best_d = np.take_along_axis(both_d, keep, axis=1)
        best_i = np.take_along_axis(both_i, keep, axis=1)
    weights = 1.0 / (np.sqrt(np.maximum(best_d, 0.0)) + 1e-6)
    weights /= weights.sum(axis=1, keepdims=True)
    placed = (np.asarray(xy)[best_i] * weights[:, :, None]).sum(axis=1)
    return placed.astype(np.float32)


def cluster_positions(xy: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """(k, 2): where each cluster's label goes: the member nearest the members' mean (so a
    label sits on its points even when a cluster is curved); NaN rows for empty clusters."""
    out = np.full((k, 2), np.nan, dtype=np.float32)
    if len(xy) == 0:
        return out
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    means = (
        np.stack([np.bincount(labels, weights=xy[:, axis], minlength=k) for axis in (0, 1)], axis=1)
        / np.maximum(counts, 1)[:, None]
    )
    dist = ((xy - means[labels]) ** 2).sum(axis=1)
    order = np.lexsort((dist, labels))  # by cluster, nearest first
    first = order[np.searchsorted(labels[order], np.arange(k))[counts > 0]]
    out[counts > 0] = xy[first]
    return out
