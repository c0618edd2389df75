"""Automatic k (``--levels auto``) against known labels, on several corpora and sizes.

For every corpus the whole automatic tree is built (``Hercules(None, labeller="keywords")``,
the library's own builder) under each rule below, over ``--seeds`` random states, and every
level is scored against the corpus' labels:

- ``paper``: best silhouette over k = 2 .. 2*sqrt(n), the paper's range (``k_min=2``; the
  same sampling, scoring and stopping as the default otherwise);
- ``floor``: the default, :func:`hercules.engine.auto_k.choose_k`: best silhouette over
  k = sqrt(n)/2 (at least 3) .. 2*sqrt(n), a smaller k only with a silhouette of 0.5 or more
  that beats them, no level built over fewer than 8 clusters;
- ``sqrt_half``: no search, k = sqrt(n/2) (the textbook rule of thumb) down to 8 clusters, for
  reference.

Corpora: random 20 Newsgroups samples of 300, 1,000 and 3,000 posts (headers, signatures and
quotes stripped as scikit-learn does, empty posts dropped; 20 labels), raw posts with their
headers and quotes (300 and 1,000; what a user's e-mail export looks like), and scikit-learn's
digits (10 labels), wine (3) and iris (3) tables. Text vectors are the default MiniLM's: the
stripped posts reuse its cached 20NG vectors when they are there (``bench.bench_20ng`` writes
them), the rest are embedded once and cached in bench/.cache.

Reported per run: the level sizes, each level's ARI and NMI, the best ARI over the levels, and
the ARI of the level whose size is nearest the number of labels. Writes
bench/results/auto_k.json.

    python -m bench.bench_auto_k [--seeds 3] [--smoke]
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

import hercules.builder
from bench.common import CACHE_DIR, RESULTS_DIR, VECTORS, machine, save_json
from hercules import Hercules
from hercules.engine.auto_k import MIN_NODES, choose_k

RULES = ("paper", "floor", "sqrt_half")
SIZES = (300, 1000, 3000)
RAW_SIZES = (300, 1000)


def _sqrt_half(X: np.ndarray, engine: Any, **_: Any) -> int:
    return max(2, round(np.sqrt(len(X) / 2))) if len(X) >= MIN_NODES else 1


def rule_fn(rule: str) -> Callable[..., int]:
    if rule == "paper":
        return functools.partial(choose_k, k_min=2)
    if rule == "floor":
        return choose_k
    if rule == "sqrt_half":
        return _sqrt_half
    raise ValueError(f"unknown rule {rule!r}; one of {RULES}")


def build(data: Any, vectors: np.ndarray | None, rule: str, seed: int) -> Hercules:
    """The automatic tree under ``rule`` (the builder's choose_k swapped for the run)."""
    original = hercules.builder.choose_k
    hercules.builder.choose_k = rule_fn(rule)
    try:
        model = Hercules(None, labeller="keywords", random_state=seed, cache=False)
        return model.fit(data, embeddings=vectors)
    finally:
        hercules.builder.choose_k = original


def score(model: Hercules, truth: np.ndarray) -> dict[str, Any]:
    n_labels = len(np.unique(truth))
    levels = []
    for lvl in range(1, model.tree_.top_level + 1):
        pred = model.tree_.labels(lvl)
        levels.append(
            {
                "k": len(model.tree_.levels[lvl]),
                "ari": round(float(adjusted_rand_score(truth, pred)), 4),
                "nmi": round(float(normalized_mutual_info_score(truth, pred)), 4),
            }
        )
    nearest = min(levels, key=lambda row: (abs(row["k"] - n_labels), -row["k"]))
    return {
        "sizes": [row["k"] for row in levels],
        "levels": levels,
        "best_ari": max(row["ari"] for row in levels),
        "nearest_ari": nearest["ari"],
        "nearest_k": nearest["k"],
    }


def _cached(name: str, texts: list[str]) -> np.ndarray:
    from hercules.embed import MiniLMEmbedder

    embedder = MiniLMEmbedder(num_threads=2)
    path = CACHE_DIR / f"auto_k_{name}_{embedder.model_id}.npy"
    if path.exists() and np.load(path, mmap_mode="r").shape[0] == len(texts):
        return np.load(path)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    vectors = embedder.embed(texts)
    np.save(path, vectors)
    return vectors


def corpora(sizes: Sequence[int], raw_sizes: Sequence[int]) -> list[dict[str, Any]]:
    from sklearn.datasets import load_digits, load_iris, load_wine

    from hercules.data.newsgroups import load_newsgroups

    out = []
    news = load_newsgroups()
    usable = np.flatnonzero([bool(t.strip()) for t in news.texts])
    full = np.load(VECTORS) if VECTORS.exists() else None
    if full is not None and len(full) != len(news.texts):
        full = None
    rng = np.random.default_rng(0)
    order = rng.permutation(usable)
    for n in sizes:
        rows = np.sort(order[:n])
        texts = [news.texts[i] for i in rows]
        vectors = full[rows] if full is not None else _cached(f"20ng_{n}", texts)
        labels = np.asarray(news.labels)[rows]
        out.append({"name": f"20ng_stripped_{n}", "data": texts, "vectors": vectors, "y": labels})
    if raw_sizes:
        raw = load_newsgroups(remove=())
        order = np.random.default_rng(0).permutation(len(raw.texts))
        for n in raw_sizes:
            rows = np.sort(order[:n])
            texts = [raw.texts[i] for i in rows]
            labels = np.asarray(raw.labels)[rows]
            vectors = _cached(f"20ng_raw_{n}", texts)
            out.append({"name": f"20ng_raw_{n}", "data": texts, "vectors": vectors, "y": labels})
    for name, loader in (("digits", load_digits), ("wine", load_wine), ("iris", load_iris)):
        table = loader()
        out.append({"name": name, "data": table.data, "vectors": None, "y": table.target})
    return out


def smoke_corpora() -> list[dict[str, Any]]:
    from bench.smoke import hashing_vectors, tiny_newsgroups

    news = tiny_newsgroups(per_topic=25)
    table = np.random.default_rng(0).normal(size=(90, 4)) + np.repeat(np.eye(4)[:3] * 6, 30, 0)
    return [
        {
            "name": "smoke_topics",
            "data": news.texts,
            "vectors": hashing_vectors(news.texts),
            "y": np.asarray(news.labels),
        },
        {"name": "smoke_blobs", "data": table, "vectors": None, "y": np.repeat(np.arange(3), 30)},
    ]


def summarize(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for run in runs:
        row = table.setdefault(run["corpus"], {}).setdefault(run["rule"], {"runs": []})
        row["runs"].append(run)
    for rules in table.values():
        for rule, row in rules.items():
            group = row.pop("runs")
            rules[rule] = {
                "sizes": [r["sizes"] for r in group],
                "levels_mean": round(float(np.mean([len(r["sizes"]) for r in group])), 2),
                "k1_mean": round(float(np.mean([r["sizes"][0] for r in group])), 1),
                "top_mean": round(float(np.mean([r["sizes"][-1] for r in group])), 1),
                "best_ari_mean": round(float(np.mean([r["best_ari"] for r in group])), 4),
                "nearest_ari_mean": round(float(np.mean([r["nearest_ari"] for r in group])), 4),
                "level1_nmi_mean": round(float(np.mean([r["levels"][0]["nmi"] for r in group])), 4),
            }
    return table


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rules", default=",".join(RULES))
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--raw-sizes", default=",".join(map(str, RAW_SIZES)))
    parser.add_argument("--smoke", action="store_true", help="tiny synthetic corpora, seconds")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "auto_k.json")
    args = parser.parse_args(argv)
    rules = [r for r in args.rules.split(",") if r]
    for rule in rules:
        rule_fn(rule)
    if args.smoke:
        sets = smoke_corpora()
    else:
        sizes = [int(s) for s in args.sizes.split(",") if s]
        raw_sizes = [int(s) for s in args.raw_sizes.split(",") if s]
        sets = corpora(sizes, raw_sizes)
    runs = []
    start = time.perf_counter()
    for corpus in sets:
        n_labels = len(np.unique(corpus["y"]))
        for rule in rules:
            for seed in range(args.seeds):
                t0 = time.perf_counter()
                model = build(corpus["data"], corpus["vectors"], rule, seed)
                run = {"corpus": corpus["name"], "rule": rule, "seed": seed}
                run |= score(model, corpus["y"])
                run["seconds"] = round(time.perf_counter() - t0, 2)
                runs.append(run)
                print(
                    f"{corpus['name']:<18} n={len(corpus['y']):<5} labels={n_labels:<3} "
                    f"{rule:<10} seed {seed}: levels {run['sizes']}  "
                    f"ARI by level {[row['ari'] for row in run['levels']]}"
                )
    summary = summarize(runs)
    print(
        f"\n{'corpus':<18} {'rule':<10} {'levels':>6} {'k1':>6} {'top':>5} "
        f"{'bestARI':>8} {'ARI@~labels':>11} {'L1 NMI':>7}"
    )
    for name, by_rule in summary.items():
        for rule, row in by_rule.items():
            print(
                f"{name:<18} {rule:<10} {row['levels_mean']:>6} {row['k1_mean']:>6} "
                f"{row['top_mean']:>5} {row['best_ari_mean']:>8.3f} "
                f"{row['nearest_ari_mean']:>11.3f} {row['level1_nmi_mean']:>7.3f}"
            )
    payload = {
        "what": "automatic k (levels=None) under three rules, scored against known labels",
        "rules": {
            "paper": "best silhouette, k = 2 .. 2*sqrt(n) (k_min=2)",
            "floor": "default: best silhouette, k = max(3, round(sqrt(n)/2)) .. 2*sqrt(n); a "
            "smaller k only with silhouette >= 0.5 that beats them; no level over < 8 clusters",
            "sqrt_half": "k = round(sqrt(n/2)), no search (rule of thumb, reference)",
        },
        "labeller": "keywords",
        "embedding": "all-MiniLM-L6-v2 int8 ONNX for texts; numeric tables standardised",
        "seeds": args.seeds,
        "smoke": args.smoke,
        "summary": summary,
        "runs": runs,
        "total_seconds": round(time.perf_counter() - start, 1),
        "machine": machine(),
    }
    save_json(args.out, payload)
    return payload


if __name__ == "__main__":
    main()
