"""The data map at scale: UMAP layout time and peak memory, HTML size, Chromium's first paint.

For each size (its own process, so peak RSS is per size): the 2-D layout of n 384-d vectors
(hercules.map_layout: UMAP fitted on at most 20,000 of them, the rest placed with ``transform``),
then the HTML map (hercules.map_page.map_page) of a three-level tree over them, its size, and the
time headless Chromium takes from navigation to the drawn map (Plotly.newPlot resolved, the
page's ``data-ready``), with the performance API's first contentful paint.

Vectors: the cached 20NG MiniLM vectors (bench/.cache, written by bench.common) when present
and n = 18,846; otherwise a synthetic 384-d Gaussian mixture (bench.bench_scale) whose
components give the tree (300 components at level 1, 20 groups at level 2, 4 at level 3), with
short synthetic item texts. The results name which.

The million-item map (``--million``) lays out with PCA, the fast fallback (a UMAP layout of a
million items is not measured here), and draws a seeded sample of 200,000 points, saying so
on the map. The numba compile cost of a first run is measured in two fresh processes sharing an
empty NUMBA_CACHE_DIR (cold, then warm cache), each laying out 1,000 items.

    python -m bench.bench_layout [--sizes 2000,18846,100000] [--million] [--smoke]

Writes bench/results/layout.json with the command, the git revision and the machine.
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

ROOT = Path(__file__).resolve().parents[1]
PAINT_TIMEOUT = 120.0


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


def vectors_for(n: int) -> tuple[np.ndarray, np.ndarray, list[str] | None, str]:
    """(vectors, component per item, texts or None, what they are)."""
    from bench.common import VECTORS

    if n == 18_846 and VECTORS.exists():
        from hercules.data.newsgroups import load_newsgroups

        corpus = load_newsgroups()
        names = sorted(set(corpus.categories))
        comp = np.array([names.index(c) for c in corpus.categories])
        return np.load(VECTORS), comp, list(corpus.texts), "20NG MiniLM-L6 int8 (bench/.cache)"
    from bench.bench_scale import gaussian_mixture

    X = gaussian_mixture(n)
    # gaussian_mixture's labels are not returned: the nearest of its (seeded) centres gives them.
    rng = np.random.default_rng(0)
    centres = rng.normal(0.0, 1.0, size=(300, X.shape[1])).astype(np.float32)
    from hercules.engine import assign

    return X, assign(X, centres), None, "synthetic 384-d Gaussian mixture (bench.bench_scale)"


def synthetic_tree(X: np.ndarray, comp: np.ndarray, texts: list[str] | None) -> tuple[Any, Any]:
    """A three-level tree over the items from their mixture components (no clustering run)."""
    from hercules.data.dataset import Corpus
    from hercules.tree import ClusterTree, Level

    n = len(X)
    used, level1 = np.unique(comp, return_inverse=True)
    k1 = len(used)
    k2 = max(1, min(20, k1 // 4))
    k3 = max(1, min(4, k2 // 2))
    parent1 = np.arange(k1) * k2 // k1
    parent2 = np.arange(k2) * k3 // k2
    words = ["orbit", "recipe", "goal", "album", "market", "soil", "engine", "court", "virus"]

    def level(lvl: int, k: int, parent: np.ndarray | None, sizes: np.ndarray) -> Level:
        titles = [
            f"L{lvl} topic {i}: {words[i % len(words)]} and {words[(i * 7) % 9]}" for i in range(k)
        ]
        return Level(
            level=lvl,
            ids=list(range(k)),
            representation=np.zeros((k, 1), np.float32),
            num_items=sizes,
            titles=titles,
            descriptions=[f"Items of synthetic component group {i}." for i in range(k)],
            parent=parent,
        )

    sizes1 = np.bincount(level1, minlength=k1)
    sizes2 = np.bincount(parent1, weights=sizes1, minlength=k2).astype(np.int64)
    sizes3 = np.bincount(parent2, weights=sizes2, minlength=k3).astype(np.int64)
    if texts is None:
        texts = [
            f"item {i} of component {c}: {words[c % 9]} {words[(c * 5) % 9]}"
            for i, c in enumerate(comp)
        ]
    items = Level(
        level=0,
        ids=list(range(n)),
        representation=X,
        num_items=np.ones(n, np.int64),
        titles=[""] * n,
        descriptions=[""] * n,
        parent=level1.astype(np.int64),
    )
    tree = ClusterTree(
        [
            items,
            level(1, k1, parent1, sizes1),
            level(2, k2, parent2, sizes2),
            level(3, k3, None, sizes3),
        ],
        "text",
    )
    return tree, Corpus("text", list(range(n)), texts=texts)


def first_paint(path: Path) -> dict[str, Any] | None:
    """Seconds from navigation to the drawn map in headless Chromium (None: no browser)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from app_helpers import browser_skip_reason, make_driver

    if browser_skip_reason() is not None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        driver = make_driver(Path(tmp), width=1400, height=900)
        try:
            driver.set_page_load_timeout(PAINT_TIMEOUT)
            start = time.perf_counter()
            driver.get(path.as_uri())
            deadline = start + PAINT_TIMEOUT
            while not driver.execute_script("return document.body.dataset.ready"):
                if time.perf_counter() > deadline:
                    return {"ready_seconds": None, "timed_out_after": PAINT_TIMEOUT}
                time.sleep(0.05)
            wall = time.perf_counter() - start
            timing = driver.execute_script(
                "const p = performance.getEntriesByType('paint')"
                ".find(e => e.name === 'first-contentful-paint');"
                "return {now: performance.now(), fcp: p ? p.startTime : null};"
            )
        finally:
            driver.quit()
    return {
        "ready_seconds": round(wall, 2),  # driver.get to the map drawn (Plotly.newPlot done)
        "ready_in_page_seconds": round(timing["now"] / 1000, 2),
        "first_contentful_paint_seconds": (
            round(timing["fcp"] / 1000, 2) if timing["fcp"] is not None else None
        ),
    }


