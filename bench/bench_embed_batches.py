"""Embedding speed of the default MiniLM by how texts are batched, on 2 cores.

Sorting texts by characters and running 32 per forward pass, padded to the longest (the
reference), against tokenising first, sorting by token count and capping each pass at
``tokens_per_batch`` tokens (the embedder's batching). Both run here, in the same process,
alternating, on three kinds of text: 20NG posts (most near the 256-token cap), BBC articles
(almost all at the cap) and short snippets (the first 200 characters of 20NG posts, like
level-0 descriptions and summaries).
The vectors must agree (minimum cosine reported). The embedder runs two one-thread ONNX
sessions side by side; "one 2-thread session" is the same batching in one session
(``sessions_speedup`` compares the two). Writes bench/results/embed_batches.json.

    flock /tmp/hercules-heavy.lock python -m bench.bench_embed_batches [--docs 1000] [--full]
    ... --budgets 512    # one budget (5 minutes)

``--full`` also embeds all 18,846 20NG posts once with each embedder (about 16 minutes).
``--smoke`` runs the same code on the synthetic corpus (bench/smoke.py), one repeat.
Batching matters for the float32-compute model only (the int8 default runs one text per pass,
bench/bench_embed_int8.py), so this runs ``compute="float32"``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import RESULTS_DIR, machine, save_json
from bench.corpora import load_second_corpus, stratified_indices
from hercules.data.newsgroups import load_newsgroups
from hercules.embed import MiniLMEmbedder

BUDGETS = (256, 512, 1024)


def previous_embed(embedder: MiniLMEmbedder, texts: Sequence[str], batch: int = 32) -> np.ndarray:
    """The embedder as it was before token batching: character sort, ``batch`` texts a pass,
    each pass padded to its longest text (the embedder's own ``_run``)."""
    embedder._load()
    tokenizer = embedder._tokenizer
    assert tokenizer is not None
    out = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    order = np.argsort([len(t) for t in texts], kind="stable")
    for start in range(0, len(texts), batch):
        idx = order[start : start + batch]
        encodings = tokenizer.encode_batch([texts[i] for i in idx])
        out[idx] = embedder._run([e.ids for e in encodings])
    return out


def _timed(run: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    vectors = run()
    return vectors, time.perf_counter() - start


ONE_SESSION = "one 2-thread session, 512 tokens a pass"


def measure(texts: list[str], repeats: int, budgets: Sequence[int] = BUDGETS) -> dict[str, Any]:
    """Docs/s of the 32-a-pass reference, of one session with every thread and of each token
    budget (two side-by-side sessions, the embedder's own); best of ``repeats``."""
    embedders = {
        f"tokens_per_batch={b}": MiniLMEmbedder(tokens_per_batch=b, compute="float32")
        for b in budgets
    }
    embedders[ONE_SESSION] = MiniLMEmbedder(sessions=1, compute="float32")
    old = MiniLMEmbedder(sessions=1, compute="float32")
    old.embed(texts[:8])  # load the model outside the timings
    for embedder in embedders.values():
        embedder.embed(texts[:8])
    best: dict[str, float] = {}
    vectors: dict[str, np.ndarray] = {}
    runs: dict[str, Callable[[], np.ndarray]] = {
        "previous (32 a pass, char sort)": lambda: previous_embed(old, texts)
    }
    for name, embedder in embedders.items():
        runs[name] = partial(embedder.embed, texts)
    for _ in range(repeats):
        for name, run in runs.items():
            vectors[name], seconds = _timed(run)
            best[name] = min(best.get(name, float("inf")), seconds)
    tokenizer = old._tokenizer
    assert tokenizer is not None
    lengths = [len(e.ids) for e in tokenizer.encode_batch(texts)]
    base = "previous (32 a pass, char sort)"
    rows = {
        name: {
            "seconds": round(seconds, 2),
            "docs_per_s": round(len(texts) / seconds, 1),
            "speedup_vs_previous": round(best[base] / seconds, 2),
            "min_cosine_vs_previous": round(float((vectors[base] * vectors[name]).sum(1).min()), 5),
        }
        for name, seconds in best.items()
    }
    out = {"docs": len(texts), "mean_tokens": round(float(np.mean(lengths)), 1), "runs": rows}
    if "tokens_per_batch=512" in best:
        out["sessions_speedup"] = round(best[ONE_SESSION] / best["tokens_per_batch=512"], 2)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000, help="documents per sample")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="also embed all of 20NG twice")
    parser.add_argument("--budgets", default=",".join(map(str, BUDGETS)), help="tokens a pass")
    parser.add_argument("--smoke", action="store_true", help="synthetic texts, no corpus")
    parser.add_argument("--out", default=str(RESULTS_DIR / "embed_batches.json"))
    args = parser.parse_args(argv)
    if args.smoke:
        from bench.smoke import tiny_newsgroups

        texts = tiny_newsgroups(per_topic=5).texts
        samples = {"synthetic": texts, "synthetic x8": [" ".join([t] * 8) for t in texts]}
        args.repeats, args.full = 1, False
    else:
        news = load_newsgroups()
        keep = stratified_indices(news.categories, args.docs, seed=0)
        posts = [news.texts[i] for i in keep]
        bbc, _, _ = load_second_corpus(max_docs=args.docs // 2)
        samples = {
            "20ng posts": posts,
            "bbc articles": bbc,
            "short snippets (first 200 chars of 20NG posts)": [p[:200] for p in posts],
        }
    results: dict[str, Any] = {}
    budgets = [int(b) for b in args.budgets.split(",")]
    for name, texts in samples.items():
        results[name] = measure(texts, args.repeats, budgets)
        for run, row in results[name]["runs"].items():
            print(
                f"{name:50s} {run:40s} {row['docs_per_s']:7.1f} docs/s "
                f"x{row['speedup_vs_previous']:.2f} cos>={row['min_cosine_vs_previous']}"
            )
        print(f"{name:50s} two 1-thread sessions vs one: x{results[name].get('sessions_speedup')}")
    if args.full:
        news = load_newsgroups()
        old, new = MiniLMEmbedder(sessions=1, compute="float32"), MiniLMEmbedder(compute="float32")
        old_vectors, old_s = _timed(lambda: previous_embed(old, news.texts))
        new_vectors, new_s = _timed(lambda: new.embed(news.texts))
        results["full 20ng, once each"] = {
            "docs": len(news.texts),
            "previous_seconds": round(old_s, 1),
            "current_seconds": round(new_s, 1),
            "speedup": round(old_s / new_s, 2),
            "min_cosine": round(float((old_vectors * new_vectors).sum(1).min()), 5),
        }
        print(results["full 20ng, once each"])
    save_json(
        Path(args.out),
        {
            "what": "MiniLM int8 embedding speed by batching, same process, best of repeats",
            "machine": machine(),
            "threads": "all cores: one session with every thread (previous, one session) or "
            "two sessions of one thread each (current)",
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
