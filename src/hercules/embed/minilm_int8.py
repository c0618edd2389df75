"""Int8 matrix products for the default MiniLM, built once from the packaged model.

The packaged model stores its weights as int8 but multiplies in float32: ONNX Runtime casts
every weight back to float when it loads. Quantizing the matrix products themselves (int8
weights per output channel, activations quantized per call) runs them on the CPU's integer
units, ~1.8x faster for 20NG posts on 2 cores (bench/results/embed_int8.json). The
feed-forward output products of the first three layers stay in float32: quantized, they moved
the vectors most, and kept in float the clustering scores match the packaged model's
(bench/README.md, "Int8 matrix products"). The result depends only on the packaged file and
the converter's version, so it is built once and kept in the model directory.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from hercules.errors import require

logger = logging.getLogger(__name__)

RECIPE = "dynamic-per-channel-ffn012-v1"  # part of the file name: change it with the recipe
FLOAT_FFN_LAYERS = 3  # the first layers whose feed-forward output product stays in float32
_FFN_DOWN_SHAPE = (1536, 384)  # MiniLM-L6's intermediate -> hidden weight


def int8_model_path(source: Path, source_sha256: str, directory: Path) -> Path:
    """The int8-compute model for ``source`` (whose sha256 the caller has checked), built on
    first use into ``directory``; concurrent builders each write a private file and the last
    atomic rename wins, with identical bytes."""
    ort = require("onnxruntime", "The default text embedder", "onnxruntime")
    onnx = require("onnx", "Int8 matrix products for the default text embedder", "onnx")
    target = directory / (
        f"minilm-l6-{RECIPE}-{source_sha256[:12]}-ort{ort.__version__}-onnx{onnx.__version__}.onnx"
    )
    if target.is_file():
        return target
    directory.mkdir(parents=True, exist_ok=True)
    logger.info("Building the int8 MiniLM once (a few seconds): %s", target)
    with tempfile.TemporaryDirectory(dir=directory) as work:
        folded = Path(work) / "folded.onnx"
        _fold_weights(ort, source, folded)
        fused = _fuse(folded, Path(work) / "fused.onnx")
        keep_float = _ffn_down_products(onnx.load(str(fused)))[:FLOAT_FFN_LAYERS]
        part = directory / f".{target.name}.{uuid.uuid4().hex[:8]}.part"
        try:
            _quantize(fused, part, keep_float)
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)
    return target


def _fold_weights(ort: Any, source: Path, out: Path) -> None:
    """The graph with every int8 weight cast back to float once, as ONNX Runtime does on load."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(out)
    ort.InferenceSession(str(source), sess_options=options, providers=["CPUExecutionProvider"])


def _fuse(folded: Path, out: Path) -> Path:
    """Layer-norm and GELU fusions (~1.1x); the unfused graph when the optimizer fails, since
    the fusions are a speed-up only."""
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        optimized = optimize_model(
            str(folded), model_type="bert", num_heads=12, hidden_size=384, opt_level=0
        )
        optimized.save_model_to_file(str(out))
    except Exception as exc:  # any optimizer failure leaves the plain graph
        logger.debug("MiniLM fusion skipped: %r", exc)
        return folded
    return out


def _ffn_down_products(model: Any) -> list[str]:
    """Names of the feed-forward output matrix products, first layer first."""
    shapes = {init.name: tuple(init.dims) for init in model.graph.initializer}
    return [
        node.name
        for node in model.graph.node
        if node.op_type == "MatMul" and shapes.get(node.input[1]) == _FFN_DOWN_SHAPE
    ]


class _QuietRoot(logging.Filter):
    """Drops the quantizer's advice to pre-process the model, logged on the root logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing" not in record.getMessage()


def _quantize(model: Path, out: Path, keep_float: list[str]) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quiet = _QuietRoot()
    root = logging.getLogger()
    root.addFilter(quiet)
    try:
        quantize_dynamic(
            str(model),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=keep_float,
        )
    finally:
        root.removeFilter(quiet)