def one_size(n: int, method: str, fit_sample: int, paint: bool, max_points: int) -> dict[str, Any]:
    from hercules.map_layout import compute_layout
    from hercules.map_page import map_page

    X, comp, texts, source = vectors_for(n)
    before = rss_mb()
    start = time.perf_counter()
    layout = compute_layout(X, method=method, seed=0, fit_sample=fit_sample)
    seconds = time.perf_counter() - start
    layout_peak = peak_mb()
    tree, corpus = synthetic_tree(X, comp, texts)
    start = time.perf_counter()
    page = map_page(tree, corpus, layout, title=f"{n:,} items", max_points=max_points)
    html_seconds = time.perf_counter() - start
    row: dict[str, Any] = {
        "n": n,
        "vectors": source,
        "method": layout.method,
        "layout_seconds": round(seconds, 2),
        "n_fit": layout.info.get("n_fit", n),
        "n_transformed": layout.info.get("n_transformed", 0),
        "data_mb": round(X.nbytes / 1e6, 1),
        "rss_before_layout_mb": round(before, 1),
        "peak_rss_after_layout_mb": round(layout_peak, 1),
        "points_drawn": min(n, max_points),
        "html_seconds": round(html_seconds, 2),
        "html_mb": round(len(page.encode("utf-8")) / 1e6, 2),
    }
    if n <= 5_000:
        row["placement"] = placement_check(X, comp)
    if paint:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "map.html"
            path.write_text(page, encoding="utf-8")
            row["chromium"] = first_paint(path)
    return row


def placement_check(X: np.ndarray, comp: np.ndarray) -> dict[str, Any]:
    """Appended items (predict(append=True)) are placed by their nearest laid-out neighbours
    (place_new), not by UMAP's transform: both placements of the same 20% of the items, with a
    UMAP fitted on the other 80%, against the items' own mixture component."""
    from hercules.map_layout import compute_layout, place_new

    n = len(X)
    layout = compute_layout(X, method="umap", seed=0, fit_sample=int(n * 0.8))
    rows = np.sort(np.random.default_rng(0).choice(n, int(n * 0.8), replace=False))
    rest = np.setdiff1d(np.arange(n), rows)
    start = time.perf_counter()
    knn = place_new(layout.xy[rows], X[rows], X[rest])
    knn_seconds = time.perf_counter() - start
    fitted = layout.xy[rows]

    def same_component(xy: np.ndarray) -> float:
        d = ((xy[:, None, :] - fitted[None, :, :]) ** 2).sum(axis=2)
        return float(np.mean(comp[rows][d.argmin(axis=1)] == comp[rest]))

    extent = float(np.linalg.norm(fitted.max(axis=0) - fitted.min(axis=0)))
    gap = np.linalg.norm(knn - layout.xy[rest], axis=1)
    return {
        "items_placed": len(rest),
        "transform_same_component_neighbour": round(same_component(layout.xy[rest]), 3),
        "nearest_neighbours_same_component_neighbour": round(same_component(knn), 3),
        "median_gap_over_map_diagonal": round(float(np.median(gap)) / extent, 4),
        "nearest_neighbours_seconds": round(knn_seconds, 3),
    }


