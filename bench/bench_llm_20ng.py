"""20 Newsgroups, all 18,846 docs, levels [100, 20, 5], titles by the local LLM.

Reports total time split into embed / cluster / LLM, prompt and generated tokens, LLM time
against its floor (tokens / measured tokens per second), a warm rerun (every call from the
SQLite cache), and the share of clusters whose title's MiniLM embedding is nearest to the
majority newsgroup of its members (top-1 over the 20 group names). Level-0 vectors are the
precomputed MiniLM int8 vectors in bench/.cache (embedding them takes ~6-8 min on 2 cores and
is not part of this benchmark). Writes bench/results/llm_20ng.json.

    python -m bench.bench_llm_20ng [--threads 2] [--batch-size N] [--smoke]

``--smoke`` runs the same code on a tiny synthetic corpus with a fake LLM (bench/smoke.py).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import RESULTS_DIR, StageTimer, machine, newsgroups_with_vectors, save_json
from bench.llm_common import log_totals, title_match
from hercules import Hercules
from hercules.cache import Cache
from hercules.embed import MiniLMEmbedder
from hercules.llm import LocalLLM, call
from hercules.summarize.choose import DEFAULT_BATCH_SIZE
from hercules.summarize.llm import LLMSummarizer


def measure_speed(llm: LocalLLM) -> dict[str, float]:
    """Prompt and generation tokens/s on this machine, from two calls with distinct prompts."""
    filler = " ".join(f"word{i}" for i in range(300))
    a = call(llm, f"A: {filler}\nReply with OK.", schema=None, max_tokens=1)
    b = call(llm, f"B: {filler}\nCount from 1 to 200, comma separated.", schema=None, max_tokens=96)
    prompt_rate = (a.prompt_tokens or 0) / a.seconds
    prompt_part = (b.prompt_tokens or 0) / prompt_rate
    gen_rate = (b.completion_tokens or 0) / max(1e-6, b.seconds - prompt_part)
    return {
        "prompt_tokens_per_s": round(prompt_rate, 1),
        "generated_tokens_per_s": round(gen_rate, 1),
    }


def run_once(
    texts: list[str], vectors: np.ndarray, llm: Any, batch: int, levels: list[int]
) -> dict[str, Any]:
    summarizer = LLMSummarizer(llm, batch_size=batch, cache=Cache())
    timer = StageTimer()
    start = time.perf_counter()
    model = Hercules(levels, labeller=summarizer, progress=timer).fit(texts, embeddings=vectors)
    total = time.perf_counter() - start
    return {"model": model, "summarizer": summarizer, "seconds": total, "stages": timer.seconds}


class _Hashing:
    """Smoke stand-in for MiniLM in the title check."""

    def embed(self, texts: list[str]) -> np.ndarray:
        from bench.smoke import hashing_vectors

        return hashing_vectors(texts)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--smoke", action="store_true", help="tiny corpus and a fake LLM")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "llm_20ng.json")
    args = parser.parse_args(argv)
    os.environ["HERCULES_CACHE_DIR"] = tempfile.mkdtemp(prefix="hercules-bench-")
    start = time.perf_counter()
    llm: Any
    embedder: Any
    if args.smoke:
        from bench.smoke import FakeLLM, hashing_vectors, tiny_newsgroups

        corpus = tiny_newsgroups()
        vectors, embed_meta = hashing_vectors(corpus.texts), {"smoke": True}
        llm, embedder, counts = FakeLLM(), _Hashing(), [12, 6, 3]
        speed = {"prompt_tokens_per_s": 1.0, "generated_tokens_per_s": 1.0}
    else:
        corpus, vectors, embed_meta = newsgroups_with_vectors()
        llm, embedder = LocalLLM("qwen2.5-coder-1.5b", threads=args.threads), None
        counts = [100, 20, 5]
        speed = measure_speed(llm)
    load_seconds = time.perf_counter() - start
    print("speed", speed, flush=True)

    cold = run_once(corpus.texts, vectors, llm, args.batch_size, counts)
    totals = log_totals(cold["summarizer"].call_log)
    cluster_s = sum(v for k, v in cold["stages"].items() if k.startswith("Clustering"))
    floor = (
        totals["prompt_tokens"] / speed["prompt_tokens_per_s"]
        + totals["generated_tokens"] / speed["generated_tokens_per_s"]
    )
    print("cold", round(cold["seconds"], 1), totals, flush=True)

    warm = run_once(corpus.texts, vectors, llm, args.batch_size, counts)
    warm_totals = log_totals(warm["summarizer"].call_log)
    print("warm", round(warm["seconds"], 1), warm_totals, flush=True)

    tree = cold["model"].tree_
    groups = np.asarray(corpus.categories)
    names = sorted(set(corpus.categories))
    embedder = embedder or MiniLMEmbedder()
    levels = {}
    for lvl in range(1, tree.top_level + 1):
        labels = tree.labels(lvl)
        level = tree.levels[lvl]
        members = [groups[labels == c] for c in range(len(level))]
        levels[str(lvl)] = {
            **title_match(level.titles, members, names, embedder),
            "failed": int(np.asarray(level.summary_failed).sum()),
            "titles": level.titles,
        }
    matched = sum(v["top1_match"] * v["clusters"] for v in levels.values())
    clusters = sum(v["clusters"] for v in levels.values())
    payload = {
        "what": f"20NG full run, levels {counts}, local LLM titles",
        "docs": len(corpus.texts),
        "model": llm.model_id,
        "threads": args.threads,
        "batch_size": args.batch_size,
        "embed": {
            "seconds_in_run": 0.0,
            "note": "level-0 vectors precomputed (MiniLM int8, bench/.cache) and passed "
            "with fit(embeddings=...); loading them took "
            f"{load_seconds:.1f}s",
            "precompute_meta": embed_meta,
        },
        "cold": {
            "total_seconds": round(cold["seconds"], 1),
            "cluster_seconds": round(cluster_s, 1),
            "llm_seconds": totals["llm_seconds"],
            "other_seconds": round(cold["seconds"] - cluster_s - totals["llm_seconds"], 1),
            **totals,
            "llm_floor_seconds": round(floor, 1),
            "llm_over_floor": round(totals["llm_seconds"] / max(floor, 1e-9), 2),
            "stages": cold["stages"],
        },
        "speed": speed,
        "warm_rerun": {"total_seconds": round(warm["seconds"], 1), **warm_totals},
        "title_match_top1_all_levels": round(matched / clusters, 4),
        "levels": levels,
        "machine": machine(),
        "note": "Other processes shared the 2 cores during the run; "
        "see speed for the rates measured at its start.",
    }
    save_json(args.out, payload)
    return payload


if __name__ == "__main__":
    main()
