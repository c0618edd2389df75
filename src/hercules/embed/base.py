"""The embedder protocol and an adapter for plain callables (the paper's client signature)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from hercules.errors import InputError, ParameterError


@runtime_checkable
class Embedder(Protocol):
    """One required method: turn a batch of inputs into a 2-D float32 array, one row each."""

    def embed(self, items: Sequence[Any]) -> np.ndarray: ...


class CallableEmbedder:
    """Wraps ``client(list) -> array-like`` so it satisfies :class:`Embedder`.

    The result is checked for shape and finiteness, because a wrong-shaped answer from a
    user's client would otherwise surface much later as a confusing k-means error.
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
        result = np.asarray(self.client(items), dtype=np.float32)
        if result.ndim != 2 or result.shape[0] != len(items):
            raise InputError(
                f"The {self.name} embedding client returned shape {result.shape} for "
                f"{len(items)} inputs; it must return one row per input, shape "
                f"({len(items)}, dim)."
            )
        if not np.isfinite(result).all():
            raise InputError(
                f"The {self.name} embedding client returned NaN or inf values; "
                "check the client or its model."
            )
        return result


def as_embedder(obj: Embedder | Callable[[list[Any]], Any], *, name: str) -> Embedder:
    """Accept an :class:`Embedder` or a bare callable."""
    if isinstance(obj, Embedder):
        return obj
    return CallableEmbedder(obj, name=name)
