"""Level-0 vectors given by the user or made from numbers: validation and scaling.

Both work in row blocks, so a memory-mapped input is never copied whole into float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hercules.data.chunks import column_moments, open_vectors, power_of_two_scale, row_blocks
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
    if values.dtype == np.float32 and np.all(np.abs(mean) + scale < 1e30):
        # float32 arithmetic: no float64 block temporaries (and no overflow at this size)
        mean32, inverse = mean.astype(np.float32), (1.0 / scale).astype(np.float32)
        for start, block in row_blocks(values, chunk):
            part = out[start : start + len(block)]
            np.subtract(block, mean32, out=part)
            part *= inverse
        return out, mean, scale
    for start, block in row_blocks(values, chunk):
        out[start : start + len(block)] = apply_scaling(block, mean, scale)
    return out, mean, scale


def apply_scaling(values: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``(values - mean) / scale`` as float32, without overflow for values near 1e308:
    huge columns are first divided by a power of two (exact), the same for every term."""
    values = np.asarray(values, dtype=np.float64)
    power = power_of_two_scale(values) if len(values) else np.ones(values.shape[1])
    power = np.maximum(power, power_of_two_scale(np.abs(mean)[None, :]))
    return ((values / power - mean / power) / (scale / power)).astype(np.float32)


def check_embeddings(embeddings: Any, n: int) -> np.ndarray:
    try:
        vectors = np.asarray(open_vectors(embeddings))
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise InputError(
            f"embeddings could not be read as a 2-D array ({exc}); give an array of shape "
            f"({n}, dim) with rows of equal length."
        ) from None
    if vectors.ndim != 2 or vectors.shape[0] != n or vectors.shape[1] == 0:
        raise InputError(
            f"embeddings has shape {vectors.shape} but the data has {n} items; give an array of "
            f"shape ({n}, dim) with dim >= 1, one row per item in input order."
        )
    if vectors.dtype.kind not in "biuf":
        raise InputError(
            f"embeddings must be numeric, got dtype {vectors.dtype}; convert it with "
            "np.asarray(embeddings, dtype=np.float32)."
        )
    limit = float(np.finfo(np.float32).max)
    for start, block in row_blocks(vectors):
        if not np.isfinite(block).all():
            bad = start + int(np.argwhere(~np.isfinite(block))[0][0])
            raise InputError(
                f"embeddings holds NaN/inf values (first in row {bad}); fix or drop that row."
            )
        if vectors.dtype.kind == "f" and vectors.dtype.itemsize > 4 and (abs(block) > limit).any():
            bad = start + int(np.argwhere(abs(block) > limit)[0][0])
            raise InputError(
                f"embeddings row {bad} holds values beyond the float32 range (|x| > {limit:.3g}); "
                "rescale the vectors (e.g. divide by their norm)."
            )
    return np.asarray(vectors, dtype=np.float32)
