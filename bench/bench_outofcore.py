"""Out of core: a 384-d Gaussian mixture written to disk in blocks, clustered from the file.

For each n: writes ``bench/.cache/outofcore_<n>.npy`` (float32, in blocks, never whole in
memory), then in a fresh process runs ``Hercules(levels).fit(embeddings=path)`` on the
memory-mapped file (keyword labeller, no description embeddings) and records wall time per
stage and peak RSS against the file size. The file is deleted afterwards unless ``--keep``.
Writes bench/results/outofcore.json.

    python -m bench.bench_outofcore [--sizes 10000000] [--levels 1000,100,10] [--keep] [--smoke]

``--smoke`` runs 20,000 rows, levels [20, 5], in a temporary folder, in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.bench_scale import D, current_rss_mb


def write_mixture(path: Path, n: int, d: int = D, seed: int = 0, step: int = 100_000) -> float:
    """The bench_scale mixture (300 unequal isotropic Gaussians), written block by block with
    plain file writes (no mapping), so this process never holds more than one block."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 1.0, size=(300, d)).astype(np.float32)
    weights = rng.dirichlet(np.full(300, 0.5))
    start = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        header = {"descr": "<f4", "fortran_order": False, "shape": (n, d)}
        np.lib.format.write_array_header_1_0(handle, header)
        for first in range(0, n, step):
            rows = min(step, n - first)
            labels = rng.choice(300, size=rows, p=weights)
            block = centres[labels] + rng.normal(0.0, 0.6, size=(rows, d)).astype(np.float32)
            handle.write(np.ascontiguousarray(block, dtype=np.float32).tobytes())
    return time.perf_counter() - start


def one_run(path: str, levels: list[int]) -> dict:
    from bench.common import StageTimer
    from hercules import Hercules

    vectors = np.load(path, mmap_mode="r")
    base_rss = current_rss_mb()
    timer = StageTimer()
    start = time.perf_counter()
    model = Hercules(levels, embed_descriptions=False, labeller="keywords", progress=timer)
    model.fit(embeddings=vectors)
    total = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    return {
        "fit_seconds": round(total, 1),
        "stages": timer.seconds,
        "rss_before_fit_mb": round(base_rss, 1),
        "peak_rss_mb": round(peak, 1),
        "level_sizes": [len(level) for level in model.tree_.levels[1:]],
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    from bench.common import CACHE_DIR, RESULTS_DIR, machine, save_json

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000000")
    parser.add_argument("--levels", default="1000,100,10")
    parser.add_argument("--keep", action="store_true", help="keep the generated .npy files")
    parser.add_argument("--smoke", action="store_true", help="20,000 rows, seconds")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "outofcore.json")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    folder = CACHE_DIR
    if args.smoke:
        args.sizes, args.levels = "20000", "20,5"
        folder = Path(tempfile.mkdtemp(prefix="bench-outofcore-smoke-"))
    levels = [int(k) for k in args.levels.split(",")]
    if args.one:
        print(json.dumps(one_run(args.one, levels)))
        return None

    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        path = folder / f"outofcore_{n}.npy"
        write_seconds = write_mixture(path, n)
        file_mb = path.stat().st_size / 1e6
        try:
            command = [sys.executable, "-m", "bench.bench_outofcore", "--one", str(path)]
            proc = subprocess.run(
                [*command, "--levels", args.levels],
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            if not args.keep:
                path.unlink()
        row = {"n": n, "d": D, "levels": levels, "file_mb": round(file_mb, 1)}
        row |= {"write_seconds": round(write_seconds, 1)}
        row |= json.loads(proc.stdout.strip().splitlines()[-1])
        row["peak_over_file"] = round(row["peak_rss_mb"] / file_mb, 3)
        results.append(row)
        print(
            f"n={n:>11,}: file {file_mb / 1e3:.1f} GB (written in {write_seconds:.0f} s), "
            f"fit {row['fit_seconds']:.0f} s, peak RSS {row['peak_rss_mb']:.0f} MB "
            f"({row['peak_over_file']:.1%} of the file)"
        )
        for stage, seconds in row["stages"].items():
            print(f"    {stage:<34} {seconds:8.1f} s")
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    payload = {"results": results, "openblas_env": env, "machine": machine()}
    save_json(args.out, payload)
    return payload


if __name__ == "__main__":
    main()
