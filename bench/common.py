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
# (the float32-compute MiniLM's vectors keep the file name 20ng_minilm_int8).
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
    """The machine a result was measured on; ``summary`` reads "2-core x86_64, 24 GB"."""
    import os

    cores = os.cpu_count()
    arch = platform.machine() or platform.processor()
    try:
        memory_gb: int | None = round(
            os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        )
    except (AttributeError, ValueError, OSError):
        memory_gb = None
    summary = f"{cores}-core {arch}" + (f", {memory_gb} GB" if memory_gb else "")
    return {
        "summary": summary,
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cores": cores,
        "numpy": np.__version__,
    }


def command_line() -> str:
    """The command that is running, as a user would type it (``python -m bench.bench_x ...``)."""
    import shlex
    import sys

    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    program = f"python -m {spec.name}" if spec is not None else f"python {sys.argv[0]}"
    return " ".join([program, *(shlex.quote(arg) for arg in sys.argv[1:])])


def revision() -> str:
    """The checked-out commit, with ``-dirty`` when src/ or bench/ hold uncommitted changes
    (results files aside: a bench that saves several never marks the next one dirty)."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=BENCH_DIR, capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "HEAD")
    if not commit:
        return "unknown"
    dirty = git("status", "--porcelain", "--", "../src", ".", ":!results")
    return commit + ("-dirty" if dirty else "")


def provenance(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with the command, code revision and machine that produced it, first."""
    head = {
        "command": command_line(),
        "revision": revision(),
        "machine": payload.get("machine") or machine(),
    }
    return {**head, **{k: v for k, v in payload.items() if k not in head}}


def save_json(path: Path, payload: dict[str, Any]) -> None:
    """Write a results file (creating its folder), with its provenance, and say where it went."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(provenance(payload), indent=2) + "\n")
    print(f"results in {path}")
