"""Out-of-core clustering: vectors memory-mapped from a .npy file, read in row blocks."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from hercules import Hercules
from hercules.data.chunks import is_on_disk, row_blocks, take_rows
from hercules.engine.outofcore import kmeans_plusplus, streamed_kmeans
from hercules.errors import InputError, ParameterError

pytest.importorskip("faiss")


def _mixture(n: int, d: int, centres: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    means = rng.normal(0.0, 4.0, size=(centres, d))
    labels = rng.integers(0, centres, size=n)
    return (means[labels] + rng.normal(size=(n, d))).astype(np.float32)


@pytest.fixture
def vectors(tmp_path: Path) -> tuple[np.ndarray, Path]:
    X = _mixture(3_000, 16)
    path = tmp_path / "vectors.npy"
    np.save(path, X)
    return X, path


def test_row_blocks_and_take_rows_read_a_memmap_like_an_array(
    vectors: tuple[np.ndarray, Path],
) -> None:
    X, path = vectors
    mm = np.load(path, mmap_mode="r")
    assert is_on_disk(mm)
    assert is_on_disk(mm[10:20])
    assert not is_on_disk(X)
    blocks = [(start, block.copy()) for start, block in row_blocks(mm, 700)]
    assert [s for s, _ in blocks] == [0, 700, 1400, 2100, 2800]
    np.testing.assert_array_equal(np.vstack([b for _, b in blocks]), X)
    rows = np.array([0, 5, 699, 700, 2999])
    np.testing.assert_array_equal(take_rows(mm, rows, chunk_rows=700), X[rows])


@pytest.mark.parametrize("chunk_rows", [97, 65_536], ids=["small-chunks", "one-chunk"])
def test_streamed_kmeans_on_disk_equals_in_memory(
    vectors: tuple[np.ndarray, Path], chunk_rows: int
) -> None:
    X, path = vectors
    memory = streamed_kmeans(X, 12, seed=3)
    disk = streamed_kmeans(path, 12, seed=3, chunk_rows=chunk_rows)
    np.testing.assert_array_equal(disk.labels, memory.labels)
    np.testing.assert_allclose(disk.centroids, memory.centroids, rtol=1e-5, atol=1e-5)
    assert disk.inertia == pytest.approx(memory.inertia, rel=1e-5)


def test_streamed_kmeans_centroids_are_member_means_and_inertia_exact(
    vectors: tuple[np.ndarray, Path],
) -> None:
    X, _ = vectors
    result = streamed_kmeans(X, 12, seed=0, chunk_rows=500)
    for c in range(len(result.centroids)):
        members = X[result.labels == c].astype(np.float64)
        np.testing.assert_allclose(result.centroids[c], members.mean(axis=0), atol=1e-4)
    exact = ((X - result.centroids[result.labels]).astype(np.float64) ** 2).sum()
    assert result.inertia == pytest.approx(exact, rel=1e-4)


def test_kmeans_plusplus_with_fewer_distinct_points_than_k() -> None:
    X = np.repeat(np.eye(3, dtype=np.float32), 4, axis=0)  # 3 distinct rows, 12 rows
    seeds = kmeans_plusplus(X, 5, weights=None, rng=np.random.default_rng(0))
    assert seeds.shape == (5, 3)
    assert len(np.unique(seeds, axis=0)) == 3


def test_streamed_kmeans_rejects_bad_arguments(tmp_path: Path) -> None:
    X = np.zeros((10, 2), dtype=np.float32)
    with pytest.raises(ParameterError, match="k=11"):
        streamed_kmeans(X, 11)
    with pytest.raises(ParameterError, match="chunk_rows must be >= 1, got 0"):
        streamed_kmeans(X, 2, chunk_rows=0)
    with pytest.raises(InputError, match=r"missing\.npy"):
        streamed_kmeans(tmp_path / "missing.npy", 2)


def test_hercules_memmap_input_gives_the_same_tree(vectors: tuple[np.ndarray, Path]) -> None:
    X, path = vectors
    params = {"engine": "faiss", "labeller": "keywords", "embed_descriptions": False}
    memory = Hercules([30, 6], **params).fit(embeddings=X)
    disk = Hercules([30, 6], **params).fit(embeddings=str(path))
    assert is_on_disk(disk.tree_.levels[0].representation)
    for level in (1, 2):
        np.testing.assert_array_equal(disk.labels_[level], memory.labels_[level])
        np.testing.assert_allclose(
            disk.tree_.levels[level].representation,
            memory.tree_.levels[level].representation,
            rtol=1e-5,
            atol=1e-5,
        )
        assert [c.title for c in disk.tree_.nodes(level)] == [
            c.title for c in memory.tree_.nodes(level)
        ]


def test_auto_engine_streams_a_memmap_even_when_small(vectors: tuple[np.ndarray, Path]) -> None:
    _, path = vectors
    model = Hercules([10], labeller="keywords", embed_descriptions=False)
    model.fit(embeddings=np.load(path, mmap_mode="r"))
    assert len(model.tree_.levels[1]) == 10
    assert model.tree_.levels[0].titles[0] == "Item 0"
    assert model.tree_.levels[0].descriptions[1].startswith("x0=")


def test_saved_run_from_memmap_input_loads(
    vectors: tuple[np.ndarray, Path], tmp_path: Path
) -> None:
    _, path = vectors
    model = Hercules([20, 4], labeller="keywords", embed_descriptions=False)
    model.fit(embeddings=path)
    model.save_model(tmp_path / "run")
    loaded = Hercules.load_model(tmp_path / "run")
    assert [len(lvl) for lvl in loaded.tree_.levels] == [3_000, 20, 4]
    np.testing.assert_array_equal(loaded.labels_[2], model.labels_[2])
    np.testing.assert_array_equal(
        loaded.tree_.levels[0].representation, np.load(path, mmap_mode="r")
    )
    assert loaded.tree_.levels[0].titles[:2] == ["Item 0", "Item 1"]


def test_fit_without_data_or_embeddings_says_what_is_missing() -> None:
    with pytest.raises(InputError, match="neither"):
        Hercules([2]).fit()


_MEASURE = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from hercules import Hercules

    def status_mb(key):  # VmHWM is this process's own peak; ru_maxrss can carry the parent's
        with open("/proc/self/status") as handle:
            line = next(line for line in handle if line.startswith(key + ":"))
        return int(line.split()[1]) / 1e3

    path, mode = sys.argv[1], sys.argv[2]
    X = np.load(path, mmap_mode="r") if mode == "disk" else None
    before = status_mb("VmRSS")
    if mode == "memory":
        X = np.load(path)
    model = Hercules([100, 10], labeller="keywords", embed_descriptions=False, engine="faiss")
    model.fit(embeddings=X)
    sizes = [len(level) for level in model.tree_.levels]
    print(json.dumps({"before": before, "peak": status_mb("VmHWM"), "sizes": sizes}))
    """
)


