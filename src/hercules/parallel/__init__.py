"""Where the parallel parts of a run execute: in this process, or on Ray workers.

``Hercules(backend="ray")`` (or ``hercules run --backend ray``) embeds, assigns rows to
centroids and calls the LLM on Ray workers; see ``docs/scaling.md``. Ray is imported only when
that backend is used (``pip install 'hercules-cluster[ray]'``).
"""

from hercules.parallel.base import (
    Executor,
    ExecutorEmbedder,
    LocalExecutor,
    distribute_embedder,
    distribute_summarizer,
)
from hercules.parallel.factory import make_executor
from hercules.parallel.kmeans import ExecutorKMeans, distribute_engine
from hercules.params import BACKENDS

__all__ = [
    "BACKENDS",
    "Executor",
    "ExecutorEmbedder",
    "ExecutorKMeans",
    "LocalExecutor",
    "RayExecutor",
    "distribute_embedder",
    "distribute_engine",
    "distribute_summarizer",
    "make_executor",
]


def __getattr__(name: str) -> object:
    # RayExecutor lives beside the others but importing it must not cost anything.
    if name == "RayExecutor":
        from hercules.parallel.ray_backend import RayExecutor

        return RayExecutor
    raise AttributeError(f"module 'hercules.parallel' has no attribute {name!r}")
