"""Shared helpers for the benchmarks: the 20NG corpus, cached MiniLM vectors, stage timers."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from hercules.data.newsgroups import Newsgroups, load_newsgroups
from hercules.embed import MiniLMEmbedder

BENCH_DIR = Path(__file__).resolve().parent
CACHE_DIR = BENCH_DIR / ".cache"
RESULTS_DIR = BENCH_DIR / "results"
# Cached vectors are named by the embedder's model_id, so a change of embedder never reuses them
# (the float32-compute MiniLM's file kept its earlier name).
_VECTOR_NAMES = {MiniLMEmbedder(compute="float32").model_id: "20ng_minilm_int8"}


def vectors_path(model_id: str, suffix: str = ".npy") -> Path:
    return CACHE_DIR / (_VECTOR_NAMES.get(model_id, f"20ng_{model_id}") + suffix)


VECTORS = vectors_path(MiniLMEmbedder().model_id)
VECTORS_META = vectors_path(MiniLMEmbedder().model_id, ".json")


def newsgroups_with_vectors(num_threads: int = 2) -> tuple[Newsgroups, np.ndarray, dict[str, Any]]:
    """The corpus and its MiniLM vectors; embeds once and caches them under bench/.cache."""
    corpus = load_newsgroups()
    if VECTORS.exists() and np.load(VECTORS, mmap_mode="r").shape[0] == len(corpus.texts):
        meta = json.loads(VECTORS_META.read_text()) if VECTORS_META.exists() else {}
        meta["from_cache"] = True
        return corpus, np.load(VECTORS), meta
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    vectors = MiniLMEmbedder(num_threads=num_threads).embed(corpus.texts)
    seconds = time.perf_counter() - start
    np.save(VECTORS, vectors)
    meta = {"embed_seconds": round(seconds, 1), "docs": len(corpus.texts), "threads": num_threads}
    VECTORS_META.write_text(json.dumps(meta))
    meta["from_cache"] = False
    return corpus, vectors, meta


class StageTimer:
    """A ``progress(stage, done, total)`` callback that records each stage's wall time."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        self.started.setdefault(stage, now)
        if done >= total:
            self.seconds[stage] = round(now - self.started[stage], 3)


def machine() -> dict[str, Any]:
    import os

    return {
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "numpy": np.__version__,
    }


def write_results(name: str, payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def save_json(path: Path, payload: dict[str, Any]) -> None:
    """Write a results file (creating its folder) and say where it went."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"results in {path}")
