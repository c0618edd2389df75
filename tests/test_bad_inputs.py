"""Hostile and edge inputs: each gives a clear HerculesError naming the value, or a correct
result. docs/bad-inputs.md lists every case with its outcome and the test that holds it."""

from __future__ import annotations

import json
import struct
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from hercules import Hercules
from hercules.cache import Cache
from hercules.data.inputs import load_corpus
from hercules.data.newsgroups import default_path
from hercules.errors import (
    CacheError,
    EmbeddingError,
    HerculesError,
    InputError,
    ParameterError,
    RunDirectoryError,
)
from hercules.vectors import apply_scaling, standardize
from tests.fakes import HashingEmbedder, topic_texts

TEXTS, LABELS = topic_texts(per_topic=5)


def _model(levels: list[int] | None = None, **kwargs: Any) -> Hercules:
    kwargs.setdefault("text_embedding_client", HashingEmbedder())
    return Hercules(levels or [3], **kwargs)


@pytest.fixture(scope="module")
def fitted() -> Hercules:
    return _model([3]).fit(TEXTS)


# ---------------------------------------------------------------------- fit(): clear errors
def _widths(items: list[str]) -> np.ndarray:
    """8-wide vectors for the items, 4-wide for the cluster descriptions."""
    width = 8 if len(items) == len(TEXTS) else 4
    return np.random.default_rng(len(items)).normal(size=(len(items), width))


def _ragged(items: list[str]) -> list[list[float]]:
    return [[1.0] * (1 + i % 2) for i in range(len(items))]


def _raises(_items: list[str]) -> np.ndarray:
    raise RuntimeError("quota exceeded")


