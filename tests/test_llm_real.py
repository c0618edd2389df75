"""The real local runtime: SmolLM2-135M for plumbing (default suite), Qwen for quality (slow).

SmolLM2's answers are poor; these tests only check that prompts reach a real model, that
schema-constrained answers parse, and that a real HTTP server process works as a backend.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest

from hercules import Hercules
from hercules.errors import MissingDependencyError
from hercules.llm import LLMError, LocalLLM, OpenAICompatibleLLM, RetryPolicy
from hercules.summarize.llm import LLMSummarizer
from hercules.summarize.schema import batch_schema, is_meta_title, title_pattern
from tests.fakes import HashingEmbedder, topic_texts


def _smollm2() -> LocalLLM:
    try:
        return LocalLLM("smollm2-135m", threads=1, context=2048)
    except MissingDependencyError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A real OpenAI-compatible server process (llama.cpp's, via xllamacpp) on SmolLM2."""
    _smollm2()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hercules.llm.serve",
            "smollm2-135m",
            "--threads",
            "1",
            "--context",
            "2048",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().strip()
        assert address.startswith("http://127.0.0.1:"), address
        yield address
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_local_model_end_to_end_on_a_tiny_tree() -> None:
    llm = _smollm2()
    texts, _ = topic_texts(per_topic=6)
    summarizer = LLMSummarizer(llm, sample_chars=120, n_samples=3, max_tokens_per_cluster=60)
    model = Hercules([3, 2], text_embedding_client=HashingEmbedder(), labeller=summarizer)
    model.fit(texts)
    tree = model.tree_
    for lvl in (1, 2):
        assert all(title.strip() for title in tree.levels[lvl].titles)
    live = [r for r in summarizer.call_log if not r["cached"]]
    parents = np.bincount(tree.levels[1].parent, minlength=2)
    assert len(live) >= 3 + int((parents > 1).sum())  # a single-child parent makes no call
    assert all(r["prompt_tokens"] and r["prompt_tokens"] > 50 for r in live)
    # Constrained decoding: most answers parse even from a 135M model.
    failed = sum(int(f) for lvl in (1, 2) for f in tree.levels[lvl].summary_failed)
    assert failed <= 2


def test_token_count_uses_the_models_tokenizer() -> None:
    llm = _smollm2()
    assert llm.count_tokens("hello world") == 2
    # A repeated word is ~one token each: far fewer than the 4-characters-per-token estimate.
    assert 50 <= llm.count_tokens("hockey " * 50) <= 55


def test_openai_compatible_backend_against_a_real_server(server: str) -> None:
    llm = OpenAICompatibleLLM(server + "/v1", "smollm2", api_key_env=None)
    from tests.test_llm_summarize import _request

    summarizer = LLMSummarizer(llm, batch_size=2, sample_chars=80, max_tokens_per_cluster=60)
    out = summarizer.summarize_level(_request(n_clusters=2))
    assert len(out) == 2
    assert all(s.title for s in out)
    assert all(r["completion_tokens"] for r in summarizer.call_log)


def test_unreachable_server_is_an_llm_error() -> None:
    llm = OpenAICompatibleLLM("http://127.0.0.1:9/v1", "x", timeout=2)
    with pytest.raises(LLMError, match="Cannot reach"):
        llm.complete("hi")
    summarizer = LLMSummarizer(llm, retry=RetryPolicy(attempts=2, base_delay=0.0))
    from tests.test_llm_summarize import _request

    out = summarizer.summarize_level(_request(n_clusters=2))
    assert all(s.failed and "Cannot reach" in (s.error or "") for s in out)


@pytest.mark.slow
def test_qwen_titles_name_the_topics() -> None:
    try:
        llm = LocalLLM("qwen2.5-coder-1.5b", threads=2)
    except MissingDependencyError as exc:
        pytest.skip(str(exc))
    texts, _ = topic_texts(per_topic=10)
    model = Hercules([3], text_embedding_client=HashingEmbedder(), labeller=LLMSummarizer(llm))
    model.fit(texts)
    titles = model.tree_.levels[1].titles
    assert not any(is_meta_title(t) for t in titles)
    vocab = {
        "space": ("space", "rocket", "nasa", "orbit", "satellite", "astronaut", "moon"),
        "hockey": ("hockey", "puck", "goalie", "stanley", "rink", "skat"),
        "cooking": ("cook", "recipe", "bak", "oven", "flour", "garlic", "kitchen"),
    }
    hits = {
        topic
        for topic, words in vocab.items()
        for t in titles
        if any(w in t.lower() for w in words)
    }
    assert hits == set(vocab)


def test_local_model_writes_compact_json_within_the_title_word_bounds() -> None:
    llm = _smollm2()
    words = (2, 3)
    schema = batch_schema([7], words)
    prompt = 'Name this group of texts. Answer JSON {"titles": [3 titles], "description": "..."}'
    text = llm.complete(prompt + "\nExamples:\n- hockey playoffs\n- the puck", schema=schema)
    assert "\n" not in text
    assert ": " not in text
    titles = json.loads(text)["titles"]
    assert len(titles) == 3
    assert all(re.fullmatch(title_pattern(*words), t) for t in titles), titles
