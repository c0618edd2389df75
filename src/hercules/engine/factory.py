"""Choosing a k-means engine by name or by data size."""

from __future__ import annotations

from hercules.engine.base import KMeansEngine
from hercules.engine.faiss_engine import FaissKMeans
from hercules.engine.sklearn_engine import SklearnKMeans
from hercules.errors import ParameterError

# Above this many rows the faiss engine is used by default (MODELS.md: at 200k rows sklearn
# takes ~120 s per fit where faiss with k-means++ seeding takes under a second).
FAISS_MIN_ROWS = 50_000


def make_engine(name: str | KMeansEngine, n_rows: int, *, on_disk: bool = False) -> KMeansEngine:
    """Resolve 'auto', 'sklearn', 'faiss' or an engine object. ``on_disk`` (memory-mapped
    vectors) makes 'auto' pick faiss, which streams the data instead of loading it."""
    if isinstance(name, KMeansEngine):
        return name
    if name == "auto":
        return FaissKMeans() if n_rows >= FAISS_MIN_ROWS or on_disk else SklearnKMeans()
    if name == "sklearn":
        return SklearnKMeans()
    if name == "faiss":
        return FaissKMeans()
    raise ParameterError(
        f"engine must be 'auto', 'sklearn', 'faiss' or an object with a fit() method, got {name!r}."
    )
