"""OpenAIEmbedder against a real HTTP server on 127.0.0.1 (tests/openai_stub.py), no mocks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from app_helpers import corpus, fake_embed
from hercules import Hercules
from hercules.embed import Embedder, OpenAIEmbedder
from hercules.embed.openai_embed import EmbeddingServerError
from hercules.errors import ParameterError
from hercules.llm import RetryPolicy
from openai_stub import StubServer

FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


def test_embeds_in_order_in_batches(stub: StubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_EMBED_KEY", "sk-test")
    texts = [f"rocket orbit {i}" if i % 2 else f"garlic oven {i}" for i in range(7)]
    seen: list[tuple[int, int]] = []
    embedder = OpenAIEmbedder(
        stub.url + "/",
        "stub-embed",
        batch_size=3,
        api_key_env="TEST_EMBED_KEY",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert isinstance(embedder, Embedder)
    vectors = embedder.embed(texts)
    assert vectors.dtype == np.float32
    assert vectors.shape == (7, 64)
    # The stub answers rows in reverse order; the embedder must put them back by index.
    np.testing.assert_allclose(vectors, fake_embed(texts), rtol=1e-6)
    assert stub.paths() == ["/v1/embeddings"] * 3
    assert [len(body["input"]) for _, body, _ in stub.requests] == [3, 3, 1]
    assert stub.requests[0][1]["model"] == "stub-embed"
    assert stub.requests[0][2]["Authorization"] == "Bearer sk-test"
    assert seen == [(3, 7), (6, 7), (7, 7)]
    assert embedder.embed([]).shape == (0, 0)


def test_retries_server_errors_then_succeeds(stub: StubServer) -> None:
    stub.fail_next = 2
    embedder = OpenAIEmbedder(stub.url, "m", retry=FAST_RETRY)
    assert embedder.embed(["a b", "c"]).shape == (2, 64)
    assert len(stub.requests) == 3


def test_client_error_is_not_retried_and_quotes_the_server(stub: StubServer) -> None:
    stub.status = 401
    embedder = OpenAIEmbedder(stub.url, "m", api_key_env="NO_SUCH_KEY_VAR", retry=FAST_RETRY)
    with pytest.raises(EmbeddingServerError, match=r"HTTP 401.*stub says 401.*\$NO_SUCH_KEY_VAR"):
        embedder.embed(["x"])
    assert len(stub.requests) == 1


def test_unreachable_server_names_the_url() -> None:
    embedder = OpenAIEmbedder("http://127.0.0.1:9/v1", "m", timeout=2, retry=FAST_RETRY)
    with pytest.raises(EmbeddingServerError, match=r"Cannot reach http://127\.0\.0\.1:9/v1"):
        embedder.embed(["x"])


@pytest.mark.parametrize(
    ("url", "model", "match"),
    [
        ("localhost:8080/v1", "m", r"got 'localhost:8080/v1'"),
        ("ftp://host/v1", "m", r"got 'ftp://host/v1'"),
        ("http://", "m", r"got 'http://'"),
        ("http://localhost/v1", "  ", r"got '  '"),
    ],
    ids=["no-scheme", "ftp", "no-host", "blank-model"],
)
def test_bad_settings_quote_the_value(url: str, model: str, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        OpenAIEmbedder(url, model)


def test_hercules_fits_with_the_endpoint(stub: StubServer) -> None:
    texts = corpus(5)
    model = Hercules([4, 2], text_embedding_client=OpenAIEmbedder(stub.url, "m"), random_state=0)
    model.fit(texts)
    assert model.tree_.n_items == len(texts)
    assert {path for path in stub.paths()} == {"/v1/embeddings"}
    np.testing.assert_allclose(model.tree_.levels[0].representation, fake_embed(texts), rtol=1e-6)
