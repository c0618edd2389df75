"""The run form's model choices: embedder and labeller backends, validated and run for real.

OpenAI-compatible endpoints are a real HTTP server on 127.0.0.1 (tests/openai_stub.py).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app_helpers import corpus, fake_embed, write_images

pytest.importorskip("dash", reason="the app extra is not installed")

from hercules.app.backends import (
    Backends,
    check_pairing,
    load_embeddings,
    parse_backends,
)
from hercules.errors import InputError, MissingDependencyError, ParameterError
from openai_stub import StubServer


def _data_url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode()


def _npy(array: np.ndarray, allow_pickle: bool = False) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return _data_url(buffer.getvalue())


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


# ---------------------------------------------------------------------- validation
def test_parse_backends_defaults_and_endpoints() -> None:
    assert parse_backends(None, None, None, None, None, None, with_images=False) == Backends()
    choice = parse_backends(
        "openai",
        " http://localhost:11434/v1/ ",
        "nomic-embed-text",
        "openai",
        "https://llm.example/v1",
        "qwen",
        with_images=False,
    )
    assert choice.embed_url == "http://localhost:11434/v1"
    assert choice.llm_url == "https://llm.example/v1"
    assert (choice.embed_model, choice.llm_model) == ("nomic-embed-text", "qwen")


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        (
            ("openai", "localhost:11434/v1", "m", "keywords", None, None),
            r"got 'localhost:11434/v1'",
        ),
        (("openai", None, "m", "keywords", None, None), r"base URL.*got None"),
        (("openai", "http://h/v1", "", "keywords", None, None), r"model name.*got ''"),
        (("minilm", None, None, "openai", "javascript:alert(1)", "m"), r"got 'javascript:alert"),
        (("minilm", None, None, "openai", "http://h/v1", "two words"), r"got 'two words'"),
        (("bert", None, None, "keywords", None, None), r"got 'bert'"),
        (("minilm", None, None, "gpt", None, None), r"got 'gpt'"),
    ],
    ids=[
        "url-no-scheme",
        "url-missing",
        "model-missing",
        "url-js",
        "model-space",
        "embedder",
        "llm",
    ],
)
def test_parse_backends_rejects_with_the_value(fields: tuple[Any, ...], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        parse_backends(*fields, with_images=True)


def test_efficientnet_needs_the_images_extra() -> None:
    with pytest.raises(MissingDependencyError, match=r"hercules-cluster\[images\]"):
        parse_backends("efficientnet", None, None, None, None, None, with_images=False)


def test_load_embeddings_accepts_only_plain_2d_npy() -> None:
    good = load_embeddings(_npy(np.ones((3, 4), dtype=np.float64)), "v.npy")
    assert good.dtype == np.float32
    assert good.shape == (3, 4)
    with pytest.raises(InputError, match=r"\.npy file; got 'v\.csv'"):
        load_embeddings(_npy(np.ones((3, 4))), "v.csv")
    with pytest.raises(InputError, match=r"'v\.npy' holds an array of shape \(3,\)"):
        load_embeddings(_npy(np.ones(3)), "v.npy")
    with pytest.raises(InputError, match=r"'v\.npy' is not a readable \.npy"):  # pickles refused
        load_embeddings(_npy(np.array([{"a": 1}], dtype=object), allow_pickle=True), "v.npy")
    with pytest.raises(InputError, match=r"'v\.npy' is not a readable"):
        load_embeddings(_data_url(b"garbage"), "v.npy")


@pytest.mark.parametrize(
    ("choice", "kind", "embeddings", "match"),
    [
        (Backends(embedder="precomputed"), "text", None, "no .npy file uploaded"),
        (Backends(embedder="precomputed"), "text", np.ones((5, 2)), r"5 rows but 'd' holds 7"),
        (Backends(embedder="efficientnet"), "text", None, "EfficientNet-Lite0 embeds images"),
        (Backends(embedder="minilm"), "image", None, "'d' holds 7 images, but MiniLM-L6"),
        (Backends(embedder="openai"), "image", None, "OpenAI-compatible endpoint embeds text"),
    ],
    ids=["npy-missing", "npy-rows", "effnet-text", "minilm-images", "openai-images"],
)
def test_check_pairing_explains_the_fix(
    choice: Backends, kind: str, embeddings: Any, match: str
) -> None:
    with pytest.raises(InputError, match=match):
        check_pairing(
            choice, kind=kind, n_items=7, data_name="d", embeddings=embeddings, app_image=False
        )
    if kind == "image" and choice.embedder != "precomputed":  # the app's own client is fine
        check_pairing(choice, kind=kind, n_items=7, data_name="d", embeddings=None, app_image=True)


# ---------------------------------------------------------------------- runs in the app
def _run(app: Any, data: bytes, name: str, backends: Backends, **kwargs: Any) -> Any:
    explorer = app.explorer
    job = explorer.start_run(
        [_data_url(data)],
        [name],
        labels=None,
        params={"level_cluster_counts": [3, 2], "labeller": "keywords"},
        column=None,
        topic_seed=None,
        backends=backends,
        **kwargs,
    )
    return explorer.jobs.wait(job.job_id, timeout=120)


def test_precomputed_embeddings_are_used_and_checked(tmp_path: Path) -> None:
    from hercules.app import make_app

    app = make_app(
        None,
        workdir=tmp_path,
        model_options={"text_embedding_client": fake_embed, "labeller": "keywords"},
    )
    texts = corpus(3)
    vectors = np.random.default_rng(0).normal(size=(len(texts), 5)).astype(np.float32)
    data = "\n".join(texts).encode()
    job = _run(
        app,
        data,
        "notes.txt",
        Backends(embedder="precomputed"),
        embeddings=(_npy(vectors), "vectors.npy"),
    )
    assert job.state == "done", job.error
    view = app.explorer.get(job.run_id)
    np.testing.assert_array_equal(view.tree.levels[0].representation, vectors)
    assert any("vectors.npy (18, 5)" in line for line in job.log)
    bad = _run(
        app,
        data,
        "notes.txt",
        Backends(embedder="precomputed"),
        embeddings=(_npy(vectors[:7]), "vectors.npy"),
    )
    assert bad.state == "failed"
    assert "The embeddings file has 7 rows but 'notes.txt' holds 18 items" in str(bad.error)


def test_openai_compatible_embeddings_and_titles(stub: StubServer, tmp_path: Path) -> None:
    from hercules.app import make_app

    app = make_app(
        None,
        workdir=tmp_path,
        model_options={"text_embedding_client": fake_embed, "labeller": "keywords"},
    )
    choice = parse_backends(
        "openai", stub.url, "stub-embed", "openai", stub.url, "stub-llm", with_images=False
    )
    job = _run(app, "\n".join(corpus(3)).encode(), "notes.txt", choice)
    assert job.state == "done", job.error
    assert "/v1/embeddings" in stub.paths()
    assert "/v1/chat/completions" in stub.paths()
    assert all("Authorization" not in headers for _, _, headers in stub.requests)
    view = app.explorer.get(job.run_id)
    level = view.tree.levels[1]
    # The stub's titles, or evidence titles that covered the members better (noted as such).
    notes = level.title_notes or [""] * len(level)
    assert all(t.endswith(" matters") or n for t, n in zip(level.titles, notes, strict=True))
    np.testing.assert_allclose(view.tree.levels[0].representation, fake_embed(corpus(3)), rtol=1e-6)
    assert any("replaces the app's text_embedding_client" in line for line in job.log)


def test_precomputed_without_a_file_is_refused_at_once(tmp_path: Path) -> None:
    from hercules.app import make_app

    app = make_app(None, workdir=tmp_path)
    with pytest.raises(InputError, match=r"no \.npy file uploaded"):
        _run(app, b"a\nb\n", "notes.txt", Backends(embedder="precomputed"))
    assert app.explorer.jobs.running() == []


def test_unreachable_endpoint_fails_the_job_with_the_url(tmp_path: Path) -> None:
    from hercules.app import make_app

    app = make_app(None, workdir=tmp_path)
    choice = Backends(embedder="openai", embed_url="http://127.0.0.1:9/v1", embed_model="m")
    job = _run(app, "\n".join(corpus(2)).encode(), "notes.txt", choice)
    assert job.state == "failed"
    assert "Cannot reach http://127.0.0.1:9/v1" in str(job.error)


def _zip_images(folder: Path) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return buffer.getvalue()


def test_image_upload_with_efficientnet_keeps_images_for_thumbnails(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="the images extra is not installed")
    from hercules.app import make_app
    from hercules.app.backends import images_available

    if not images_available():
        pytest.skip("the images extra is not fully installed")
    app = make_app(
        None,
        workdir=tmp_path,
        model_options={"text_embedding_client": fake_embed, "labeller": "keywords"},
    )
    data = _zip_images(write_images(tmp_path / "src", per_colour=2, size=(200, 150)))
    refused = _run(app, data, "photos.zip", Backends(embedder="minilm"))
    assert refused.state == "failed"
    assert "'photos.zip' holds 6 images, but MiniLM-L6 embeds text" in str(refused.error)
    job = _run(app, data, "photos.zip", Backends(embedder="efficientnet"))
    assert job.state == "done", job.error
    view = app.explorer.get(job.run_id)
    assert view.tree.levels[0].representation.shape == (6, 1280)
    image_url = app.explorer.image_url(job.run_id)
    assert image_url is not None
    response = app.server.test_client().get(image_url("red_0.png", 128))
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert not (tmp_path / "jobs" / refused.job_id / "items").exists()  # failed: cleaned up


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".tsv", ".jsonl", ".json", ".parquet", "dir"])
def test_count_items_matches_what_hercules_reads(tmp_path: Path, suffix: str) -> None:
    # The precomputed-embeddings row check relies on this count being exact.
    import pandas as pd

    from hercules.app.uploads import count_items, upload_kind
    from hercules.data.inputs import load_corpus

    texts = [*corpus(2), "", "  ", 'a "quoted, with comma" line']
    frame = pd.DataFrame({"text": [t for t in texts if t.strip()]})
    path = tmp_path / f"data{suffix}"
    if suffix == ".txt":
        path.write_text("\n".join(texts))
    elif suffix in (".csv", ".tsv"):
        frame.to_csv(path, index=False, sep="\t" if suffix == ".tsv" else ",")
    elif suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    elif suffix == ".json":
        frame.to_json(path, orient="records")
    elif suffix == ".parquet":
        frame.to_parquet(path)
    else:
        write_images(path, per_colour=1, size=(8, 8))
    column = None if suffix in (".txt", "dir") else "text"
    assert count_items(path) == len(load_corpus(str(path), column=column))
    assert upload_kind(path) == ("image" if suffix == "dir" else "text")