def test_peak_memory_is_bounded_by_blocks_not_by_the_data(tmp_path: Path) -> None:
    """1M x 256 float32 (1 GB on disk): clustering it from disk adds a fraction of the data in
    resident memory (row blocks, a training sample and O(n) per-item arrays: ids, labels),
    where the same run on the loaded array adds the data and more. A memory ratio, not a time.
    """
    n, d = 1_000_000, 256
    path = tmp_path / "big.npy"
    rng = np.random.default_rng(0)
    centres = rng.normal(0.0, 3.0, size=(50, d)).astype(np.float32)
    with open(path, "wb") as handle:  # plain writes: this process never maps the file
        np.lib.format.write_array_header_1_0(
            handle, {"descr": "<f4", "fortran_order": False, "shape": (n, d)}
        )
        for _ in range(0, n, 100_000):
            block = centres[rng.integers(0, 50, 100_000)]
            handle.write((block + rng.normal(size=block.shape).astype(np.float32)).tobytes())
    data_mb = n * d * 4 / 1e6
    script = tmp_path / "measure.py"
    script.write_text(_MEASURE)
    runs = {}
    for mode in ("disk", "memory"):
        proc = subprocess.run(
            [sys.executable, str(script), str(path), mode],
            capture_output=True,
            text=True,
            check=True,
        )
        runs[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    disk_growth = (runs["disk"]["peak"] - runs["disk"]["before"]) / data_mb
    memory_growth = (runs["memory"]["peak"] - runs["memory"]["before"]) / data_mb
    assert runs["disk"]["sizes"] == [n, 100, 10]
    assert memory_growth > 1.0, runs  # the in-memory run holds the data itself
    assert disk_growth < 0.4, runs


def test_numeric_profiles_merged_from_level1_equal_direct_ones() -> None:
    from hercules.summarize import stats

    X = _mixture(2_000, 5, seed=4) * np.array([1.0, 10.0, 100.0, 0.01, 1e4], np.float32) + 50.0
    model = Hercules([12, 3], labeller="keywords", embed_descriptions=False).fit(X)
    corpus, tree = model.corpus_, model.tree_
    for level in (1, 2):
        for c in range(len(tree.levels[level])):
            members = tree.members(level, c)
            merged = stats._merged(corpus, members)
            assert merged is not None
            for got, want in zip(merged, stats._direct(corpus, members), strict=True):
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6 * np.abs(want).max())
    assert stats._merged(corpus, np.arange(5)) is None  # not a union of level-1 clusters


def test_numeric_level0_snippets_are_lazy_but_read_like_lists() -> None:
    from hercules.summarize.snippets import NumericSnippets

    X = np.arange(40, dtype=np.float64).reshape(4, 10)
    model = Hercules([2], labeller="keywords", embed_descriptions=False).fit(X)
    level0 = model.tree_.levels[0]
    assert isinstance(level0.descriptions, NumericSnippets)
    assert level0.titles[-1] == "Item 3"
    assert level0.descriptions[1] == "x0=10, x1=11, x2=12, x3=13, x4=14, x5=15, x6=16, x7=17, …"
    assert list(level0.titles) == ["Item 0", "Item 1", "Item 2", "Item 3"]
    assert level0.titles[1:3] == ["Item 1", "Item 2"]
    assert [*level0.titles, "x"][-1] == "x"
    with pytest.raises(IndexError, match="4 items"):
        level0.titles[4]


def test_outofcore_bench_smoke(tmp_path: Path) -> None:
    """The benchmark script runs end to end at a tiny size, so it cannot rot."""
    from bench import bench_outofcore

    out = tmp_path / "outofcore.json"
    payload = bench_outofcore.main(["--smoke", "--out", str(out)])
    assert payload is not None
    (row,) = json.loads(out.read_text())["results"]
    assert row["n"] == 20_000
    assert row["level_sizes"] == [20, 5]
    assert 0 < row["peak_rss_mb"]
