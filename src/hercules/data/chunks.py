"""Row blocks over arrays that may live on disk (memory-mapped ``.npy``).

Reading a memory-mapped file maps its pages into the process, and they count in its resident
memory until the kernel needs them back. Every full pass over level-0 vectors goes through
:func:`row_blocks`, which hands back each block and then drops its pages from this process
(``madvise(MADV_DONTNEED)``; the data stays in the page cache and on disk), so a pass over a
15 GB file holds one block at a time, not the file.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from hercules.errors import InputError

CHUNK_ROWS = 65_536
_PAGE = mmap.PAGESIZE


def open_vectors(source: Any) -> np.ndarray:
    """A path to a ``.npy`` file opens read-only as a memory map; arrays pass through."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if path.suffix.lower() != ".npy" or not path.is_file():
            raise InputError(
                f"Vectors must be a NumPy array or the path of an existing .npy file; got "
                f"{str(path)!r}."
            )
        try:
            array = np.load(path, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise InputError(
                f"Could not open {str(path)!r} as a .npy array ({exc}); give a numeric array "
                "saved with np.save(path, vectors.astype(np.float32))."
            ) from exc
        if not isinstance(array, np.ndarray):  # np.load of an .npz archive
            raise InputError(
                f"{str(path)!r} is an .npz archive, not one .npy array; save the vectors alone "
                "with np.save."
            )
        return array
    return source


def backing_mmap(array: Any) -> mmap.mmap | None:
    """The ``mmap`` behind a (view of a) ``np.memmap``, or None for in-memory arrays."""
    seen = 0
    while array is not None and seen < 16:
        found = getattr(array, "_mmap", None)
        if isinstance(found, mmap.mmap):
            # A copy-on-write map ("c") may hold private edits that dropping pages would lose.
            return None if getattr(array, "mode", "r") == "c" else found
        array = getattr(array, "base", None)
        seen += 1
    return None


def is_on_disk(array: Any) -> bool:
    return backing_mmap(array) is not None


def release(block: np.ndarray) -> None:
    """Drop the resident pages under ``block`` if it is a view of a memory map (else no-op)."""
    mapped = backing_mmap(block)
    if mapped is None or block.size == 0 or mapped.closed:
        return
    base = np.frombuffer(mapped, dtype=np.uint8).ctypes.data
    start = block.ctypes.data - base
    stop = start + block.nbytes
    start -= start % _PAGE
    length = min(len(mapped), stop) - start
    if length > 0 and hasattr(mapped, "madvise"):
        mapped.madvise(mmap.MADV_DONTNEED, start, length)


def row_blocks(
    X: np.ndarray, chunk_rows: int = CHUNK_ROWS, start: int = 0, stop: int | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """``(first_row, block)`` over rows ``start:stop``; memory-mapped blocks are released
    after use, so the caller must not keep a block past the next iteration."""
    stop = len(X) if stop is None else stop
    on_disk = is_on_disk(X)
    for first in range(start, stop, chunk_rows):
        block = X[first : min(first + chunk_rows, stop)]
        yield first, block
        if on_disk:
            release(block)


def take_rows(X: np.ndarray, rows: np.ndarray, chunk_rows: int = CHUNK_ROWS) -> np.ndarray:
    """``X[rows]`` as an in-memory array; ``rows`` sorted. Memory-mapped pages are read
    block by block and released."""
    if not is_on_disk(X):
        return np.asarray(X[rows])
    out = np.empty((len(rows), *X.shape[1:]), dtype=X.dtype)
    bounds = np.searchsorted(rows, np.arange(0, len(X) + chunk_rows, chunk_rows))
    for i, (first, block) in enumerate(row_blocks(X, chunk_rows)):
        lo, hi = bounds[i], bounds[i + 1]
        if hi > lo:
            out[lo:hi] = block[rows[lo:hi] - first]
    return out


def column_moments(values: np.ndarray, chunk: int = 65_536) -> tuple[np.ndarray, np.ndarray]:
    """Mean and population std per column (float64) in two passes over row blocks.

    The second pass sums squares of centred values, so a large mean cannot cancel the spread,
    and no (n, d) float64 temporary is made. Columns are first divided by a power of two near
    their largest magnitude (exact in floating point), so values near the float limits (1e308)
    cannot overflow the sums.
    """
    power = power_of_two_scale(values, chunk)
    total = np.zeros(values.shape[1])
    for _, block in row_blocks(values, chunk):
        total += (block / power).sum(axis=0, dtype=np.float64)
    mean = total / len(values)
    square = np.zeros(values.shape[1])
    for _, block in row_blocks(values, chunk):
        centred = block / power - mean
        square += np.einsum("ij,ij->j", centred, centred)
    return mean * power, np.sqrt(square / len(values)) * power


def power_of_two_scale(values: np.ndarray, chunk: int = 65_536) -> np.ndarray:
    """Per column, a power of two of the order of its largest |value| (1 when that is small)."""
    peak = np.zeros(values.shape[1])
    for _, block in row_blocks(values, chunk):
        if len(block):
            peak = np.maximum(peak, np.abs(block).max(axis=0))
    exponent = np.frexp(peak)[1]
    return np.where(peak > 1e100, np.ldexp(1.0, exponent - 1), 1.0)
