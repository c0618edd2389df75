"""A persistent cache of LLM answers and embeddings in SQLite (one file, WAL mode).

Keys are ``sha256(model id + exact input)``: a rerun with the same inputs costs nothing, and a
changed prompt (another topic_seed, another sample) is asked again. Several threads and
processes may share one cache file: SQLite's WAL journal lets readers run beside one writer, and
writers wait (``busy_timeout``) instead of failing.

The location is ``platformdirs.user_cache_dir("hercules")/cache.sqlite3``, or
``$HERCULES_CACHE_DIR/cache.sqlite3``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hercules.errors import CacheError

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS llm (
    key TEXT PRIMARY KEY, model TEXT NOT NULL, response TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS embedding (
    key TEXT PRIMARY KEY, model TEXT NOT NULL, dim INTEGER NOT NULL, vector BLOB NOT NULL
);
"""
_CHUNK = 500


def default_cache_dir() -> Path:
    env = os.environ.get("HERCULES_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("hercules"))


def cache_key(model: str, *parts: str) -> str:
    digest = hashlib.sha256(model.encode())
    for part in parts:
        digest.update(b"\x00")
        digest.update(part.encode("utf-8", errors="surrogatepass"))
    return digest.hexdigest()


class Cache:
    """Get/put LLM answers and embedding vectors; safe across threads and processes."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_cache_dir() / "cache.sqlite3"
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=60.0, check_same_thread=False)
            self._conn.execute("PRAGMA busy_timeout = 60000")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            with self._conn:
                self._conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise CacheError(
                f"Cannot use the cache file {str(self.path)!r} ({exc}). Set HERCULES_CACHE_DIR "
                "to a writable folder, delete a damaged cache file (it only saves time), or "
                "pass cache=False (CLI: HERCULES_CACHE_DIR=...)."
            ) from exc

    # ------------------------------------------------------------------ LLM answers
    def get_text(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT response FROM llm WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put_text(self, key: str, model: str, response: str) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO llm VALUES (?, ?, ?, ?)",
                (key, model, response, time.time()),
            )

    # ------------------------------------------------------------------ embeddings
    def get_vectors(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), _CHUNK):
                chunk = list(keys[start : start + _CHUNK])
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT key, dim, vector FROM embedding WHERE key IN ({marks})", chunk
                ).fetchall()
                for key, dim, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32).reshape(dim)
        return found

    def put_vectors(self, model: str, items: dict[str, np.ndarray]) -> None:
        rows = [
            (key, model, int(vec.shape[0]), np.ascontiguousarray(vec, dtype=np.float32).tobytes())
            for key, vec in items.items()
        ]
        with self._lock, self._conn:
            self._conn.executemany("INSERT OR REPLACE INTO embedding VALUES (?, ?, ?, ?)", rows)

    def counts(self) -> dict[str, int]:
        with self._lock:
            llm = self._conn.execute("SELECT COUNT(*) FROM llm").fetchone()[0]
            emb = self._conn.execute("SELECT COUNT(*) FROM embedding").fetchone()[0]
        return {"llm": int(llm), "embedding": int(emb)}

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class CachedEmbedder:
    """Wraps an embedder that has a ``model_id``; only texts not seen before are embedded.

    New texts are embedded and stored ``chunk_size`` at a time (shortest first), each chunk
    committed before the next starts, so a crash or ``kill -9`` in the middle of a long
    embedding pass loses at most the chunk in flight: the rerun finds the rest in the cache.
    ``progress(done, total)``, when given, counts cached items as done and is called after
    every chunk.
    """

    def __init__(
        self,
        embedder: Any,
        cache: Cache,
        *,
        chunk_size: int = 512,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        self.embedder = embedder
        self.cache = cache
        self.model_id = str(embedder.model_id)
        self.chunk_size = chunk_size
        self.progress = progress
        self.hits = 0
        self.misses = 0

    def embed(self, items: Sequence[Any]) -> np.ndarray:
        items = list(items)
        if not items or not all(isinstance(item, str) for item in items):
            return np.asarray(self.embedder.embed(items), dtype=np.float32)
        keys = [cache_key(self.model_id, item) for item in items]
        found = self.cache.get_vectors(sorted(set(keys)))
        todo = sorted({k: i for i, k in reversed(list(enumerate(keys))) if k not in found}.values())
        # Length order, close to the default embedder's own (token counts): texts of similar
        # length share a chunk, so its batches pad as little as one call's would. The vectors
        # match one call bit for bit (tests/test_embed_checkpoint.py).
        todo.sort(key=lambda i: len(items[i]))
        copies = Counter(keys)
        done = len(items) - sum(copies[keys[i]] for i in todo)
        for start in range(0, len(todo), self.chunk_size):
            chunk = todo[start : start + self.chunk_size]
            fresh = np.asarray(self.embedder.embed([items[i] for i in chunk]), dtype=np.float32)
            new = {keys[i]: fresh[row] for row, i in enumerate(chunk)}
            self.cache.put_vectors(self.model_id, new)  # committed: a kill keeps this chunk
            found.update(new)
            done += sum(copies[keys[i]] for i in chunk)
            if self.progress is not None:
                self.progress(done, len(items))
        self.hits += len(items) - len(todo)
        self.misses += len(todo)
        logger.info("Embedding cache: %d hits, %d computed", len(items) - len(todo), len(todo))
        return np.stack([found[k] for k in keys]).astype(np.float32)
