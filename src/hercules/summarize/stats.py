"""Numeric statistics of a cluster on the original scale, for prompts and labels.

Profiles are merged from per-level-1-cluster sums, sums of squares, minima and maxima, taken
in one pass over the data (:func:`index_clusters`): every upper cluster is a union of level-1
clusters, so no level copies its members' rows, and data on disk is read once, in blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hercules.data.chunks import column_moments, row_blocks, take_rows
from hercules.data.dataset import Corpus

_INDEX = "numeric_cluster_index"
_BLOCK = 16_384  # rows per block in the float64 passes (about 50 MB at d=384)


@dataclass(frozen=True)
class _ClusterIndex:
    labels: np.ndarray  # (n,) level-1 cluster of each item
    count: np.ndarray  # (k,)
    total: np.ndarray  # (k, d) float64 sums
    square: np.ndarray  # (k, d) float64 sums of squares about the overall mean
    low: np.ndarray  # (k, d)
    high: np.ndarray  # (k, d)


def _values(corpus: Corpus) -> np.ndarray:
    assert corpus.numeric is not None
    return corpus.cached("numeric_values", corpus.numeric.to_numpy)


def overall_moments(corpus: Corpus) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (population) std per column, float64, in row blocks: no (n, d) temporary."""

    return corpus.cached("numeric_overall", lambda: column_moments(_values(corpus), _BLOCK))


def index_clusters(corpus: Corpus, labels: np.ndarray, k: int) -> None:
    """Per level-1 cluster count, sum, sum of squares, min and max, in one pass over the
    data; kept on the corpus for :func:`numeric_profile`. A no-op when already indexed."""
    old = corpus._cache.get(_INDEX)
    if old is not None and len(old.labels) == len(labels) and np.array_equal(old.labels, labels):
        return
    values = _values(corpus)
    mean, _ = overall_moments(corpus)
    d = values.shape[1]
    total = np.zeros((k, d))
    square = np.zeros((k, d))
    low = np.full((k, d), np.inf)
    high = np.full((k, d), -np.inf)
    for first, block in row_blocks(values, _BLOCK):
        lab = labels[first : first + len(block)]
        order = np.argsort(lab, kind="stable")
        rows = np.asarray(block[order], dtype=np.float64)
        starts = np.flatnonzero(np.r_[True, np.diff(lab[order]) != 0])
        groups = lab[order][starts]
        total[groups] += np.add.reduceat(rows, starts, axis=0)
        low[groups] = np.minimum(low[groups], np.minimum.reduceat(rows, starts, axis=0))
        high[groups] = np.maximum(high[groups], np.maximum.reduceat(rows, starts, axis=0))
        rows -= mean
        np.square(rows, out=rows)
        square[groups] += np.add.reduceat(rows, starts, axis=0)
    count = np.bincount(labels, minlength=k)
    corpus._cache[_INDEX] = _ClusterIndex(labels.copy(), count, total, square, low, high)


def _merged(corpus: Corpus, members: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """(mean, std, min, max) of ``members`` (distinct rows) from the level-1 index when they
    are exactly a union of level-1 clusters; None otherwise."""
    index: _ClusterIndex | None = corpus._cache.get(_INDEX)
    if index is None or len(index.labels) != len(corpus) or len(members) == 0:
        return None
    groups = np.unique(index.labels[members])
    n = int(index.count[groups].sum())
    if n != len(members):
        return None
    overall, _ = overall_moments(corpus)
    mean = index.total[groups].sum(axis=0) / n
    var = index.square[groups].sum(axis=0) / n - (mean - overall) ** 2
    std = np.sqrt(np.maximum(var, 0.0))
    return mean, std, index.low[groups].min(axis=0), index.high[groups].max(axis=0)


def _direct(corpus: Corpus, members: np.ndarray) -> tuple[np.ndarray, ...]:
    part = take_rows(_values(corpus), np.sort(members))
    mean = part.mean(axis=0, dtype=np.float64)
    std = np.zeros(part.shape[1])
    for start in range(0, len(part), _BLOCK):
        centred = part[start : start + _BLOCK] - mean
        std += np.einsum("ij,ij->j", centred, centred)
    std = np.sqrt(std / max(len(part), 1))
    return mean, std, part.min(axis=0), part.max(axis=0)


def numeric_profile(corpus: Corpus, members: np.ndarray) -> pd.DataFrame:
    """Per column: cluster mean/std/min/max, overall mean/std and the mean's z-score."""
    assert corpus.numeric is not None
    members = np.asarray(members)
    overall_mean, overall_std = overall_moments(corpus)
    stats = _merged(corpus, members) or _direct(corpus, members)
    profile = pd.DataFrame(
        {
            "mean": stats[0],
            "std": stats[1],
            "min": stats[2],
            "max": stats[3],
            "overall_mean": overall_mean,
            "overall_std": np.where(overall_std > 0, overall_std, 1.0),
        },
        index=corpus.numeric.columns,
    )
    profile["z"] = (profile["mean"] - profile["overall_mean"]) / profile["overall_std"]
    return profile


def describe_profile(
    corpus: Corpus, profile: pd.DataFrame, top: int = 3, listed: int = 8
) -> tuple[str, str]:
    """A title naming the ``top`` most distinctive features; a description of ``listed``."""
    ranked = profile["z"].abs().sort_values(ascending=False, kind="stable").index
    order = ranked[:top]
    parts = []
    for col in order:
        z = float(profile.at[col, "z"])  # type: ignore[arg-type]
        if abs(z) < 0.25:
            continue
        parts.append(f"{'high' if z > 0 else 'low'} {_label(corpus, col)}")
    title = ", ".join(parts).capitalize() if parts else "Typical values on every feature"
    lines = []
    for col in ranked[:listed]:
        meta = corpus.numeric_metadata.get(col, {})
        unit = f" {meta['unit']}" if meta.get("unit") else ""
        row = profile.loc[col]
        lines.append(
            f"{_label(corpus, col)} mean {row['mean']:.4g}{unit} "
            f"(overall {row['overall_mean']:.4g}, "
            f"z={row['z']:+.2f}), range {row['min']:.4g}-{row['max']:.4g}"
        )
    return title, "; ".join(lines)


def _label(corpus: Corpus, col: str) -> str:
    return corpus.numeric_metadata.get(col, {}).get("name", col)
