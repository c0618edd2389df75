"""Factorial ablation (paper section 6.3, Table 2) with the local models on a 20NG subset.

Factors: representation_mode (direct / description) x use_resampling (off / on) x topic seed
(none / "Key Technological Innovations and Their Societal Impact"), each configuration over
``--seeds`` random states. The paper's other factors (its cloud embedding and LLM models) cannot
run offline; here the models are fixed: MiniLM int8 vectors and Qwen2.5-Coder-1.5B through
hercules' default LLM labeller (``labeller="llm"``, ``--llm-threads`` threads, 1 by default
here).

Data: a stratified 20NG subset, ``--per-category`` documents from each of the 20 newsgroups
(non-empty after stripping, at least 50 characters), drawn with a fixed seed. Level-0 vectors are
the cached MiniLM vectors of bench/.cache, served through a ``text_embedding_client`` that looks
them up (description and topic-seed texts are embedded live), so level 0 is exactly what a
plain run embeds itself. Levels ``--levels`` (default [12, 6]); level 2 is scored against the
six classic 20NG super-groups (comp, rec, sci, politics, religion, forsale), level 1 against the
20 newsgroups. Level 1 does not depend on representation_mode (both modes cluster the item
vectors there), so its ARI is listed but not tested.

Metrics per run at level 2: ARI, silhouette (item vectors by level-2 cluster), LLM silhouette
(level-1 description embeddings by their level-2 parent), topic alignment (mean cosine between
the level-2 title+description embeddings and the topic-seed embedding; computed for every run,
seeded or not) and time. Each main effect: two-sided Mann-Whitney U between its two halves of
the runs (scipy.stats.mannwhitneyu), as in the paper's Table 2.

The LLM cache (a fresh directory per invocation) is shared by the runs: level 1 is identical in
both modes, so its prompts are answered once. Each run reports its wall time and its
cold-equivalent time (wall time plus the original seconds of the calls it took from the cache);
the cold-equivalent time is the one tested. Writes bench/results/ablation.json.

    python -m bench.bench_ablation [--per-category 60] [--levels 12,6] [--seeds 2] [--smoke]
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import mannwhitneyu
from sklearn.metrics import adjusted_rand_score

from bench.common import RESULTS_DIR, machine, save_json
from hercules import Hercules
from hercules.data.newsgroups import Newsgroups

TOPIC = "Key Technological Innovations and Their Societal Impact"
RELIGION = {"alt.atheism", "soc.religion.christian", "talk.religion.misc"}
FACTORS = ("representation_mode", "use_resampling", "topic_seed_active")
LEVELS = {"representation_mode": ("direct", "description"), "use_resampling": (False, True)}
METRICS = ("ari", "silhouette", "llm_silhouette", "topic_alignment", "seconds")


def super_group(category: str) -> str:
    """The six classic 20NG groups: comp, rec, sci, politics, religion, misc (forsale)."""
    if category in RELIGION:
        return "religion"
    if category.startswith("talk.politics"):
        return "politics"
    return category.split(".")[0]


def stratified_subset(news: Newsgroups, per_category: int, seed: int = 0) -> np.ndarray:
    """``per_category`` indices per newsgroup among texts of >= 50 characters, sorted."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(news.labels)
    usable = np.array([len(t.strip()) >= 50 for t in news.texts])
    keep = []
    for label in np.unique(labels):
        pool = np.flatnonzero((labels == label) & usable)
        if len(pool) < per_category:
            raise ValueError(
                f"per_category={per_category} but newsgroup {label} has only {len(pool)} usable "
                "documents."
            )
        keep.append(rng.choice(pool, size=per_category, replace=False))
    return np.sort(np.concatenate(keep))