PROBE_ITEMS = 5_000


def numba_compile(fit_sample: int) -> dict[str, Any]:
    """A :data:`PROBE_ITEMS`-item UMAP layout in a fresh process: cold numba cache, then
    warm."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for name in ("cold_cache", "warm_cache"):
            proc = subprocess.run(
                [sys.executable, "-m", "bench.bench_layout", "--compile-probe"],
                capture_output=True,
                text=True,
                check=True,
                env=env,
                cwd=ROOT,
            )
            out[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    out["note"] = (
        f"seconds for import + a {PROBE_ITEMS:,}-item UMAP layout + a second one in the same "
        "process; "
        "the difference between the first and second call is numba compiling"
    )
    return out


def compile_probe() -> dict[str, Any]:
    from bench.bench_scale import gaussian_mixture

    # 5,000 items: above 4,096 UMAP finds neighbours with pynndescent, whose code compiles
    # too (a 20NG-sized layout takes that path); fit + transform: both compile.
    X = gaussian_mixture(PROBE_ITEMS)
    start = time.perf_counter()
    from hercules.map_layout import compute_layout

    compute_layout(X, method="umap", seed=0, fit_sample=PROBE_ITEMS - 500)
    first = time.perf_counter() - start
    start = time.perf_counter()
    compute_layout(X, method="umap", seed=1, fit_sample=PROBE_ITEMS - 500)
    second = time.perf_counter() - start
    return {"first_layout_seconds": round(first, 2), "second_layout_seconds": round(second, 2)}


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    from bench.common import RESULTS_DIR, save_json

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="2000,18846,100000")
    parser.add_argument("--million", action="store_true", help="also a 1,000,000-item PCA map")
    parser.add_argument("--fit-sample", type=int, default=20_000)
    parser.add_argument("--paint-from", type=int, default=0, help="Chromium only for n >= this")
    parser.add_argument("--smoke", action="store_true", help="two tiny sizes in this process")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "layout.json")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--method", default="umap", help=argparse.SUPPRESS)
    parser.add_argument("--max-points", type=int, default=200_000, help=argparse.SUPPRESS)
    parser.add_argument("--no-paint", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--compile-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.compile_probe:
        print(json.dumps(compile_probe()))
        return None
    if args.one:
        row = one_size(args.one, args.method, args.fit_sample, not args.no_paint, args.max_points)
        print(json.dumps(row))
        return None
    if args.smoke:  # in this process: no numba compile per child, no million
        rows = [one_size(n, "umap", 200, True, 250) for n in (150, 400)]
        payload = {"results": rows, "numba_compile": None, "smoke": True}
        save_json(args.out, payload)
        return payload
    plan = [(int(s), "umap") for s in args.sizes.split(",")]
    if args.million:
        plan.append((1_000_000, "pca"))
    rows = []
    for n, method in plan:
        child = [sys.executable, "-m", "bench.bench_layout", "--one", str(n), "--method", method]
        child += ["--fit-sample", str(args.fit_sample)]
        if n < args.paint_from:
            child.append("--no-paint")
        proc = subprocess.run(child, capture_output=True, text=True, check=True, cwd=ROOT)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(row)
        paint = (row.get("chromium") or {}).get("ready_seconds")
        print(
            f"n={n:>9,} {row['method']}: layout {row['layout_seconds']:7.1f} s, peak RSS "
            f"{row['peak_rss_after_layout_mb']:7.0f} MB, HTML {row['html_mb']:6.1f} MB "
            f"({row['points_drawn']:,} points), Chromium drawn after {paint} s"
        )
    compile_cost = numba_compile(args.fit_sample)
    print(f"numba: {compile_cost}")
    payload = {
        "targets": {
            "layout_seconds_20ng": 90,
            "layout_seconds_100k": 300,
            "chromium_ready_seconds_100k": 5,
        },
        "results": rows,
        "numba_compile": compile_cost,
    }
    save_json(args.out, payload)
    return payload


if __name__ == "__main__":
    main()
