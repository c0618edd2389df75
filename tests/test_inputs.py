"""Reading every supported input, and a clear error for every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hercules import Hercules, InputError, ParameterError
from hercules.data.inputs import load_corpus
from tests.fakes import HashingEmbedder, topic_texts


@pytest.fixture
def texts():
    return topic_texts(per_topic=5)[0]


def test_list_series_and_dict_of_texts(texts):
    assert load_corpus(texts).modality == "text"
    corpus = load_corpus(pd.Series(texts, index=[f"d{i}" for i in range(len(texts))]))
    assert corpus.ids[0] == "d0"
    assert corpus.texts == texts
    corpus = load_corpus({f"k{i}": t for i, t in enumerate(texts)})
    assert corpus.ids[-1] == f"k{len(texts) - 1}"


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_table_files_with_a_chosen_column(tmp_path, texts, suffix):
    frame = pd.DataFrame({"body": texts, "n": range(len(texts))})
    path = tmp_path / f"data{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path)
    else:
        path.write_text("\n".join(json.dumps(r) for r in frame.to_dict("records")))
    corpus = load_corpus(path, column="body")
    assert corpus.modality == "text"
    assert corpus.texts == texts


def test_single_text_column_is_picked_without_column(tmp_path, texts):
    path = tmp_path / "d.csv"
    pd.DataFrame({"body": texts, "n": range(len(texts))}).to_csv(path, index=False)
    assert load_corpus(path).texts == texts


def test_folder_of_text_files(tmp_path, texts):
    for i, text in enumerate(texts):
        (tmp_path / f"{i:03d}.txt").write_text(text)
    corpus = load_corpus(tmp_path)
    assert corpus.modality == "text"
    assert corpus.ids[0] == "000.txt"
    assert corpus.texts == texts


@pytest.mark.parametrize(
    "data",
    [
        np.arange(12.0).reshape(6, 2),
        [[1, 2], [3, 4], [5, 7]],
        pd.DataFrame({"a": [1, 2, 3]}),
        [1, 2, 3],
    ],
    ids=["array", "nested-list", "frame", "flat-list"],
)
def test_numeric_inputs(data):
    corpus = load_corpus(data)
    assert corpus.modality == "numeric"
    assert corpus.numeric is not None


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        ([], {}, "empty"),
        (["only one"], {}, "at least 2"),
        (["same", "same", "same"], {}, "identical"),
        ([[1.0, np.nan], [2.0, 3.0]], {}, "NaN/inf"),
        ([[1.0, np.inf], [2.0, 3.0]], {}, "row 0"),
        (["text", 3.0], {}, "Mixed modalities"),
        (["a", "b"], {"modality": "audio"}, "'audio'"),
        (pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]}), {}, "column='NAME'"),
        (pd.DataFrame({"a": ["x", "y"]}), {"column": "body"}, "'body' not found"),
        (object(), {}, "Cannot read data of type object"),
    ],
    ids=[
        "empty",
        "one-item",
        "identical",
        "nan",
        "inf",
        "mixed",
        "bad-modality",
        "ambiguous-column",
        "wrong-column",
        "unknown-type",
    ],
)
def test_bad_input_is_named_in_the_error(data, kwargs, message):
    with pytest.raises(InputError, match=message):
        load_corpus(data, **kwargs)


def test_unreadable_and_unsupported_files(tmp_path):
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match=r"broken\.parquet"):
        load_corpus(bad)
    odd = tmp_path / "data.xyz"
    odd.write_text("x")
    with pytest.raises(InputError, match=r"'\.xyz'"):
        load_corpus(odd)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"No \.txt"):
        load_corpus(empty)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"representation_mode": "fancy"}, "'representation_mode'.*Got 'fancy'"),
        ({"level_cluster_counts": [10, 0]}, "'level_cluster_counts'"),
        ({"level_cluster_counts": "10,2"}, "'level_cluster_counts'"),
        ({"engine": "gpu"}, "'engine'.*Got 'gpu'"),
        ({"n_representatives": 0}, "'n_representatives'"),
        ({"random_state": -1}, "'random_state'"),
    ],
    ids=["mode", "zero-k", "string-counts", "engine", "representatives", "seed"],
)
def test_bad_parameters_quote_the_value(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        Hercules(**kwargs).fit([[0.0], [1.0], [5.0]])


def test_k_not_below_the_number_of_nodes_is_refused():
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ParameterError, match=r"k=10 clusters at level 1.*only 10 nodes"):
        Hercules([10], embed_descriptions=False).fit(X)
    with pytest.raises(ParameterError, match=r"k=5 clusters at level 2.*only 4 nodes"):
        Hercules([4, 5], embed_descriptions=False).fit(X)


@pytest.mark.parametrize(
    ("embeddings", "message"),
    [
        (np.zeros((3, 4)), r"shape \(3, 4\).*15 items"),
        (np.full((15, 4), np.nan), "NaN/inf"),
    ],
    ids=["wrong-rows", "nan"],
)
def test_bad_precomputed_embeddings(embeddings, message):
    texts = topic_texts(per_topic=5)[0]
    with pytest.raises(InputError, match=message):
        Hercules([3], text_embedding_client=HashingEmbedder()).fit(texts, embeddings=embeddings)


def test_wrong_shaped_client_output_is_reported():
    texts = topic_texts(per_topic=5)[0]
    with pytest.raises(InputError, match="one row per input"):
        Hercules([3], text_embedding_client=lambda items: np.zeros((1, 3))).fit(texts)


def test_unfitted_model_says_so():
    with pytest.raises(InputError, match="not fitted"):
        Hercules().get_cluster_membership_dataframe()


def _write_images(folder, count):
    from PIL import Image

    paths = []
    for i in range(count):
        path = folder / f"img{i}.png"
        shade = 30 if i < count // 2 else 220
        Image.new("RGB", (8, 8), (shade, shade, shade)).save(path)
        paths.append(path)
    return paths


def test_image_captions_become_level0_descriptions(tmp_path):
    pytest.importorskip("PIL")
    paths = _write_images(tmp_path, 6)

    def embed(items):
        return np.array(
            [[float("img0" in str(p) or "img1" in str(p) or "img2" in str(p)), 1.0] for p in items]
        )

    def caption(items):
        return [f"a photo numbered {p.stem[3:]}" for p in items]

    model = Hercules(
        [2], image_embedding_client=embed, image_captioning_client=caption, embed_descriptions=False
    )
    model.fit([str(p) for p in paths])
    assert model.tree_.levels[0].descriptions[4] == "a photo numbered 4"
    with pytest.raises(InputError, match="one caption string per image"):
        Hercules(
            [2],
            image_embedding_client=embed,
            image_captioning_client=lambda p: ["x"],
            embed_descriptions=False,
        ).fit([str(p) for p in paths])


def test_captions_name_image_clusters_and_reach_prompts(tmp_path):
    pytest.importorskip("PIL")
    paths = _write_images(tmp_path, 6)
    dark = {"img0", "img1", "img2"}

    def embed(items):
        return np.array([[float(p.stem in dark), 1.0] for p in map(Path, items)])

    def caption(items):
        return ["tabby kitten" if p.stem in dark else "sailing boat" for p in items]

    model = Hercules(
        [2],
        image_embedding_client=embed,
        image_captioning_client=caption,
        embed_descriptions=False,
        labeller="keywords",
    ).fit([str(p) for p in paths])
    titles = sorted(model.tree_.levels[1].titles)
    assert "kitten" in titles[1] or "tabby" in titles[1]
    assert "boat" in titles[0] or "sailing" in titles[0]
    assert model.corpus_.item_text(0) == "img0.png: tabby kitten"
