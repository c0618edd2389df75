"""Ray backend: embedding a 20NG sample with 1 and 2 local Ray workers vs one local process.

Embeds the same documents (all-MiniLM-L6-v2 int8, length-sorted batches of 32) three ways in
one run, on one machine:

* local: one process, ``MiniLMEmbedder(num_threads=2)`` (the default path; 2 cores);
* Ray, 1 worker: one Ray worker with its own 1-thread embedder;
* Ray, 2 workers: two Ray workers, 1 thread each (Ray Data ``map_batches``, callable class).

Each Ray figure includes starting the workers and loading the model in them; the fixed part is
measured separately on 64 documents. The Ray vectors are compared with the local ones
(bit-for-bit). Writes bench/results/ray.json.

    python -m bench.bench_ray [--n 18846] [--smoke] [--out bench/results/ray.json]

``--n`` documents are taken with a fixed seed from all 18,846 (the whole corpus by default).
The committed result used ``--n 8000``: three passes over the whole corpus take ~22 minutes on
2 cores. ``--smoke`` embeds 60 short synthetic texts (bench/smoke.py; no corpus file) with the
same code, in well under a minute, most of it starting Ray.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import RESULTS_DIR, machine, save_json
from hercules.embed import MiniLMEmbedder


def _timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=None, help="documents (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="60 synthetic texts, seconds")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "ray.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    import ray

    from hercules.parallel.ray_backend import RayExecutor

    if args.smoke:
        from bench.smoke import tiny_newsgroups

        texts = tiny_newsgroups(per_topic=10).texts
    else:
        from hercules.data.newsgroups import load_newsgroups

        texts = load_newsgroups().texts
    n = min(args.n or len(texts), len(texts))
    rows = np.sort(np.random.default_rng(args.seed).choice(len(texts), n, replace=False))
    sample = [texts[i] for i in rows]
    kind = "synthetic" if args.smoke else "20NG"
    print(f"Embedding {n} {kind} documents ({sum(map(len, sample)) / n:.0f} chars on average)")

    local, local_s = _timed(lambda: MiniLMEmbedder(num_threads=2).embed(sample))
    print(f"  local, 1 process x 2 threads: {local_s:7.1f} s  ({n / local_s:5.1f} docs/s)")

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    runs = {}
    try:
        for workers in (1, 2):
            executor = RayExecutor(num_workers=workers, threads_per_worker=1)
            _, overhead = _timed(lambda ex=executor: ex.embed(MiniLMEmbedder(), sample[:64]))
            vectors, seconds = _timed(lambda ex=executor: ex.embed(MiniLMEmbedder(), sample))
            equal = bool(np.array_equal(vectors, local))
            runs[workers] = {
                "seconds": round(seconds, 2),
                "docs_per_s": round(n / seconds, 2),
                "seconds_for_64_docs": round(overhead, 2),
                "equal_to_local": equal,
                "max_abs_diff_to_local": float(np.abs(vectors - local).max()),
            }
            print(
                f"  Ray, {workers} worker(s) x 1 thread: {seconds:7.1f} s  "
                f"({n / seconds:5.1f} docs/s; 64 docs take {overhead:.1f} s; "
                f"equal to local: {equal})"
            )
    finally:
        ray.shutdown()
    speedup = runs[1]["seconds"] / runs[2]["seconds"]
    vs_local = local_s / runs[2]["seconds"]
    print(f"  speed-up 1 -> 2 Ray workers: {speedup:.2f}x; 2 workers vs local: {vs_local:.2f}x")
    payload = {
        "benchmark": "bench_ray",
        "docs": n,
        "smoke": args.smoke,
        "seed": args.seed,
        "model": MiniLMEmbedder().model_id,
        "batch_size": 32,
        "local_2_threads": {"seconds": round(local_s, 2), "docs_per_s": round(n / local_s, 2)},
        "ray_workers": {str(k): v for k, v in runs.items()},
        "speedup_1_to_2_workers": round(speedup, 3),
        "ray_2_workers_vs_local": round(vs_local, 3),
        "ray_version": ray.__version__,
        "machine": machine(),
    }
    save_json(args.out, payload)
    print(f"Wrote {args.out}")
    return payload


if __name__ == "__main__":
    main()
