"""Level-0 vectors given by the user or made from numbers: validation and scaling.

Both work in row blocks, so a memory-mapped input is never copied whole into float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hercules.data.chunks import column_moments, open_vectors, row_blocks
from hercules.errors import InputError


def resolve_unit_norm(setting: bool | None, vectors: np.ndarray) -> bool:
    """``None`` means: normalise upper-level centroids when the items are unit vectors."""
    if setting is not None:
        return setting
    norms = np.linalg.norm(vectors[: min(len(vectors), 10_000)], axis=1)
    return bool(np.all(np.abs(norms - 1.0) < 1e-3))


def standardize(
    values: np.ndarray, chunk: int = 65_536
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z-scores as float32, mean, scale), in row blocks: no float64 copy of the table."""
    mean, std = column_moments(values, chunk)
    scale = np.where(std > 1e-12 * np.maximum(np.abs(mean), 1.0), std, 1.0)
    out = np.empty(values.shape, dtype=np.float32)
    if values.dtype == np.float32:  # float32 arithmetic: no float64 block temporaries
        mean32, inverse = mean.astype(np.float32), (1.0 / scale).astype(np.float32)
        for start, block in row_blocks(values, chunk):
            part = out[start : start + len(block)]
            np.subtract(block, mean32, out=part)
            part *= inverse
        return out, mean, scale
    for start, block in row_blocks(values, chunk):
        out[start : start + len(block)] = (block - mean) / scale
    return out, mean, scale


def check_embeddings(embeddings: Any, n: int) -> np.ndarray:
    vectors = np.asarray(open_vectors(embeddings))
    if vectors.ndim != 2 or vectors.shape[0] != n:
        raise InputError(
            f"embeddings has shape {vectors.shape} but the data has {n} items; give an array of "
            f"shape ({n}, dim), one row per item in input order."
        )
    if vectors.dtype.kind not in "biuf":
        raise InputError(f"embeddings must be numeric, got dtype {vectors.dtype}.")
    for start, block in row_blocks(vectors):
        if not np.isfinite(block).all():
            bad = start + int(np.argwhere(~np.isfinite(block))[0][0])
            raise InputError(
                f"embeddings holds NaN/inf values (first in row {bad}); fix or drop that row."
            )
    return np.asarray(vectors, dtype=np.float32)
