"""Ray execution backend: embedding, assignment passes and LLM calls on Ray workers.

Start it the way Ray users do. On one machine nothing is needed: the first use calls
``ray.init()``, which joins a cluster already running here (``ray start --head``) or starts a
local one. For many machines run ``ray start --head`` on one node and
``ray start --address=HEAD:6379`` on the others, then give ``address="auto"`` (or set
``RAY_ADDRESS``). If ``ray.init(...)`` was already called in this process, that session is used.
Every node needs the same Python environment with ``hercules-cluster[ray]`` installed.

* Embedding: Ray Data ``map_batches`` with a callable class; each worker builds its own copy of
  the embedder (for MiniLM: its own onnxruntime session with ``threads_per_worker`` threads).
* Assignment: row chunks through ``map_batches``; each worker holds the centroids.
* LLM: one actor per worker holding its own client (a local GGUF model, or a copy of an
  OpenAI-compatible client pointing at your server pool); calls go to whichever is idle.
"""

from __future__ import annotations

import copy
import functools
import logging
import math
import os
import pickle
import queue
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hercules.engine.base import assign
from hercules.errors import ParameterError, require
from hercules.llm.base import Completion, call, count_tokens, model_id, supports_schema
from hercules.parallel.base import embed_chunks, worker_copy

logger = logging.getLogger(__name__)

RAY_PIP = "ray[data]==2.60.0"


