"""The Ray backend gives the same results as the local one, on a real 2-worker local Ray."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hercules import Hercules
from hercules.data.newsgroups import default_path, load_newsgroups
from hercules.embed.onnx_minilm import MiniLMEmbedder
from hercules.engine.base import assign
from hercules.engine.faiss_engine import FaissKMeans
from hercules.errors import ParameterError
from hercules.parallel import ExecutorKMeans, LocalExecutor, make_executor

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

from hercules.parallel.ray_backend import RayExecutor  # noqa: E402

# Ray Data's own DataContext warns about its deprecated fields when first created.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")
needs_corpus = pytest.mark.skipif(default_path() is None, reason="20 Newsgroups file not found")


@pytest.fixture(scope="module")
def executor():
    # Two worker processes; tests/ on the workers' path so they can unpickle the fakes below.
    here = str(Path(__file__).parent)
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join([here, *sys.path])}},
    )
    yield RayExecutor()
    ray.shutdown()


def fake_client(prompt: str) -> str:
    """A picklable ``llm_client(prompt) -> str``: names each group after its first id, and takes
    longer for low ids so answers finish out of request order."""
    from llm_fakes import group_ids

    ids = group_ids(prompt)
    time.sleep(0.02 * max(0, 5 - min(ids, default=0)))
    labels = [{"id": i, "title": f"Topic number {i}", "description": f"Group {i}."} for i in ids]
    return json.dumps({"clusters": labels})


def slow_echo(text: str) -> str:
    time.sleep(0.05 if len(text) % 2 else 0.0)
    return text.upper()


def test_two_workers(executor: RayExecutor) -> None:
    assert executor.workers == 2


@needs_corpus
def test_embeddings_equal_local(executor: RayExecutor) -> None:
    # Mixed lengths, so the length-sorted batches and their padding matter.
    texts = load_newsgroups(subset="test").texts[:50]
    local = MiniLMEmbedder().embed(texts)
    remote = executor.embed(MiniLMEmbedder(batch_size=8), texts)
    # batch_size differs from the local embedder's: results must match the same batches...
    assert remote.shape == local.shape
    assert np.allclose(remote, local, atol=1e-3)
    # ...and with the same embedder settings they are bit-for-bit the local ones.
    seen: list[tuple[int, int]] = []
    vectors = executor.embed(MiniLMEmbedder(progress=lambda *a: seen.append(a)), texts)
    assert np.array_equal(vectors, local)
    assert seen[-1] == (50, 50)  # progress is reported in the driver as chunks come back


def test_assignment_equal_local(executor: RayExecutor) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30_001, 24)).astype(np.float32)
    C = rng.standard_normal((37, 24)).astype(np.float32)
    np.testing.assert_array_equal(executor.assign(X, C), assign(X, C))


def test_engine_assignment_pass_on_ray(executor: RayExecutor) -> None:
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((12, 16)).astype(np.float32) * 4
    X = (centres[rng.integers(0, 12, 20_000)] + rng.standard_normal((20_000, 16))).astype(
        np.float32
    )
    local = ExecutorKMeans(LocalExecutor(), min_rows=0).fit(X, 12, seed=5)
    remote = ExecutorKMeans(executor, min_rows=0).fit(X, 12, seed=5)
    np.testing.assert_array_equal(remote.labels, local.labels)
    np.testing.assert_array_equal(remote.centroids, local.centroids)
    # The same training as the local faiss engine, so the same clusters as a local fit.
    np.testing.assert_array_equal(remote.labels, FaissKMeans().fit(X, 12, seed=5).labels)


def test_map_keeps_request_order(executor: RayExecutor) -> None:
    prompts = [f"request {i}" + "x" * (i % 3) for i in range(23)]
    assert executor.map(slow_echo, prompts) == [slow_echo(p) for p in prompts]


def test_fit_on_ray_equals_local_fit(executor: RayExecutor) -> None:
    from fakes import topic_texts

    texts, _ = topic_texts(per_topic=15)
    settings = {"labeller": "keywords", "cache": False, "random_state": 3}
    local = Hercules([6, 2], **settings).fit(texts)
    remote = Hercules([6, 2], backend=executor, **settings).fit(texts)
    np.testing.assert_array_equal(
        remote.tree_.levels[0].representation, local.tree_.levels[0].representation
    )
    for level in (1, 2):
        np.testing.assert_array_equal(remote.labels_[level], local.labels_[level])
        assert remote.tree_.levels[level].titles == local.tree_.levels[level].titles


def test_llm_calls_on_workers_in_cluster_order(executor: RayExecutor) -> None:
    from fakes import HashingEmbedder, topic_texts

    texts, _ = topic_texts(per_topic=10)
    settings = {
        "llm_client": fake_client,
        "text_embedding_client": HashingEmbedder(),
        "cache": False,
        "embed_descriptions": False,
    }
    local = Hercules([6, 2], **settings).fit(texts)
    remote = Hercules([6, 2], backend=executor, **settings).fit(texts)
    served = remote.summarizer_
    assert served.llm.max_concurrency == 2  # calls went to the two worker actors
    # a call per cluster of [6, 2]
    assert len(served.call_log) == len(local.summarizer_.call_log) == 8
    for level in (1, 2):
        titles = remote.tree_.levels[level].titles
        assert titles == local.tree_.levels[level].titles
        assert titles == [f"Topic number {i}" for i in remote.tree_.levels[level].ids]


def test_unknown_backend_names_the_value() -> None:
    with pytest.raises(ParameterError, match="'spark'"):
        make_executor("spark")
    assert isinstance(make_executor("local"), LocalExecutor)


def test_unpicklable_llm_client_is_refused(executor: RayExecutor) -> None:
    import threading

    from hercules.llm.callable import CallableLLM

    lock = threading.Lock()
    with pytest.raises(ParameterError, match="cannot be sent to Ray workers"):
        executor.serve_llm(CallableLLM(lambda prompt: str(lock)))


def test_local_gguf_model_loads_in_each_worker(executor: RayExecutor) -> None:
    from hercules.errors import MissingDependencyError
    from hercules.llm import LocalLLM
    from hercules.llm.base import call

    try:
        llm = LocalLLM("smollm2-135m", threads=1, context=2048)
    except MissingDependencyError as exc:
        pytest.skip(str(exc))
    served = executor.serve_llm(llm)  # the workers load the model again, by name
    prompt = "Name one planet. Answer in one word."
    remote = call(served, prompt, schema=None, max_tokens=8)
    assert served.model_id == llm.model_id  # so the answer cache is shared with local runs
    assert remote.text == call(llm, prompt, schema=None, max_tokens=8).text
    assert served.count_tokens(prompt) == llm.count_tokens(prompt)
