"""The embedder protocol and an adapter for plain callables (the paper's client signature)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from hercules.errors import EmbeddingError, HerculesError, InputError, ParameterError


@runtime_checkable
class Embedder(Protocol):
    """One required method: turn a batch of inputs into a 2-D float32 array, one row each."""

    def embed(self, items: Sequence[Any]) -> np.ndarray: ...


class CallableEmbedder:
    """Wraps ``client(list) -> array-like`` so it satisfies :class:`Embedder`.

    Its answers are checked by :class:`CheckedEmbedder`, which the estimator puts around
    every user-given embedder.
    """

    def __init__(self, client: Callable[[list[Any]], Any], *, name: str = "callable") -> None:
        if not callable(client):
            raise ParameterError(f"Embedding client must be callable, got {type(client).__name__}.")
        self.client = client
        self.name = name
        self.model_id = f"callable:{getattr(client, '__qualname__', type(client).__name__)}"

    def embed(self, items: Sequence[Any]) -> np.ndarray:
        items = list(items)
        if not items:
            return np.zeros((0, 0), dtype=np.float32)
        return self.client(items)


class CheckedEmbedder:
    """Checks every answer of a user's embedder as it comes, and names the client in errors.

    A wrong answer (ragged rows, wrong row count, zero width, NaN, a width that differs from
    the client's earlier answers) or an exception inside the client would otherwise surface
    much later, as a confusing k-means or matrix error after the tree was built and labelled.
    """

    def __init__(self, embedder: Any, *, name: str) -> None:
        self.embedder = embedder
        self.name = name
        self.model_id = getattr(embedder, "model_id", type(embedder).__name__)
        self.dimension: int | None = None  # the width of the first answer

    def embed(self, items: Sequence[Any]) -> np.ndarray:
        items = list(items)
        if not items:
            return np.zeros((0, self.dimension or 0), dtype=np.float32)
        where = f"The {self.name} embedding client {self.model_id!r}"
        try:
            raw = self.embedder.embed(items)
        except HerculesError:
            raise
        except Exception as exc:
            raise EmbeddingError(
                f"{where} failed on a batch of {len(items)} items (the first: "
                f"{str(items[0])!r:.60}) with {type(exc).__name__}: {exc}. Fix the client "
                "(or its service) and run again; with checkpoint=/--out, finished levels are "
                "kept."
            ) from exc
        try:
            result = np.asarray(raw, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"{where} returned rows that do not form a numeric 2-D array ({exc}); it must "
                f"return one vector of the same length per input, shape ({len(items)}, dim)."
            ) from None
        if result.ndim != 2 or result.shape[0] != len(items) or result.shape[1] == 0:
            raise InputError(
                f"{where} returned shape {result.shape} for {len(items)} inputs; it must "
                f"return one row per input, shape ({len(items)}, dim) with dim >= 1."
            )
        if not np.isfinite(result).all():
            raise InputError(f"{where} returned NaN or inf values; check the client or its model.")
        if self.dimension is None:
            self.dimension = int(result.shape[1])
        elif result.shape[1] != self.dimension:
            raise InputError(
                f"{where} returned vectors of width {result.shape[1]}, but its earlier answers "
                f"had width {self.dimension}; every call must use the same model and width."
            )
        return result


def as_embedder(obj: Embedder | Callable[[list[Any]], Any], *, name: str) -> Embedder:
    """Accept an :class:`Embedder` or a bare callable; its answers are checked as they come."""
    if isinstance(obj, CheckedEmbedder):
        return obj
    inner = obj if isinstance(obj, Embedder) else CallableEmbedder(obj, name=name)
    return CheckedEmbedder(inner, name=name)