NUMBERS = np.random.default_rng(0).normal(size=(20, 2))
FIT_ERRORS: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    (
        "embeddings-zero-width",
        lambda: _model().fit(TEXTS, embeddings=np.zeros((len(TEXTS), 0))),
        InputError,
        r"shape \(15, 0\).*dim >= 1",
    ),
    (
        "lone-surrogate",
        lambda: _model().fit([*TEXTS[:-1], "caf\ud800"]),
        InputError,
        r"Item 14 holds '\\ud800' at position 3.*lone surrogate",
    ),
    (
        "metadata-string",
        lambda: _model([2]).fit(NUMBERS, numeric_metadata={"x0": "kg"}),
        InputError,
        r"numeric_metadata\['x0'\] must be a dict.*got 'kg'",
    ),
    (
        "metadata-none",
        lambda: _model([2]).fit(NUMBERS, numeric_metadata={"x0": None}),
        InputError,
        r"numeric_metadata\['x0'\] must be a dict.*got None",
    ),
    (
        "metadata-list",
        lambda: _model([2]).fit(NUMBERS, numeric_metadata=["x0"]),
        InputError,
        r"numeric_metadata must be a dict.*got list \['x0'\]",
    ),
    (
        "metadata-unknown-key",
        lambda: _model([2]).fit(NUMBERS, numeric_metadata={"x0": {"colour": "red"}}),
        InputError,
        r"numeric_metadata\['x0'\] has 'colour'",
    ),
    (
        "client-ragged",
        lambda: _model(
            text_embedding_client=lambda xs: [[1.0] * (1 + i % 2) for i in range(len(xs))]
        ).fit(TEXTS),
        InputError,
        r"returned rows that do not form a numeric 2-D array",
    ),
    (
        "client-strings",
        lambda: _model(text_embedding_client=lambda xs: [["a", "b"] for _ in xs]).fit(TEXTS),
        InputError,
        r"do not form a numeric 2-D array",
    ),
    (
        "client-wrong-rows",
        lambda: _model(text_embedding_client=lambda xs: np.ones((1, 3))).fit(TEXTS),
        InputError,
        r"returned shape \(1, 3\) for 15 inputs",
    ),
    (
        "client-zero-width",
        lambda: _model(text_embedding_client=lambda xs: np.ones((len(xs), 0))).fit(TEXTS),
        InputError,
        r"shape \(15, 0\).*dim >= 1",
    ),
    (
        "client-nan",
        lambda: _model(text_embedding_client=lambda xs: np.full((len(xs), 3), np.nan)).fit(TEXTS),
        InputError,
        r"NaN or inf",
    ),
    (
        "client-widths-differ",
        lambda: _model([3, 2], text_embedding_client=_widths).fit(TEXTS),
        InputError,
        r"width 4, but its earlier answers had width 8",
    ),
    (
        "client-raises",
        lambda: _model(text_embedding_client=_raises).fit(TEXTS),
        EmbeddingError,
        r"'callable:_raises' failed on a batch of 15 items.*RuntimeError: quota exceeded",
    ),
    (
        "embeddings-beyond-float32",
        lambda: _model().fit(TEXTS, embeddings=np.full((15, 2), 1e300)),
        InputError,
        r"row 0 holds values beyond the float32 range",
    ),
    (
        "embeddings-ragged",
        lambda: _model().fit(TEXTS, embeddings=[[1.0]] * 14 + [[1.0, 2.0]]),
        InputError,
        r"could not be read as a 2-D array",
    ),
    (
        "k-enormous",
        lambda: _model([10**9]).fit(TEXTS),
        ParameterError,
        r"k=1000000000 clusters at level 1, but level 0 has only 15 nodes",
    ),
    (
        "k-equals-n",
        lambda: _model([15]).fit(TEXTS),
        ParameterError,
        r"k=15 clusters at level 1.*give a k below 15",
    ),
    (
        "k-growing",
        lambda: _model([2, 5]).fit(TEXTS),
        ParameterError,
        r"k=5 clusters at level 2, but level 1 has only 2 nodes",
    ),
    (
        "duplicate-ids",
        lambda: _model().fit(pd.Series(TEXTS, index=[i // 2 for i in range(15)])),
        InputError,
        r"Item id 0 appears more than once",
    ),
    (
        "ids-equal-as-text",
        lambda: _model().fit({**dict(enumerate(TEXTS[:14])), "0": TEXTS[14]}),
        InputError,
        r"Item id '0' appears more than once.*1 and '1' are the same",
    ),
    (
        "bytes-not-utf8",
        lambda: _model().fit([t.encode() for t in TEXTS[:-1]] + ["caf\xe9".encode("latin-1")]),
        InputError,
        r"Item 14 is bytes that are not UTF-8",
    ),
    (
        "one-string",
        lambda: _model().fit("this is one text, not a list\nof texts"),
        InputError,
        r"Got one string .*pass a list of texts",
    ),
    (
        "missing-path",
        lambda: _model().fit("/nonexistent/data.csv"),
        InputError,
        r"No such file or folder: '/nonexistent/data.csv'",
    ),
    (
        "array-3d",
        lambda: _model([2]).fit(np.zeros((4, 2, 2))),
        InputError,
        r"1-D or 2-D, got shape \(4, 2, 2\)",
    ),
    (
        "array-complex",
        lambda: _model([2]).fit(np.ones((4, 2), dtype=complex)),
        InputError,
        r"dtype complex128 is not numeric",
    ),
    (
        "checkpoint-is-a-file",
        lambda: _model().fit(TEXTS, checkpoint=__file__),
        RunDirectoryError,
        r"exists and is a file",
    ),
]


@pytest.mark.parametrize(
    ("action", "error", "message"),
    [case[1:] for case in FIT_ERRORS],
    ids=[case[0] for case in FIT_ERRORS],
)
def test_fit_refuses_with_a_clear_error(
    action: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message) as caught:
        action()
    assert isinstance(caught.value, HerculesError)


def test_embedding_client_error_keeps_its_cause() -> None:
    with pytest.raises(EmbeddingError) as caught:
        _model(text_embedding_client=_raises).fit(TEXTS)
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_unwritable_checkpoint_fails_before_embedding(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    embedder = HashingEmbedder()
    with pytest.raises(RunDirectoryError, match=r"Cannot write the run to .*file\.txt/run"):
        _model(text_embedding_client=embedder).fit(TEXTS, checkpoint=blocker / "run")
    assert embedder.calls == 0


# ---------------------------------------------------------------------- correct results
def test_huge_numbers_are_scaled_without_overflow() -> None:
    rng = np.random.default_rng(1)
    sign = np.repeat([1.0, -1.0], 10)
    X = np.column_stack([sign * 1e308, sign * 3 + rng.normal(size=20) * 0.3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning in the z-scoring
        z, mean, scale = standardize(X)
        routed = apply_scaling(X[[0, 19]], mean, scale)
    np.testing.assert_allclose(z[:, 0], sign)
    np.testing.assert_array_equal(routed, z[[0, 19]])
    model = _model([2]).fit(X)
    assert adjusted_rand_score(sign, model.labels_[1]) == 1.0
    assert np.isfinite(model.tree_.levels[0].representation).all()


def test_float32_near_its_limit_is_scaled_without_overflow() -> None:
    X = np.array([[3e38, 1.0], [-3e38, 2.0], [3e38, 3.0], [-3e38, 0.0]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z, _, _ = standardize(X)
    np.testing.assert_allclose(z[:, 0], [1, -1, 1, -1])


@pytest.mark.parametrize(
    "make",
    [lambda t: t.encode(), lambda t: bytearray(t.encode()), lambda t: np.bytes_(t.encode())],
    ids=["bytes", "bytearray", "numpy-bytes"],
)
def test_bytes_are_decoded_as_utf8_text(make: Callable[[str], Any]) -> None:
    texts = [*TEXTS[:-1], "café crème"]
    corpus = load_corpus([make(t) for t in texts])
    assert corpus.texts == texts


def test_parquet_binary_column_is_text(tmp_path: Path) -> None:
    path = tmp_path / "binary.parquet"
    pd.DataFrame({"body": [t.encode() for t in TEXTS]}).to_parquet(path)
    model = _model().fit(path)
    assert model.corpus_.texts == TEXTS
    assert not any(t.startswith("b'") for t in model.tree_.levels[1].titles)


@pytest.mark.parametrize(
    ("truth", "expected"),
    [
        ([None, 1, "a"] * 5, [0, 1, 2] * 5),
        ([None, float("nan"), 2] * 5, [0, 0, 1] * 5),
        ([1, "1", 1.0] * 5, [0, 1, 0] * 5),
    ],
    ids=["none-int-str", "none-and-nan-are-one-class", "int-vs-str"],
)
def test_mixed_ground_truth_labels(fitted: Hercules, truth: list[Any], expected: list[int]) -> None:
    mixed = fitted.evaluate_level(1, truth, calculate_llm_internal_metrics=False)
    coded = fitted.evaluate_level(1, expected, calculate_llm_internal_metrics=False)
    assert mixed == coded


def test_lone_surrogate_cleaned_as_the_error_says_then_fits() -> None:
    bad = "caf\ud800"
    cleaned = bad.encode("utf-8", "replace").decode()
    model = _model().fit([*TEXTS[:-1], cleaned])
    frame = model.get_cluster_membership_dataframe()
    assert frame["item_title"].iloc[-1].startswith("caf")


# ---------------------------------------------------------------------- evaluation
@pytest.mark.parametrize(
    ("level", "truth", "message"),
    [
        (1.5, None, r"level must be an int in 1\.\.1, got 1\.5 \(float\)"),
        (True, None, r"got True \(bool\)"),
        ("1", None, r"got '1' \(str\)"),
        (2, None, r"level must be in 1\.\.1, got 2"),
        (1, [[1], [2], [3]] * 5, r"ground_truth_labels\[0\] is \[1\] \(list\)"),
        (1, LABELS[:-1], r"has 14 entries but the model holds 15"),
    ],
    ids=["float", "bool", "str", "too-high", "unhashable-label", "short-truth"],
)
def test_evaluate_level_refuses_bad_arguments(
    fitted: Hercules, level: Any, truth: Any, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        fitted.evaluate_level(level, truth, calculate_llm_internal_metrics=False)


# ---------------------------------------------------------------------- saving and loading
@pytest.mark.parametrize(
    "where",
    [lambda tmp: tmp / "file.txt" / "run", lambda tmp: Path("/proc/hercules-run")],
    ids=["under-a-file", "proc"],
)
def test_save_model_into_an_unwritable_place(
    tmp_path: Path, fitted: Hercules, where: Callable[[Path], Path]
) -> None:
    (tmp_path / "file.txt").write_text("x")
    target = where(tmp_path)
    with pytest.raises(RunDirectoryError, match=r"Cannot write the run to .*Choose a folder"):
        fitted.save_model(target)


def _edit(run: Path, name: str) -> Path:
    return next(run.glob(f"data-*/{name}"))


def _set_json(path: Path, **changes: Any) -> None:
    info = json.loads(path.read_text())
    info.update(changes)
    path.write_text(json.dumps(info))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


RUN_EDITS: list[tuple[str, Callable[[Path], Any], str]] = [
    ("payload-escapes", lambda run: _set_json(run / "manifest.json", payload="../.."), "payload"),
    ("nodes-deleted", lambda run: _edit(run, "nodes.parquet").unlink(), "damaged"),
    ("items-truncated", lambda run: _truncate(_edit(run, "items.parquet")), "damaged"),
    ("run-json-deleted", lambda run: _edit(run, "run.json").unlink(), "damaged"),
    ("run-json-garbage", lambda run: _edit(run, "run.json").write_text("[1, 2"), "damaged"),
    ("more-levels", lambda run: _set_json(_edit(run, "run.json"), n_levels=5), "damaged"),
    (
        "vectors-wrong-rows",
        lambda run: np.save(_edit(run, "L1.representation.npy"), np.zeros((7, 4))),
        "vectors, sizes and titles disagree",
    ),
    ("vectors-not-npy", lambda run: _edit(run, "L0.representation.npy").write_text("x"), "damaged"),
    (
        "items-rows-dropped",
        lambda run: (
            pd.read_parquet(_edit(run, "items.parquet"))
            .iloc[:5]
            .to_parquet(_edit(run, "items.parquet"))
        ),
        "items.parquet has 5 rows",
    ),
    (
        "parent-out-of-range",
        lambda run: _edit_nodes(run, parent_index=99),
        "names parents outside level 1",
    ),
    (
        "modality-unknown",
        lambda run: _set_json(_edit(run, "run.json"), modality="audio"),
        "damaged",
    ),
]


def _edit_nodes(run: Path, **changes: Any) -> None:
    path = _edit(run, "nodes.parquet")
    nodes = pd.read_parquet(path)
    for column, value in changes.items():
        nodes.loc[nodes["level"] == 0, column] = value
    nodes.to_parquet(path)


@pytest.mark.parametrize(
    ("edit", "message"), [c[1:] for c in RUN_EDITS], ids=[c[0] for c in RUN_EDITS]
)
def test_run_directory_edited_by_hand(
    tmp_path: Path, fitted: Hercules, edit: Callable[[Path], Any], message: str
) -> None:
    run = tmp_path / "run"
    fitted.save_model(run)
    edit(run)
    with pytest.raises(RunDirectoryError, match=message):
        Hercules.load_model(run)


# ---------------------------------------------------------------------- files
def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _parquet_bytes() -> bytes:
    import io

    buffer = io.BytesIO()
    pd.DataFrame({"text": TEXTS}).to_parquet(buffer)
    return buffer.getvalue()


FILE_ERRORS: list[tuple[str, str, bytes, dict[str, Any], str]] = [
    ("latin1-txt", "notes.txt", "café\nthé\n".encode("latin-1"), {}, r"not UTF-8 text.*offset 3"),
    (
        "latin1-csv",
        "t.csv",
        "text\ncafé\nthé\n".encode("latin-1"),
        {},
        r"not UTF-8 text.*re-save it as UTF-8",
    ),
    ("empty-csv", "e.csv", b"", {}, r"Could not read .*e\.csv"),
    ("header-only-csv", "h.csv", b"text\n", {}, r"The input is empty"),
    (
        "semicolon-csv",
        "s.csv",
        "\n".join(
            ["text;label", *(f"{t};{lab}" for t, lab in zip(TEXTS, LABELS, strict=True))]
        ).encode(),
        {},
        r"Cannot tell which column .*\['text', 'label'\]",
    ),
    ("truncated-parquet", "t.parquet", _parquet_bytes()[:300], {}, r"Could not read .*t\.parquet"),
    ("json-scalar", "s.json", b"42", {}, r"Could not read .*s\.json"),
    ("npy-object", "o.npy", b"", {}, r"Could not open .*o\.npy"),
]


@pytest.mark.parametrize(
    ("name", "data", "kwargs", "message"),
    [c[1:] for c in FILE_ERRORS],
    ids=[c[0] for c in FILE_ERRORS],
)
def test_bad_files_are_named(
    tmp_path: Path, name: str, data: bytes, kwargs: dict[str, Any], message: str
) -> None:
    path = _write(tmp_path, name, data)
    if name == "o.npy":
        np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match=message):
        load_corpus(path, **kwargs)


@pytest.mark.parametrize("sep", [";", "\t", "|"], ids=["semicolon", "tab", "pipe"])
def test_other_delimiters_are_sniffed(tmp_path: Path, sep: str) -> None:
    rows = [f"text{sep}label", *(f"{t}{sep}{lab}" for t, lab in zip(TEXTS, LABELS, strict=True))]
    path = _write(tmp_path, "data.csv", "\n".join(rows).encode())
    corpus = load_corpus(path, column="text")
    assert corpus.texts == TEXTS  # the label did not leak into the text


def test_single_column_csv_with_semicolons_in_texts_stays_one_column(tmp_path: Path) -> None:
    texts = [f"{t}; and {'; '.join(['more'] * (i % 3))}" for i, t in enumerate(TEXTS)]
    path = tmp_path / "one.csv"
    pd.DataFrame({"text": texts}).to_csv(path, index=False)
    assert load_corpus(path).texts == texts


def test_utf8_bom_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "bom.csv", "\ufefftext,label\n".encode() + b"a,x\nb,y\n")
    assert load_corpus(path, column="text").texts == ["a", "b"]


# ---------------------------------------------------------------------- images
def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 10, 10)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda: b"this is not an image", "cannot identify image file"),
        (lambda: _jpeg()[:100], "Cannot read image file"),
        (lambda: _png_header(60_000, 60_000), "Cannot read image file"),  # a decompression bomb
    ],
    ids=["text-named-png", "truncated-jpeg", "decompression-bomb"],
)
def test_images_that_lie_are_refused_by_name(
    tmp_path: Path, data: Callable[[], bytes], message: str
) -> None:
    from hercules.embed.image_efficientnet import load_image

    path = _write(tmp_path, "photo.png", data())
    with pytest.raises(InputError, match=message):
        load_image(path)


def test_jpeg_named_png_is_read_by_its_content(tmp_path: Path) -> None:
    from hercules.embed.image_efficientnet import load_image

    image = load_image(_write(tmp_path, "photo.png", _jpeg()))
    assert image.size == (32, 32)


# ---------------------------------------------------------------------- environment
def test_hercules_20ng_pointing_nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HERCULES_20NG", str(tmp_path / "missing.jsonl.gz"))
    with pytest.raises(InputError, match=r"HERCULES_20NG is set to .*missing\.jsonl\.gz"):
        default_path()


def test_cache_dir_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cache").write_text("x")
    monkeypatch.setenv("HERCULES_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(CacheError, match=r"Cannot use the cache file .*HERCULES_CACHE_DIR"):
        Cache()


def test_cache_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = _write(tmp_path, "cache.sqlite3", b"junk" * 2000)
    with pytest.raises(CacheError, match=r"cache\.sqlite3.*delete a damaged cache file"):
        Cache(path)


def test_output_check_leaves_nothing_behind(tmp_path: Path) -> None:
    from hercules.store import check_writable

    target = tmp_path / "new" / "deep" / "run"
    assert check_writable(target) == target
    assert list(tmp_path.iterdir()) == []  # the folders it made to probe are gone again
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    with pytest.raises(RunDirectoryError, match="not a HERCULES run"):
        check_writable(tmp_path / "mine")


@pytest.mark.parametrize("labeller", ["keywords", "llm"])
def test_automatic_k_that_builds_no_level_says_to_give_the_counts(labeller: str) -> None:
    # Too few items for the minimum clusters per level: not one level above the items.
    # "keywords" builds level by level, an LLM labeller drafts the whole tree first.
    model = Hercules(
        None,
        text_embedding_client=HashingEmbedder(),
        labeller="keywords",
        llm_client=(lambda prompt: "") if labeller == "llm" else None,
        min_clusters_per_level=len(TEXTS),
    )
    message = rf"No level could be built above the {len(TEXTS)} items.*level_cluster_counts"
    with pytest.raises(InputError, match=message):
        model.fit(TEXTS)


@pytest.mark.parametrize(
    "call",
    [
        lambda m, path: m.get_cluster_membership_dataframe(),
        lambda m, path: m.format_hierarchy(),
        lambda m, path: m.print_hierarchy(),
        lambda m, path: m.evaluate_level(1),
        lambda m, path: m.predict(["a new text"]),
        lambda m, path: m.relabel(),
        lambda m, path: m.save_model(path),
    ],
    ids=["membership", "format", "print", "evaluate", "predict", "relabel", "save"],
)
def test_methods_of_an_unfitted_model_say_to_fit_first(
    call: Callable[[Hercules, Path], Any], tmp_path: Path
) -> None:
    with pytest.raises(InputError, match=r"This Hercules instance is not fitted yet; call fit\(\)"):
        call(_model(), tmp_path / "run")
    assert not (tmp_path / "run").exists()
