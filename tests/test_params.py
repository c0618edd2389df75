"""The parameter table: one declaration behind validation, get/set_params, saving, CLI and app."""

from __future__ import annotations

import inspect
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from typer.testing import CliRunner

from hercules import Hercules, ParameterError
from hercules.builder import BuildSettings
from hercules.params import BY_NAME, PARAMS, default, from_saved, parse_levels, to_saved
from tests.fakes import HashingEmbedder, nested_blobs, topic_texts


# ---------------------------------------------------------------------- the table itself
def test_table_matches_the_constructor_in_order_and_defaults() -> None:
    signature = inspect.signature(Hercules.__init__).parameters
    names = [name for name in signature if name != "self"]
    assert names == [p.name for p in PARAMS]
    for param in PARAMS:
        assert signature[param.name].default == param.default, param.name
        assert param.help.strip(), param.name
        assert param.role in ("model", "runtime", "client"), param.name


def test_every_default_passes_its_own_constraint() -> None:
    for param in PARAMS:
        assert param.check(param.default), param.name


def test_class_docstring_lists_every_parameter_with_its_help() -> None:
    doc = inspect.getdoc(Hercules) or ""
    for param in PARAMS:
        assert f"\n{param.name} : {param.expected}, default={param.default!r}\n" in doc
        assert " ".join(param.help.split()) in " ".join(doc.split()), param.name


def test_build_settings_are_the_model_parameters_of_the_table() -> None:
    derived = {"unit_norm_upper_levels"}
    names = {field.name for field in fields(BuildSettings)}
    assert all(BY_NAME[name].role == "model" for name in names - derived)
    model = Hercules([4, 2], random_state=7, use_resampling=True, max_levels=3)
    settings = BuildSettings.from_params(model.get_params(deep=False), unit_norm_upper_levels=True)
    assert settings.level_cluster_counts == [4, 2]
    assert (settings.random_state, settings.use_resampling, settings.max_levels) == (7, True, 3)
    assert settings.engine == "auto"
    assert settings.unit_norm_upper_levels is True
    engine = object()
    assert BuildSettings.from_params(model.get_params(), engine=engine).engine is engine


# ---------------------------------------------------------------------- parse_levels
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100,20,5", [100, 20, 5]),
        ("20, 5", [20, 5]),
        (" 7 ", [7]),
        ("auto", None),
        ("AUTO", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_levels_reads(text: str | None, expected: list[int] | None) -> None:
    assert parse_levels(text) == expected


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("20,,5", "value 2 is empty"),
        ("20,5,", "value 3 is empty"),
        ("20,x", "value 2 is 'x'"),
        ("0", "value 1 is '0'"),
        ("-3", "value 1 is '-3'"),
        ("4.5", "value 1 is '4.5'"),
    ],
    ids=["empty-middle", "trailing-comma", "word", "zero", "negative", "float"],
)
def test_parse_levels_names_the_bad_value(text: str, bad: str) -> None:
    with pytest.raises(ParameterError, match="Levels must be comma-separated") as info:
        parse_levels(text)
    assert bad in str(info.value)
    assert repr(text) in str(info.value)


def test_cli_and_app_share_one_parse_levels() -> None:
    from hercules.cli import app

    result = CliRunner().invoke(app, ["run", "x.csv", "--out", "o", "--levels", "20,,5"])
    assert result.exit_code == 2
    assert "value 2 is empty" in result.output
    pytest.importorskip("dash", reason="the app extra is not installed")
    from hercules.app.run_callbacks import model_params

    with pytest.raises(ParameterError, match="value 2 is empty"):
        model_params("20,,5", None, [], 3, None, 5, 6, 42)


def test_app_form_defaults_come_from_the_table() -> None:
    pytest.importorskip("dash", reason="the app extra is not installed")
    from hercules.app.run_callbacks import model_params

    params = model_params("auto", None, [], None, None, None, None, None, None, None)
    for name, value in params.items():
        assert value == default(name), name
    assert params["labeller"] == default("labeller")


# ---------------------------------------------------------------------- get/set_params, clone
def test_get_params_returns_every_parameter_as_given() -> None:
    embed = HashingEmbedder()
    model = Hercules([4, 2], text_embedding_client=embed, random_state=3)
    params = model.get_params(deep=False)
    assert list(params) == [p.name for p in PARAMS]
    assert params["text_embedding_client"] is embed
    assert params["level_cluster_counts"] == [4, 2]
    assert params["random_state"] == 3


def test_sklearn_clone_gives_an_unfitted_copy_with_the_same_parameters() -> None:
    X, _, _ = nested_blobs()
    model = Hercules([4, 2], random_state=5, labeller="keywords", embed_descriptions=False)
    model.fit(X)
    copy = clone(model)
    assert type(copy) is Hercules
    assert copy.get_params(deep=False) == model.get_params(deep=False)
    assert not hasattr(copy, "tree_")
    copy.fit(X)
    np.testing.assert_array_equal(copy.labels_[1], model.labels_[1])  # same seed, same tree


def test_set_params_sets_and_refuses_unknown_names() -> None:
    model = Hercules()
    assert model.set_params(random_state=7, max_levels=3) is model
    assert (model.random_state, model.max_levels) == (7, 3)
    with pytest.raises(ParameterError, match=r"'n_clusters' is not a parameter of Hercules"):
        model.set_params(n_clusters=3)