class RayExecutor:
    """Runs embedding, assignment and LLM calls on Ray workers; results equal the local ones.

    ``address``: ``None`` lets ``ray.init()`` find a running cluster or start a local one;
    ``"auto"`` requires a running cluster; ``"ray://HOST:10001"`` or ``"HOST:6379"`` names one.
    ``num_workers``: parallel workers (default: the cluster's CPUs / ``threads_per_worker``).
    ``init_kwargs`` go to ``ray.init`` when this executor starts Ray (e.g. ``num_cpus=2``).
    """

    name = "ray"

    def __init__(
        self,
        *,
        address: str | None = None,
        num_workers: int | None = None,
        threads_per_worker: int = 1,
        assign_chunk: int = 65_536,
        init_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if num_workers is not None and (not isinstance(num_workers, int) or num_workers < 1):
            raise ParameterError(f"num_workers must be None or an int >= 1; got {num_workers!r}.")
        if not isinstance(threads_per_worker, int) or threads_per_worker < 1:
            raise ParameterError(
                f"threads_per_worker must be an int >= 1; got {threads_per_worker!r}."
            )
        if not isinstance(assign_chunk, int) or assign_chunk < 1:
            raise ParameterError(f"assign_chunk must be an int >= 1; got {assign_chunk!r}.")
        self.address = address
        self.num_workers = num_workers
        self.threads_per_worker = threads_per_worker
        self.assign_chunk = assign_chunk
        self.init_kwargs = dict(init_kwargs or {})

    # ------------------------------------------------------------------ session
    def _ray(self) -> Any:
        ray = require("ray", "The Ray backend", RAY_PIP)
        require("ray.data", "The Ray backend", RAY_PIP)
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"log_to_driver": False, **self.init_kwargs}
            if self.address is not None:
                kwargs["address"] = self.address
            elif not os.environ.get("RAY_ADDRESS"):
                kwargs.setdefault("include_dashboard", False)
            try:
                ray.init(**kwargs)
            except ConnectionError as exc:
                raise ParameterError(
                    f"No Ray cluster answered at address={self.address!r} ({exc}). Start one "
                    "with `ray start --head`, or leave address=None for a local Ray."
                ) from exc
            logger.info("Ray started: %s", ray.cluster_resources())
        ray.data.DataContext.get_current().enable_progress_bars = False
        return ray

    @property
    def workers(self) -> int:
        if self.num_workers is not None:
            return self.num_workers
        cpus = self._ray().cluster_resources().get("CPU", 1)
        return max(1, int(cpus // self.threads_per_worker))

    def _pool(self, ray: Any, tasks: int) -> Any:
        # One task in flight per actor: an idle worker takes the next chunk (no queue behind
        # a slow one).
        return ray.data.ActorPoolStrategy(
            size=max(1, min(self.workers, tasks)), max_tasks_in_flight_per_actor=1
        )

    # ------------------------------------------------------------------ embedding
    def embed(self, embedder: Any, items: Sequence[Any]) -> np.ndarray:
        items = list(items)
        chunks = embed_chunks(embedder, items, self.workers)
        if not chunks:
            return np.asarray(embedder.embed([]), dtype=np.float32)
        ray = self._ray()
        # Paths travel as strings (Arrow has no path type); embedders open either.
        sendable = [os.fspath(x) if isinstance(x, os.PathLike) else x for x in items]
        # Longest chunks first (they are cut from the length order), one block per chunk.
        rows = [{"rows": idx, "items": [sendable[i] for i in idx]} for idx in chunks[::-1]]
        result = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            _EmbedChunks,
            fn_constructor_args=(worker_copy(embedder, self.threads_per_worker),),
            batch_size=1,
            batch_format="numpy",
            compute=self._pool(ray, len(chunks)),
            num_cpus=self.threads_per_worker,
        )
        out: np.ndarray | None = None
        progress = getattr(embedder, "progress", None)  # the caller's, called in this process
        done = 0
        for batch in result.iter_batches(batch_format="numpy", batch_size=None):
            vectors = np.asarray(batch["vector"], dtype=np.float32)
            if out is None:
                out = np.zeros((len(items), vectors.shape[1]), dtype=np.float32)
            out[batch["row"]] = vectors
            done += len(vectors)
            if callable(progress):
                progress(done, len(items))
        assert out is not None
        return out

    # ------------------------------------------------------------------ assignment
    def assign(self, X: np.ndarray, centroids: np.ndarray) -> np.ndarray:
        n = len(X)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        ray = self._ray()
        # Four chunks per worker at least; and the (rows, k) distance block at most ~1 GB.
        size = min(
            self.assign_chunk,
            max(256, (1 << 28) // max(1, len(centroids))),
            max(1, math.ceil(n / (4 * self.workers))),
        )
        rows = [
            {"start": s, "x": np.ascontiguousarray(X[s : s + size], dtype=np.float32)}
            for s in range(0, n, size)
        ]
        result = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            _AssignChunks,
            fn_constructor_args=(np.ascontiguousarray(centroids, dtype=np.float32),),
            batch_size=1,
            batch_format="numpy",
            compute=self._pool(ray, len(rows)),
            num_cpus=self.threads_per_worker,
        )
        labels = np.full(n, -1, dtype=np.int64)
        for batch in result.iter_batches(batch_format="numpy", batch_size=None):
            labels[batch["row"]] = batch["label"]
        if (labels < 0).any():
            raise RuntimeError(f"Ray assignment lost {(labels < 0).sum()} of {n} rows.")
        return labels

    # ------------------------------------------------------------------ generic map
    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        items = list(items)
        if not items:
            return []
        ray = self._ray()
        _check_picklable(ray, fn, "map function")
        # Items and results travel pickled, so they come back exactly as fn returned them.
        rows = [{"i": i, "x": pickle.dumps(x)} for i, x in enumerate(items)]
        blocks = min(len(rows), 4 * self.workers)
        result = ray.data.from_items(rows, override_num_blocks=blocks).map_batches(
            _Apply,
            fn_constructor_args=(fn,),
            batch_size=max(1, math.ceil(len(items) / blocks)),
            batch_format="numpy",
            compute=self._pool(ray, len(items)),
            num_cpus=self.threads_per_worker,
        )
        out: list[Any] = [None] * len(items)
        for batch in result.iter_batches(batch_format="numpy", batch_size=None):
            for i, y in zip(batch["i"], batch["y"], strict=True):
                out[int(i)] = pickle.loads(y)
        return out

    # ------------------------------------------------------------------ LLM
    def serve_llm(self, llm: Any) -> PooledLLM:
        ray = self._ray()
        factory = llm_factory(llm, self.threads_per_worker)
        _check_picklable(ray, factory, f"LLM client {model_id(llm)!r}")
        # The actors live for the whole fit, between levels too, while embedding and assignment
        # workers come and go: reserving CPUs would starve those (a deadlock on a small
        # cluster). Stages run one after another, so the CPUs are free when the LLM runs.
        worker = ray.remote(num_cpus=0, scheduling_strategy="SPREAD")(LLMWorker)
        actors = [worker.remote(factory) for _ in range(self.workers)]
        return PooledLLM(llm, actors, ray)


class _EmbedChunks:
    """One per Ray worker: its own embedder, one chunk (a list of items) per row."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows, vectors = [], []
        for idx, items in zip(batch["rows"], batch["items"], strict=True):
            rows.append(np.asarray(idx, dtype=np.int64))
            vectors.append(np.asarray(self.embedder.embed(list(items)), dtype=np.float32))
        return {"row": np.concatenate(rows), "vector": np.concatenate(vectors)}


class _AssignChunks:
    def __init__(self, centroids: np.ndarray) -> None:
        self.centroids = centroids

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows, labels = [], []
        for start, x in zip(batch["start"], batch["x"], strict=True):
            x = np.asarray(x, dtype=np.float32)
            rows.append(np.arange(int(start), int(start) + len(x), dtype=np.int64))
            labels.append(assign(x, self.centroids))
        return {"row": np.concatenate(rows), "label": np.concatenate(labels)}


class _Apply:
    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        ys = [pickle.dumps(self.fn(pickle.loads(x))) for x in batch["x"]]
        return {"i": batch["i"], "y": np.array(ys, dtype=object)}


# ---------------------------------------------------------------------- LLM actors
class LLMWorker:
    """A Ray actor holding one LLM client, built on the worker by ``factory()``."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.llm = factory()

    def call(self, prompt: str, schema: dict[str, Any] | None, max_tokens: int) -> Completion:
        return call(self.llm, prompt, schema=schema, max_tokens=max_tokens)

    def count_tokens(self, text: str) -> int | None:
        return count_tokens(self.llm, text)


class PooledLLM:
    """The driver's view of the worker actors: an LLM with the original's ``model_id`` (so the
    SQLite cache is shared with local runs) and flags; each call goes to an idle actor.
    Thread-safe: ``LLMSummarizer`` issues ``max_concurrency`` calls at once."""

    def __init__(self, llm: Any, actors: list[Any], ray: Any) -> None:
        self.model_id = model_id(llm)
        self.supports_schema = supports_schema(llm)
        self.max_concurrency = len(actors)
        self._ray = ray
        self._idle: queue.Queue[Any] = queue.Queue()
        for actor in actors:
            self._idle.put(actor)
        if getattr(llm, "count_tokens", None) is not None:
            self.count_tokens = self._count_tokens

    def _on_idle(self, method: str, *args: Any) -> Any:
        actor = self._idle.get()
        try:
            return self._ray.get(getattr(actor, method).remote(*args))
        finally:
            self._idle.put(actor)

    def complete_with_usage(
        self, prompt: str, *, schema: dict[str, Any] | None = None, max_tokens: int = 256
    ) -> Completion:
        result = self._on_idle("call", prompt, schema, max_tokens)
        assert isinstance(result, Completion)
        return result

    def complete(
        self, prompt: str, *, schema: dict[str, Any] | None = None, max_tokens: int = 256
    ) -> str:
        return self.complete_with_usage(prompt, schema=schema, max_tokens=max_tokens).text

    def _count_tokens(self, text: str) -> int:
        return int(self._on_idle("count_tokens", text))


def _same(obj: Any) -> Any:
    return obj


def llm_factory(llm: Any, threads: int) -> Callable[[], Any]:
    """How a worker gets its own client: a local GGUF model is loaded again there (with
    ``threads`` threads); any other client is sent as a copy (it must be picklable)."""
    from hercules.llm.local import LocalLLM

    if isinstance(llm, LocalLLM):
        spec = llm.spec
        model = spec.path if Path(spec.name).suffix.lower() == ".gguf" else spec.name
        return functools.partial(
            LocalLLM,
            model,
            threads=threads,
            context=llm.context,
            temperature=llm.temperature,
            seed=llm.seed,
        )
    return functools.partial(_same, copy.copy(llm))


def _check_picklable(ray: Any, obj: Any, what: str) -> None:
    try:
        ray.cloudpickle.dumps(obj)
    except Exception as exc:
        raise ParameterError(
            f"The {what} cannot be sent to Ray workers ({type(exc).__name__}: {exc}); give a "
            "picklable one (a module-level function or a client without open handles)."
        ) from exc
