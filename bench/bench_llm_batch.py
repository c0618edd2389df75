"""Batch size 1 vs several for LLM summaries: time, tokens and title quality on 20NG.

A 2,000-document 20NG sample (precomputed MiniLM vectors from bench/.cache), one level of 30
clusters, Qwen2.5-Coder-1.5B on 2 threads, no cache. Quality: share of clusters whose title's
embedding is nearest to the majority newsgroup of its members. Writes
bench/results/llm_batch.json.

    python -m bench.bench_llm_batch [--sizes 1,4] [--n 2000] [--k 30] [--smoke]

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

from bench.common import RESULTS_DIR, machine, newsgroups_with_vectors, save_json
from bench.llm_common import log_totals, title_match
from hercules import Hercules
from hercules.embed import MiniLMEmbedder
from hercules.llm import LocalLLM
from hercules.summarize.llm import LLMSummarizer


class _Hashing:
    """Smoke stand-in for MiniLM in the title check."""

    def embed(self, texts: list[str]) -> np.ndarray:
        from bench.smoke import hashing_vectors

        return hashing_vectors(texts)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1,4")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--k", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="tiny corpus and a fake LLM")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "llm_batch.json")
    args = parser.parse_args(argv)
    os.environ["HERCULES_CACHE_DIR"] = tempfile.mkdtemp(prefix="hercules-bench-")
    llm: Any
    embedder: Any
    if args.smoke:
        from bench.smoke import FakeLLM, hashing_vectors, tiny_newsgroups

        corpus = tiny_newsgroups()
        vectors = hashing_vectors(corpus.texts)
        args.n, args.k = min(args.n, len(corpus.texts)), min(args.k, 6)
        llm, embedder = FakeLLM(), _Hashing()
    else:
        corpus, vectors, _ = newsgroups_with_vectors()
        llm = LocalLLM("qwen2.5-coder-1.5b", threads=args.threads)
        embedder = MiniLMEmbedder()
    rng = np.random.default_rng(0)
    keep = np.sort(rng.choice(len(corpus.texts), size=args.n, replace=False))
    texts = [corpus.texts[i] for i in keep]
    groups = np.asarray(corpus.categories)[keep]
    runs = []
    for size in [int(s) for s in args.sizes.split(",")]:
        summarizer = LLMSummarizer(llm, batch_size=size, cache=None)
        start = time.perf_counter()
        model = Hercules([args.k], labeller=summarizer, cache=False).fit(
            texts, embeddings=vectors[keep]
        )
        seconds = time.perf_counter() - start
        labels = model.tree_.labels(1)
        level = model.tree_.levels[1]
        members = [groups[labels == c] for c in range(len(level))]
        quality = title_match(level.titles, members, sorted(set(corpus.categories)), embedder)
        failed = int(np.asarray(level.summary_failed).sum())
        run = {
            "batch_size": size,
            "fit_seconds": round(seconds, 1),
            **log_totals(summarizer.call_log),
            "failed_clusters": failed,
            **quality,
            "titles": level.titles,
        }
        print({k: v for k, v in run.items() if k != "titles"}, flush=True)
        runs.append(run)
    payload = {
        "what": "LLM summary batch size on a 20NG sample (one level)",
        "docs": args.n,
        "k": args.k,
        "model": llm.model_id,
        "threads": args.threads,
        "embeddings": "precomputed MiniLM int8 vectors from bench/.cache",
        "runs": runs,
        "machine": machine(),
    }
    save_json(args.out, payload)
    return payload


if __name__ == "__main__":
    main()