def test_nested_parameters_reach_into_objects_with_get_params() -> None:
    class Engine:
        def __init__(self, n_init: int = 1) -> None:
            self.n_init = n_init

        def fit(self, X: Any, k: int) -> None: ...

        def get_params(self, deep: bool = True) -> dict[str, Any]:
            return {"n_init": self.n_init}

        def set_params(self, **params: Any) -> Engine:
            self.n_init = params.get("n_init", self.n_init)
            return self

    model = Hercules(engine=Engine())
    assert model.get_params()["engine__n_init"] == 1
    model.set_params(engine__n_init=4)
    assert model.engine.n_init == 4


# ---------------------------------------------------------------------- validation at fit
@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("random_state", -1),
        ("representation_mode", "centroid"),
        ("level_cluster_counts", [4, 0]),
        ("labeller", ""),
        ("cache", "yes"),
        ("backend", "spark"),
        ("summarizer", object()),
        ("progress", 3),
    ],
)
def test_bad_values_are_stored_then_refused_at_fit(name: str, bad: Any) -> None:
    model = Hercules(**{name: bad})  # scikit-learn convention: __init__ only stores
    assert getattr(model, name) is bad
    with pytest.raises(ParameterError, match=rf"The '{name}' parameter of Hercules must be"):
        model.fit(np.eye(4))


# ---------------------------------------------------------------------- save and load
def _non_defaults() -> dict[str, Any]:
    """A non-default value for every saved parameter."""
    return {
        "level_cluster_counts": [4, 2],
        "representation_mode": "description",
        "engine": "sklearn",
        "backend": "local",
        "random_state": 9,
        "use_resampling": True,
        "resampling_steps": 2,
        "resampling_points_per_cluster": 6,
        "weight_by_size": False,
        "n_representatives": 3,
        "min_clusters_per_level": 3,
        "max_levels": 4,
        "auto_k_max": 12,
        "embed_descriptions": False,
        "normalize_centroids": True,
        "use_llm_for_l0_descriptions": False,
        "clean_email": True,
        "labeller": "keywords",
        "llm_options": {"threads": 2},
        "cache": False,
        "llm_timeout": 30.0,
    }


def test_every_saved_parameter_round_trips(tmp_path: Path) -> None:
    values = _non_defaults()
    saved_names = {p.name for p in PARAMS if p.saved}
    assert set(values) == saved_names, "give every saved parameter a value to round-trip"
    texts, _ = topic_texts()
    embed = HashingEmbedder()
    Hercules(**values, text_embedding_client=embed).fit(texts).save_model(tmp_path / "run")
    loaded = Hercules.load_model(tmp_path / "run", text_embedding_client=embed)
    for name, value in values.items():
        assert getattr(loaded, name) == value, name
    assert loaded.text_embedding_client is embed  # clients are passed again, never saved


def test_load_model_arguments_replace_saved_parameters(tmp_path: Path) -> None:
    X, _, _ = nested_blobs()
    Hercules([4, 2], labeller="keywords", embed_descriptions=False).fit(X).save_model(tmp_path)
    loaded = Hercules.load_model(tmp_path, labeller="smollm2-135m", random_state=1)
    assert (loaded.labeller, loaded.random_state) == ("smollm2-135m", 1)


def test_runs_saved_before_a_parameter_existed_load_with_its_default(tmp_path: Path) -> None:
    saved = to_saved(Hercules([3]).get_params(deep=False))
    del saved["labeller"]
    saved["a_parameter_since_removed"] = 1
    params = from_saved(saved)
    assert "a_parameter_since_removed" not in params
    assert Hercules(**params).labeller == default("labeller")


def test_engine_objects_are_saved_by_name_and_load_as_the_default() -> None:
    class Engine:
        def fit(self, X: Any, k: int) -> None: ...

    saved = to_saved(Hercules(engine=Engine()).get_params(deep=False))
    json.dumps(saved)  # the run.json form
    assert "Engine" in saved["engine"]
    assert from_saved(saved)["engine"] == BY_NAME["engine"].default
    assert from_saved(to_saved({"engine": "faiss"}))["engine"] == "faiss"


def test_checkpoint_fingerprint_ignores_runtime_parameters() -> None:
    fast = to_saved(Hercules([3], cache=False).get_params(deep=False), roles=("model",))
    slow = to_saved(Hercules([3], llm_timeout=5.0).get_params(deep=False), roles=("model",))
    assert fast == slow  # a rerun with another timeout still resumes its checkpoint
    assert "labeller" not in fast
    assert "random_state" in fast


def test_a_checkpoint_resumes_across_runtime_parameters_only(tmp_path: Path) -> None:
    texts, _ = topic_texts(per_topic=5)

    def fit(**kwargs: Any) -> Hercules:
        model = Hercules(
            [3], text_embedding_client=HashingEmbedder(), labeller="keywords", **kwargs
        )
        return model.fit(texts, checkpoint=tmp_path / "run")

    first = fit(cache=False).checkpoint_fingerprint_
    assert first
    assert fit(llm_timeout=5.0).checkpoint_fingerprint_ == first
    assert fit(random_state=1).checkpoint_fingerprint_ != first
    unsaved = Hercules([3], text_embedding_client=HashingEmbedder(), labeller="keywords")
    assert unsaved.fit(texts).checkpoint_fingerprint_ is None
