"""Embedding progress is stored chunk by chunk: a crash or ``kill -9`` repeats one chunk at most."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from hercules.cache import Cache, CachedEmbedder
from tests.fakes import topic_texts

ROOT = Path(__file__).resolve().parents[1]


class WordEmbedder:
    """Position-independent vectors (one per text), that fails on call number ``fail_on``."""

    model_id = "test-words"

    def __init__(self, fail_on: int | None = None) -> None:
        self.fail_on = fail_on
        self.calls = 0
        self.embedded: list[str] = []

    def embed(self, items: Sequence[str]) -> np.ndarray:
        self.calls += 1
        if self.calls == self.fail_on:
            raise RuntimeError("embedding service went away")
        self.embedded.extend(items)
        return np.array([[len(t), t.count("o"), 1.0] for t in items], dtype=np.float32)


@pytest.mark.parametrize(("chunk", "fail_on"), [(4, 3), (5, 2), (1, 7)])
def test_rerun_after_a_failure_embeds_only_the_rest(
    tmp_path: Path, chunk: int, fail_on: int
) -> None:
    texts = [f"text number {i:02d} of a long pass" for i in range(23)]  # one length: one order
    cache = Cache(tmp_path / "cache.sqlite3")
    first = WordEmbedder(fail_on=fail_on)
    with pytest.raises(RuntimeError, match="went away"):
        CachedEmbedder(first, cache, chunk_size=chunk).embed(texts)
    kept = (fail_on - 1) * chunk
    assert len(first.embedded) == kept

    second = WordEmbedder()
    seen: list[tuple[int, int]] = []
    out = CachedEmbedder(
        second, cache, chunk_size=chunk, progress=lambda d, t: seen.append((d, t))
    ).embed(texts)
    assert second.embedded == texts[kept:]  # only what the failed pass had not stored
    np.testing.assert_array_equal(out, WordEmbedder().embed(texts))
    assert seen[-1] == (len(texts), len(texts))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_chunks_form_the_batches_of_one_call(tmp_path: Path) -> None:
    texts = [f"{i:02d}" + " word" * (i * 7 % 23 + 1) for i in range(40)]  # distinct
    batches: list[list[str]] = []

    class Batching(WordEmbedder):
        def embed(self, items: Sequence[str]) -> np.ndarray:
            ordered = sorted(items, key=len)  # as MiniLM: length order, batches of 4
            batches.extend(ordered[i : i + 4] for i in range(0, len(ordered), 4))
            return super().embed(items)

    CachedEmbedder(Batching(), Cache(tmp_path / "a.sqlite3"), chunk_size=8).embed(texts)
    chunked, batches[:] = list(batches), []
    Batching().embed(texts)
    assert chunked == batches


def test_duplicates_are_embedded_once_and_counted_done(tmp_path: Path) -> None:
    texts = ["a", "b", "a", "c", "b", "a"]
    embedder = WordEmbedder()
    seen: list[int] = []
    CachedEmbedder(
        embedder, Cache(tmp_path / "c.sqlite3"), chunk_size=2, progress=lambda d, t: seen.append(d)
    ).embed(texts)
    assert embedder.embedded == ["a", "b", "c"]
    assert seen == [5, 6]  # a, b (with their copies), then c


SCRIPT = """
import os, signal, sys
import hercules.embed.onnx_minilm as onnx
from hercules import Hercules
from tests.fakes import HashingEmbedder, topic_texts

log, kill_on = sys.argv[1], int(sys.argv[2])

class FakeMiniLM(HashingEmbedder):
    model_id = "fake-minilm"

    def __init__(self, progress=None):
        super().__init__()
        self.progress = progress

    def embed(self, items):
        if self.calls + 1 == kill_on:
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no flush: a real kill -9
        with open(log, "a") as handle:
            handle.write(f"{len(items)}\\n")
        return super().embed(items)

onnx.MiniLMEmbedder = FakeMiniLM  # the estimator's default embedder, cached by default
texts, _ = topic_texts(per_topic=400)
Hercules([3], embed_descriptions=False, labeller="keywords").fit(texts)
"""


def test_kill_9_during_embedding_repeats_at_most_one_chunk(tmp_path: Path) -> None:
    log = tmp_path / "calls.txt"
    env = os.environ | {"PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}

    def run(kill_on: int) -> int:
        args = [sys.executable, "-c", SCRIPT, str(log), str(kill_on)]
        return subprocess.run(args, cwd=ROOT, env=env, timeout=300).returncode

    assert run(kill_on=3) == -signal.SIGKILL  # killed while embedding its third chunk
    before = [int(n) for n in log.read_text().split()]
    assert before == [512, 512]
    log.write_text("")
    assert run(kill_on=0) == 0
    texts, _ = topic_texts(per_topic=400)
    rest = [int(n) for n in log.read_text().split()]
    assert sum(rest) == len(set(texts)) - 1024  # the two stored chunks were not redone


def test_real_default_embedder_chunked_equals_one_call(tmp_path: Path) -> None:
    from hercules.embed.onnx_minilm import MiniLMEmbedder

    texts, _ = topic_texts(per_topic=40)
    texts = [t * (1 + i % 5) for i, t in enumerate(texts)]  # mixed lengths
    one_call = MiniLMEmbedder().embed(texts)
    chunked = CachedEmbedder(MiniLMEmbedder(), Cache(tmp_path / "c.sqlite3"), chunk_size=64)
    np.testing.assert_array_equal(chunked.embed(texts), one_call)  # bit for bit
