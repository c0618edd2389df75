"""The executor protocol: where the embarrassingly parallel parts of a run execute.

Three parts of a run are independent per item or per cluster: embedding (per item), the
nearest-centroid assignment pass of k-means (per row) and LLM calls (per cluster). An
:class:`Executor` runs them; :class:`LocalExecutor` runs them in this process exactly as the
rest of HERCULES does, and :class:`~hercules.parallel.ray_backend.RayExecutor` spreads them
over Ray workers with the same results. Everything else (k-means training, tree building,
summarization logic, caching) stays in the driver process. Executors import this module; it
imports none of them (choosing one is :mod:`.factory`).
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from hercules.engine.base import assign

logger = logging.getLogger(__name__)


@runtime_checkable
class Executor(Protocol):
    """Runs independent work items; every method returns results in input order."""

    name: str

    @property
    def workers(self) -> int: ...

    def embed(self, embedder: Any, items: Sequence[Any]) -> np.ndarray:
        """``embedder.embed(items)``, the same (n, d) float32 array, computed by the workers."""
        ...

    def assign(self, X: np.ndarray, centroids: np.ndarray) -> np.ndarray:
        """Nearest-centroid label of every row of ``X`` (as :func:`hercules.engine.assign`)."""
        ...

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """``[fn(x) for x in items]``; ``fn`` must be picklable for a remote executor."""
        ...

    def serve_llm(self, llm: Any) -> Any:
        """An LLM (same ``model_id`` and flags) whose calls run on the workers."""
        ...


class LocalExecutor:
    """Everything in this process, as without any backend: the reference results."""

    name = "local"

    @property
    def workers(self) -> int:
        return 1

    def embed(self, embedder: Any, items: Sequence[Any]) -> np.ndarray:
        return np.asarray(embedder.embed(list(items)), dtype=np.float32)

    def assign(self, X: np.ndarray, centroids: np.ndarray) -> np.ndarray:
        return assign(X, centroids)

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        return [fn(item) for item in items]

    def serve_llm(self, llm: Any) -> Any:
        return llm


# ---------------------------------------------------------------------- embedding plan
def embed_chunks(embedder: Any, items: Sequence[Any], workers: int) -> list[np.ndarray]:
    """Split ``items`` into chunks of row indices so that embedding the chunks one by one
    gives exactly the batches ``embedder.embed(items)`` would form.

    Embedders with a ``batch_size`` that sort texts by length before batching (the default
    :class:`~hercules.embed.MiniLMEmbedder`) get chunks cut from the same length order at
    multiples of ``batch_size``: every batch, and so every vector, is the one the local run
    computes (int8 activations are quantised per batch, so a different batch mate changes the
    last bits). Other embedders get consecutive chunks in input order: their vectors equal the
    local ones when an item's vector does not depend on the other items of its call.
    """
    n = len(items)
    if n == 0:
        return []
    batch = getattr(embedder, "batch_size", None)
    texts = all(isinstance(item, str) for item in items)
    if isinstance(batch, int) and batch >= 1 and texts:
        order = np.argsort([len(item) for item in items], kind="stable")
    else:
        batch, order = 1, np.arange(n)
    # About eight chunks per worker so the last (longest) chunk does not idle the others.
    per_chunk = max(1, math.ceil(n / (8 * max(1, workers)) / batch)) * batch
    return [order[start : start + per_chunk] for start in range(0, n, per_chunk)]


def worker_copy(embedder: Any, threads: int | None) -> Any:
    """A shallow copy to ship to a worker: no progress callback (it would pickle the caller)
    and ``threads`` compute threads where the embedder has that setting and left it unset."""
    clone = copy.copy(embedder)
    if hasattr(clone, "progress"):
        clone.progress = None
    if threads is not None and getattr(clone, "num_threads", 0) is None:
        clone.num_threads = threads
    return clone


# ---------------------------------------------------------------------- wiring
class ExecutorEmbedder:
    """An :class:`~hercules.embed.Embedder` whose work runs on an executor."""

    def __init__(self, embedder: Any, executor: Executor) -> None:
        self.embedder = embedder
        self.executor = executor
        self.model_id = getattr(embedder, "model_id", type(embedder).__name__)
        self.dimension = getattr(embedder, "dimension", None)

    def embed(self, items: Sequence[Any]) -> np.ndarray:
        return self.executor.embed(self.embedder, items)


def distribute_embedder(embedder: Any, executor: Executor) -> Any:
    """``embedder`` itself for the local executor, else an :class:`ExecutorEmbedder`."""
    if isinstance(executor, LocalExecutor):
        return embedder
    return ExecutorEmbedder(embedder, executor)


def distribute_summarizer(summarizer: Any, executor: Executor) -> Any:
    """Route an LLM summarizer's model calls to the executor's workers.

    :class:`~hercules.summarize.llm.LLMSummarizer` keeps its prompts, retries, cache and log in
    this process and already runs ``concurrency`` calls at once with ordered results; only its
    ``llm`` is swapped for one served by the workers, and ``concurrency`` raised to their
    number. Summarizers without an ``llm`` (keyword titles) are returned unchanged.
    """
    if isinstance(executor, LocalExecutor) or getattr(summarizer, "llm", None) is None:
        return summarizer
    summarizer.llm = executor.serve_llm(summarizer.llm)
    summarizer.concurrency = max(int(getattr(summarizer, "concurrency", 1)), executor.workers)
    logger.info("LLM calls run on %d %s workers", executor.workers, executor.name)
    return summarizer