class LookupEmbedder:
    """A ``text_embedding_client``: precomputed vectors for known texts, ``fallback`` for others."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray, fallback: Any) -> None:
        self.index = {text: row for row, text in enumerate(texts)}
        self.vectors = vectors
        self.fallback = fallback
        self.live_texts = 0

    def __call__(self, items: list[str]) -> np.ndarray:
        out = np.zeros((len(items), self.vectors.shape[1]), dtype=np.float32)
        missing = [i for i, text in enumerate(items) if text not in self.index]
        for i, text in enumerate(items):
            if text in self.index:
                out[i] = self.vectors[self.index[text]]
        if missing:
            self.live_texts += len(missing)
            out[missing] = self.fallback([items[i] for i in missing])
        return out


def load(smoke: bool, per_category: int) -> dict[str, Any]:
    if smoke:
        from bench.smoke import hashing_vectors, tiny_newsgroups

        news = tiny_newsgroups(per_topic=per_category)
        vectors = hashing_vectors(news.texts)
        return {"news": news, "vectors": vectors, "fallback": hashing_vectors}
    from bench.common import newsgroups_with_vectors
    from hercules.embed import MiniLMEmbedder

    full, all_vectors, _ = newsgroups_with_vectors()
    keep = stratified_subset(full, per_category)
    news = Newsgroups(
        texts=[full.texts[i] for i in keep],
        labels=[full.labels[i] for i in keep],
        categories=[full.categories[i] for i in keep],
        ids=[full.ids[i] for i in keep],
    )
    return {"news": news, "vectors": all_vectors[keep], "fallback": MiniLMEmbedder().embed}


def labeller_for(smoke: bool, threads: int = 1) -> dict[str, Any]:
    if not smoke:
        return {"labeller": "llm", "llm_options": {"threads": threads}}
    from bench.smoke import FakeLLM
    from hercules.cache import Cache
    from hercules.summarize.llm import LLMSummarizer

    return {"labeller": LLMSummarizer(FakeLLM(), cache=Cache())}


def run_one(
    config: dict[str, Any],
    seed: int,
    data: dict[str, Any],
    levels: list[int],
    smoke: bool,
    live_seconds: dict[str, float],
    threads: int = 1,
) -> dict[str, Any]:
    news: Newsgroups = data["news"]
    embedder = LookupEmbedder(news.texts, data["vectors"], data["fallback"])
    model = Hercules(
        levels,
        representation_mode=config["representation_mode"],
        use_resampling=config["use_resampling"],
        text_embedding_client=embedder,
        random_state=seed,
        **labeller_for(smoke, threads),
    )
    start = time.perf_counter()
    model.fit(news.texts, topic_seed=TOPIC if config["topic_seed_active"] else None)
    wall = time.perf_counter() - start
    log = list(getattr(model.summarizer_, "call_log", []))
    live = [r for r in log if not r["cached"]]
    for record in live:
        live_seconds.setdefault(record["prompt"], float(record["seconds"] or 0.0))
    reused = sum(live_seconds.get(r["prompt"], 0.0) for r in log if r["cached"])
    top = model.tree_.top_level
    supers = [super_group(c) for c in news.categories]
    scores = model.evaluate_level(top, ground_truth_labels=supers, topic_seed=TOPIC)
    titles = model.tree_.levels[top].titles
    return {
        **config,
        "seed": seed,
        "ari": scores["ari"],
        "nmi": scores["nmi"],
        "silhouette": scores["silhouette"],
        "llm_silhouette": scores.get("llm_silhouette"),
        "topic_alignment": scores.get("topic_alignment"),
        "level1_ari_vs_newsgroups": float(adjusted_rand_score(news.labels, model.tree_.labels(1))),
        "wall_seconds": round(wall, 2),
        "seconds": round(wall + reused, 2),
        "llm_calls_live": len(live),
        "llm_calls_cached": len(log) - len(live),
        "llm_seconds_live": round(sum(float(r["seconds"] or 0.0) for r in live), 2),
        "prompt_tokens": sum(r.get("prompt_tokens") or 0 for r in live),
        "generated_tokens": sum(r.get("completion_tokens") or 0 for r in live),
        "failed_summaries": int(
            sum(np.asarray(lvl.summary_failed).sum() for lvl in model.tree_.levels[1:])
        ),
        "texts_embedded_live": embedder.live_texts,
        "top_titles": titles,
    }


def main_effects(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per factor and metric: the two halves' means and a two-sided Mann-Whitney U test."""
    out: dict[str, Any] = {}
    for factor in FACTORS:
        values = sorted({r[factor] for r in runs}, key=str)
        if len(values) != 2:
            continue
        low, high = values if factor != "representation_mode" else ("direct", "description")
        out[factor] = {"levels": [str(low), str(high)]}
        for metric in METRICS:
            a = [r[metric] for r in runs if r[factor] == low and r[metric] is not None]
            b = [r[metric] for r in runs if r[factor] == high and r[metric] is not None]
            if not a or not b:
                continue
            test = mannwhitneyu(a, b, alternative="two-sided")
            out[factor][metric] = {
                "mean": [float(np.mean(a)), float(np.mean(b))],
                "U": float(test.statistic),
                "p": float(test.pvalue),
                "n": [len(a), len(b)],
            }
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-category", type=int, default=60)
    parser.add_argument("--levels", default="12,6")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="tiny corpus and a fake LLM")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "ablation.json")
    parser.add_argument("--llm-threads", type=int, default=1, help="CPU threads of the LLM")
    args = parser.parse_args(argv)
    if args.smoke:
        args.per_category = min(args.per_category, 15)
        args.levels = "6,4"
    levels = [int(x) for x in args.levels.split(",")]
    if len(levels) != 2:
        raise ValueError(f"--levels must give two levels, got {args.levels!r}.")
    os.environ["HERCULES_CACHE_DIR"] = tempfile.mkdtemp(prefix="hercules-ablation-")
    data = load(args.smoke, args.per_category)
    configs = [
        dict(zip(FACTORS, values, strict=True))
        for values in itertools.product(LEVELS["representation_mode"], (False, True), (False, True))
    ]
    runs: list[dict[str, Any]] = []
    live_seconds: dict[str, float] = {}
    start = time.perf_counter()
    for seed in range(args.seeds):
        # Alternate which mode goes first, so cache reuse does not favour one mode's wall time.
        order = configs if seed % 2 == 0 else configs[4:] + configs[:4]
        for config in order:
            run = run_one(config, seed, data, levels, args.smoke, live_seconds, args.llm_threads)
            runs.append(run)
            print(
                f"seed {seed} {config}: ARI {run['ari']:.3f} sil {run['silhouette']:.3f} "
                f"llm-sil {run['llm_silhouette']} align {run['topic_alignment']:.3f} "
                f"{run['seconds']:.0f} s ({run['llm_calls_live']} live / "
                f"{run['llm_calls_cached']} cached calls)",
                flush=True,
            )
    effects = main_effects(runs)
    news = data["news"]
    payload = {
        "what": "Factorial ablation: representation_mode x use_resampling x topic seed",
        "corpus": "smoke: synthetic topic texts"
        if args.smoke
        else f"20NG stratified subset, {args.per_category} docs per newsgroup (>= 50 chars), "
        "rng seed 0",
        "docs": len(news.texts),
        "levels": levels,
        "seeds": args.seeds,
        "topic_seed": TOPIC,
        "labeller": "smoke fake LLM" if args.smoke else "labeller='llm' (Qwen2.5-Coder-1.5B)",
        "llm_threads": args.llm_threads,
        "metric_level": 2,
        "ari_truth": "six 20NG super-groups (comp, rec, sci, politics, religion, misc)",
        "seconds_meaning": "cold-equivalent: wall time plus the original seconds of calls "
        "answered from the shared cache",
        "total_wall_seconds": round(time.perf_counter() - start, 1),
        "main_effects": effects,
        "runs": runs,
        "not_run_offline": ["embedding model factor (cloud)", "LLM factor (cloud models)"],
        "machine": machine(),
    }
    save_json(args.out, payload)
    for factor, row in effects.items():
        for metric in METRICS:
            if metric in row:
                m = row[metric]
                print(
                    f"{factor:<20} {metric:<16} {m['mean'][0]:8.3f} vs {m['mean'][1]:8.3f}  "
                    f"U={m['U']:.1f} p={m['p']:.3f}"
                )
    print(f"results in {args.out}")
    return payload


if __name__ == "__main__":
    main()
