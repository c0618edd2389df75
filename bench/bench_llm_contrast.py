"""Sibling contrast in LLM prompts: does it make titles tell clusters apart, and at what cost?

A stratified-by-chance 20NG sample (precomputed MiniLM vectors from bench/.cache), levels
[30, 6], Qwen2.5-Coder-1.5B, no cache. Arms (same clusters in every arm, so only the prompt
differs):

- ``baseline``: 5 representative samples of 300 characters per cluster.
- ``contrast``: the same plus the cluster's 10 c-TF-IDF terms and the term titles of its
  3 most similar sibling clusters ("the title must set this one apart").
- ``lean``: contrast hints with 3 samples of 150 characters (fewer prompt tokens).

Quality per level, all with MiniLM: ``retrieval`` = share of clusters whose "title.
description" embedding is nearest to their own members' centroid among the level's clusters
(can a reader find the cluster from its label?); ``title_retrieval`` = the same with the title
alone; ``top1_match`` = title nearest to the members' majority newsgroup name; ``unique`` =
share of distinct titles; ``copied_child`` = level-2 titles equal to a child's title.

    python -m bench.bench_llm_contrast [--arms baseline,contrast,lean] [--n 2000] [--threads 2]
    python -m bench.bench_llm_contrast --smoke   # tiny corpus, fake LLM: seconds
"""

from __future__ import annotations

import argparse
import json
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

ARMS: dict[str, dict[str, int]] = {
    "baseline": {"distinctive_terms": 0, "contrast_neighbours": 0},
    "contrast": {"distinctive_terms": 10, "contrast_neighbours": 3},
    "lean": {
        "distinctive_terms": 10,
        "contrast_neighbours": 3,
        "n_samples": 3,
        "sample_chars": 150,
    },
}


def label_quality(
    model: Hercules, vectors: np.ndarray, groups: np.ndarray, names: list[str], embedder: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tree = model.tree_
    for level in range(1, len(tree.levels)):
        data = tree.levels[level]
        labels = tree.labels(level)
        k = len(data)
        centroids = np.stack([vectors[labels == c].mean(axis=0) for c in range(k)])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        full = embedder.embed(
            [f"{t}. {d}" for t, d in zip(data.titles, data.descriptions, strict=True)]
        )
        titles = embedder.embed(list(data.titles))
        own = np.arange(k)
        row: dict[str, Any] = {
            "clusters": k,
            "retrieval": round(float(np.mean((full @ centroids.T).argmax(1) == own)), 4),
            "title_retrieval": round(float(np.mean((titles @ centroids.T).argmax(1) == own)), 4),
            "unique": round(len({t.strip().lower() for t in data.titles}) / k, 4),
            "failed": int(np.asarray(data.summary_failed).sum()),
        }
        members = [groups[labels == c] for c in range(k)]
        row["top1_match"] = title_match(list(data.titles), members, names, embedder)["top1_match"]
        if level >= 2:
            below = tree.levels[level - 1]
            assert below.parent is not None
            copied = [
                data.titles[c].strip().lower()
                in {below.titles[j].strip().lower() for j in np.flatnonzero(below.parent == c)}
                for c in range(k)
            ]
            row["copied_child"] = round(float(np.mean(copied)), 4)
        out[f"L{level}"] = row
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arms", default="baseline,contrast,lean")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--levels", default="30,6")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seeds", default="0", help="sample seeds, e.g. 0,1,2")
    parser.add_argument(
        "--append", action="store_true", help="keep the runs already in the results file"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny corpus and a fake LLM")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "llm_contrast.json")
    args = parser.parse_args(argv)
    os.environ["HERCULES_CACHE_DIR"] = tempfile.mkdtemp(prefix="hercules-bench-")
    llm: Any
    embedder: Any
    if args.smoke:
        from bench.bench_llm_batch import _Hashing
        from bench.smoke import FakeLLM, hashing_vectors, tiny_newsgroups

        corpus = tiny_newsgroups()
        vectors = hashing_vectors(corpus.texts)
        args.n, args.levels = min(args.n, len(corpus.texts)), "6,2"
        llm, embedder = FakeLLM(), _Hashing()
    else:
        corpus, vectors, _ = newsgroups_with_vectors()
        llm = LocalLLM("qwen2.5-coder-1.5b", threads=args.threads)
        embedder = MiniLMEmbedder()
    names = sorted(set(corpus.categories))
    levels = [int(k) for k in args.levels.split(",")]
    earlier = json.loads(args.out.read_text()) if args.append and args.out.exists() else {}
    runs = earlier.get("runs", [])
    for seed in [int(s) for s in args.seeds.split(",")]:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(corpus.texts), size=args.n, replace=False))
        runs += run_arms(args, seed, keep, corpus, vectors, names, levels, llm, embedder)
    payload = {
        "what": "sibling-contrast hints in LLM prompts on 20NG samples",
        "docs": args.n,
        "levels": levels,
        "model": llm.model_id,
        "threads": args.threads,
        "embeddings": "precomputed MiniLM int8 vectors from bench/.cache",
        "mean_by_arm": mean_by_arm(runs),
        "runs": runs,
        "machine": machine(),
    }
    save_json(args.out, payload)
    return payload


def mean_by_arm(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean of every quality figure and of tokens/seconds per arm, over the sample seeds."""
    out: dict[str, Any] = {}
    for arm in dict.fromkeys(r["arm"] for r in runs):
        mine = [r for r in runs if r["arm"] == arm]
        row: dict[str, Any] = {"seeds": [r["seed"] for r in mine]}
        for key in ("prompt_tokens", "generated_tokens", "llm_seconds"):
            row[key] = round(float(np.mean([r[key] for r in mine])), 1)
        for level, figures in mine[0]["quality"].items():
            for name in figures:
                values = [r["quality"][level][name] for r in mine]
                row[f"{level}_{name}"] = round(float(np.mean(values)), 4)
        out[arm] = row
    return out


def run_arms(
    args: argparse.Namespace,
    seed: int,
    keep: np.ndarray,
    corpus: Any,
    vectors: np.ndarray,
    names: list[str],
    levels: list[int],
    llm: Any,
    embedder: Any,
) -> list[dict[str, Any]]:
    texts = [corpus.texts[i] for i in keep]
    groups = np.asarray(corpus.categories)[keep]
    runs = []
    for arm in args.arms.split(","):
        summarizer = LLMSummarizer(llm, cache=None, **ARMS[arm])  # type: ignore[arg-type]
        start = time.perf_counter()
        model = Hercules(levels, labeller=summarizer, cache=False, random_state=seed).fit(
            texts, embeddings=vectors[keep]
        )
        seconds = time.perf_counter() - start
        run = {
            "arm": arm,
            "seed": seed,
            "settings": ARMS[arm],
            "fit_seconds": round(seconds, 1),
            **log_totals(summarizer.call_log),
            "quality": label_quality(model, vectors[keep], groups, names, embedder),
            "titles": {
                f"L{lvl}": list(model.tree_.levels[lvl].titles)
                for lvl in range(1, len(model.tree_.levels))
            },
        }
        print({k: v for k, v in run.items() if k != "titles"}, flush=True)
        runs.append(run)
    return runs


if __name__ == "__main__":
    main()
