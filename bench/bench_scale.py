"""Scale: synthetic 384-d Gaussian mixtures, levels [n/1000, 100, 10], keyword labeller.

Description embeddings are off (embed_descriptions=False): no text model is involved.

For each n (each in its own process, so peak RSS is per size) prints wall time per stage, peak
RSS against the data size, and one nearest-centroid assignment pass (k = n/1000) against its
GEMM floor, 2*n*d*k flops at this machine's float32 GEMM rate measured in the same process.
Writes bench/results/scale.json.

    python -m bench.bench_scale [--sizes 20000,200000,1000000] [--smoke]

``--smoke`` runs one 10,000-row size in seconds.

OPENBLAS_CORETYPE (set on some machines here, see ../shared/MODELS.md) pins an older kernel;
the figures record it so runs on different settings are not compared as equals.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

D = 384


def gaussian_mixture(n: int, d: int = D, components: int = 300, seed: int = 0) -> np.ndarray:
    """Unequal mixture of isotropic Gaussians, float32, generated in blocks."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 1.0, size=(components, d)).astype(np.float32)
    weights = rng.dirichlet(np.full(components, 0.5))
    labels = rng.choice(components, size=n, p=weights)
    X = np.empty((n, d), dtype=np.float32)
    step = 10_000  # small blocks: generation must not set the process's peak memory
    for start in range(0, n, step):
        block = labels[start : start + step]
        X[start : start + step] = centres[block] + rng.normal(0.0, 0.6, size=(len(block), d))
    return X


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def gemm_rate(k: int, seconds: float = 1.0) -> float:
    """Measured float32 GEMM flop/s for (65536 x 384) @ (384 x k)."""
    rng = np.random.default_rng(0)
    A = rng.normal(size=(65_536, D)).astype(np.float32)
    B = rng.normal(size=(D, k)).astype(np.float32)
    A @ B  # warm-up
    reps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        A @ B
        reps += 1
    return 2.0 * 65_536 * D * k * reps / (time.perf_counter() - start)


def one_size(n: int) -> dict:
    from bench.common import StageTimer
    from hercules import Hercules
    from hercules.engine import assign

    X = gaussian_mixture(n)
    data_mb = X.nbytes / 1e6
    base_rss = current_rss_mb()
    # [n/1000, 100, 10] as the issue asks; capped so each k stays below the level under it
    # (at n=20k that gives [20, 10, 5]).
    k1 = max(4, n // 1000)
    k2 = min(100, k1 // 2)
    levels = [k1, k2, min(10, k2 // 2)]
    timer = StageTimer()
    start = time.perf_counter()
    model = Hercules(levels, embed_descriptions=False, labeller="keywords", progress=timer).fit(X)
    total = time.perf_counter() - start
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    k = levels[0]
    centroids = model.tree_.levels[1].representation
    scaled = model.tree_.levels[0].representation
    t0 = time.perf_counter()
    assign(scaled, centroids)
    assign_seconds = time.perf_counter() - t0
    # Quality of level 1: mean squared distance of each item to its cluster's centroid.
    labels1 = model.tree_.labels(1)
    inertia = 0.0
    for start in range(0, n, 65_536):
        diff = scaled[start : start + 65_536] - centroids[labels1[start : start + 65_536]]
        inertia += float((diff * diff).sum(dtype=np.float64))
    rate = gemm_rate(k)
    floor = 2.0 * n * D * k / rate
    return {
        "n": n,
        "d": D,
        "levels": levels,
        "engine": "faiss" if n >= 50_000 else "sklearn",
        "fit_seconds": round(total, 2),
        "stages": timer.seconds,
        "data_mb": round(data_mb, 1),
        "rss_before_fit_mb": round(base_rss, 1),
        "peak_rss_mb": round(peak_rss, 1),
        # What the fit added on top of the process holding the data, in units of the data.
        "fit_extra_over_data": round((peak_rss - base_rss) / data_mb, 2),
        "assign_pass_seconds": round(assign_seconds, 3),
        "gemm_gflops": round(rate / 1e9, 1),
        "assign_floor_seconds": round(floor, 3),
        "assign_over_floor": round(assign_seconds / floor, 2),
        "level_sizes": [len(level) for level in model.tree_.levels[1:]],
        "level1_mean_sq_distance": round(inertia / n, 4),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    from bench.common import RESULTS_DIR, machine, save_json

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="20000,200000,1000000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--smoke", action="store_true", help="one small size, seconds")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "scale.json")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one_size(args.one)))
        return None
    if args.smoke:
        args.sizes = "10000"

    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        proc = subprocess.run(
            [sys.executable, "-m", "bench.bench_scale", "--one", str(n)],
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(row)
        print(
            f"n={n:>9,}: fit {row['fit_seconds']:7.2f} s, peak RSS {row['peak_rss_mb']:8.1f} MB "
            f"(fit added {row['fit_extra_over_data']:.2f}x the {row['data_mb']:.0f} MB data), "
            f"assignment {row['assign_pass_seconds']:.3f} s "
            f"vs GEMM floor {row['assign_floor_seconds']:.3f} s ({row['assign_over_floor']:.1f}x)"
        )
        for stage, seconds in row["stages"].items():
            print(f"    {stage:<34} {seconds:8.2f} s")
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    payload = {"results": results, "openblas_env": env, "machine": machine()}
    save_json(args.out, payload)
    return payload


if __name__ == "__main__":
    main()
