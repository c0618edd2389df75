"""20 Newsgroups, all 18,846 docs: HERCULES [100, 20, 5] with the keyword labeller vs flat
KMeans(20) on the same MiniLM vectors. Prints level-2 ARI/NMI and stage times; writes
bench/results/20ng_foundation.json.

    python -m bench.bench_20ng [--seeds 5] [--smoke]

``--smoke`` runs the same code on a tiny synthetic corpus (bench/smoke.py) in seconds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from bench.common import (
    CACHE_DIR,
    RESULTS_DIR,
    StageTimer,
    machine,
    newsgroups_with_vectors,
    save_json,
)
from hercules import Hercules


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--levels", default="100,20,5")
    parser.add_argument("--smoke", action="store_true", help="tiny synthetic corpus, seconds")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "20ng_foundation.json")
    args = parser.parse_args(argv)
    if args.smoke:
        args.levels = "12,6"
    levels = [int(x) for x in args.levels.split(",")]

    start = time.perf_counter()
    if args.smoke:
        from bench.smoke import hashing_vectors, tiny_newsgroups

        corpus = tiny_newsgroups()
        vectors, embed_meta = hashing_vectors(corpus.texts), {"smoke": True}
        run_dir = Path(tempfile.mkdtemp(prefix="bench-20ng-smoke-")) / "run"
    else:
        corpus, vectors, embed_meta = newsgroups_with_vectors()
        run_dir = CACHE_DIR / "run_20ng"
    load_seconds = time.perf_counter() - start
    truth = np.asarray(corpus.labels)
    n_groups = len(np.unique(truth))
    runs = []
    for seed in range(args.seeds):
        timer = StageTimer()
        t0 = time.perf_counter()
        model = Hercules(levels, random_state=seed, labeller="keywords", progress=timer)
        model.fit(corpus.texts, embeddings=vectors)
        hercules_seconds = time.perf_counter() - t0
        level2 = model.labels_[2]
        t0 = time.perf_counter()
        flat = KMeans(n_groups, n_init=1, random_state=seed).fit_predict(vectors)
        flat_seconds = time.perf_counter() - t0
        run = {
            "seed": seed,
            "hercules_l2_ari": adjusted_rand_score(truth, level2),
            "hercules_l2_nmi": normalized_mutual_info_score(truth, level2),
            "flat_ari": adjusted_rand_score(truth, flat),
            "flat_nmi": normalized_mutual_info_score(truth, flat),
            "hercules_fit_seconds": round(hercules_seconds, 2),
            "flat_kmeans_seconds": round(flat_seconds, 2),
            "stages": timer.seconds,
        }
        runs.append(run)
        print(
            f"seed {seed}: HERCULES L2 ARI {run['hercules_l2_ari']:.3f} NMI "
            f"{run['hercules_l2_nmi']:.3f} ({hercules_seconds:.1f} s) | flat KMeans(20) ARI "
            f"{run['flat_ari']:.3f} NMI {run['flat_nmi']:.3f} ({flat_seconds:.1f} s)"
        )
        for stage, seconds in timer.seconds.items():
            print(f"    {stage:<32} {seconds:7.2f} s")
    summary = {
        key: {
            "mean": float(np.mean([r[key] for r in runs])),
            "std": float(np.std([r[key] for r in runs])),
        }
        for key in (
            "hercules_l2_ari",
            "hercules_l2_nmi",
            "flat_ari",
            "flat_nmi",
            "hercules_fit_seconds",
        )
    }
    t0 = time.perf_counter()
    model.save_model(run_dir)
    save_seconds = time.perf_counter() - t0
    size_mb = sum(p.stat().st_size for p in run_dir.rglob("*") if p.is_file()) / 1e6
    titles = [n.title for n in model.tree_.nodes(2)]
    payload = {
        "corpus": f"20 Newsgroups bydate, {len(corpus.texts)} docs, headers/footers/quotes removed",
        "levels": levels,
        "labeller": "KeywordSummarizer (c-TF-IDF)",
        "embedding": {"model": "all-MiniLM-L6-v2 int8 ONNX", **embed_meta},
        "corpus_load_seconds": round(load_seconds, 2),
        "runs": runs,
        "summary": summary,
        "save_seconds": round(save_seconds, 2),
        "saved_run_mb": round(size_mb, 1),
        "level2_titles_last_seed": titles,
        "machine": machine(),
    }
    save_json(args.out, payload)
    path = args.out
    print(
        f"mean over {args.seeds} seeds: "
        + ", ".join(f"{k} {v['mean']:.3f}±{v['std']:.3f}" for k, v in summary.items())
    )
    print(f"save {save_seconds:.2f} s, {size_mb:.1f} MB; results in {path}")
    return payload


if __name__ == "__main__":
    main()
