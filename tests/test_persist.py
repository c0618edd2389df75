"""Run directories: round trip, atomic replacement, clear errors for foreign or damaged ones."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hercules import Hercules, RunDirectoryError, persist
from tests.fakes import HashingEmbedder, topic_texts


@pytest.fixture
def fitted():
    texts, _ = topic_texts(per_topic=10)
    return Hercules([6, 2], text_embedding_client=HashingEmbedder()).fit(texts, topic_seed="sport")


def test_round_trip_keeps_everything(tmp_path, fitted):
    fitted.save_model(tmp_path / "run")
    loaded = Hercules.load_model(tmp_path / "run", text_embedding_client=HashingEmbedder())
    a, b = fitted.tree_, loaded.tree_
    assert len(a.levels) == len(b.levels)
    for la, lb in zip(a.levels, b.levels, strict=True):
        assert la.ids == lb.ids
        assert la.titles == lb.titles
        assert la.descriptions == lb.descriptions
        np.testing.assert_array_equal(la.representation, lb.representation)
        np.testing.assert_array_equal(la.num_items, lb.num_items)
        if la.parent is not None:
            np.testing.assert_array_equal(la.parent, lb.parent)
        assert set(la.reductions) == set(lb.reductions)
        for name in la.reductions:
            np.testing.assert_array_equal(la.reductions[name], lb.reductions[name])
    pd.testing.assert_frame_equal(
        fitted.get_cluster_membership_dataframe(), loaded.get_cluster_membership_dataframe()
    )
    assert loaded.corpus_.texts == fitted.corpus_.texts
    assert loaded.topic_seed_ == "sport"
    assert loaded.evaluate_level(2) == fitted.evaluate_level(2)
    for name, proj in fitted.projections_.items():
        np.testing.assert_allclose(loaded.projections_[name].components, proj.components)


def test_numeric_round_trip_keeps_original_values_and_metadata(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0, 10.0, 11.0], "b": [5.0, 5.5, 0.0, 0.5]})
    model = Hercules([2], embed_descriptions=False).fit(
        frame, numeric_metadata={"a": {"unit": "kg"}}
    )
    model.save_model(tmp_path / "run")
    loaded = Hercules.load_model(tmp_path / "run")
    pd.testing.assert_frame_equal(loaded.corpus_.numeric, model.corpus_.numeric)
    assert loaded.corpus_.numeric_metadata == {"a": {"unit": "kg"}}


def test_a_failed_save_leaves_the_previous_run_intact(tmp_path, fitted, monkeypatch):
    run = tmp_path / "run"
    fitted.save_model(run)
    before = Hercules.load_model(run).tree_.levels[1].titles

    def crash(folder, *args, **kwargs):
        (folder / "run.json").write_text("{half")
        raise KeyboardInterrupt  # as if Ctrl-C arrived mid-write

    monkeypatch.setattr(persist, "_write_payload", crash)
    fitted.tree_.levels[1].titles = ["changed"] * len(before)
    with pytest.raises(KeyboardInterrupt):
        fitted.save_model(run)
    monkeypatch.undo()
    assert Hercules.load_model(run).tree_.levels[1].titles == before
    assert not [p for p in run.iterdir() if p.name.startswith(".staging")]


def test_resave_replaces_the_payload(tmp_path, fitted):
    run = tmp_path / "run"
    fitted.save_model(run)
    fitted.save_model(run)
    payloads = [p for p in run.iterdir() if p.name.startswith("data-")]
    assert len(payloads) == 1


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda run: (run / "manifest.json").unlink(), "no manifest.json"),
        (lambda run: (run / "manifest.json").write_text("{not json"), "unreadable"),
        (lambda run: (run / "manifest.json").write_text('{"format": "other"}'), "not a HERCULES"),
        (lambda run: _set_manifest(run, schema_version=99), "schema version 99"),
        (lambda run: _set_manifest(run, payload="data-missing"), "payload folder"),
        (lambda run: next(run.glob("data-*/nodes.parquet")).write_bytes(b"junk"), "damaged"),
    ],
    ids=["no-manifest", "bad-json", "foreign", "future-schema", "no-payload", "corrupt-file"],
)
def test_damaged_runs_give_clear_errors(tmp_path, fitted, damage, message):
    run = tmp_path / "run"
    fitted.save_model(run)
    damage(run)
    with pytest.raises(RunDirectoryError, match=message):
        Hercules.load_model(run)


def test_refuses_to_write_into_a_foreign_directory(tmp_path, fitted):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(RunDirectoryError, match="not a HERCULES run"):
        fitted.save_model(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def _set_manifest(run, **changes):
    manifest = json.loads((run / "manifest.json").read_text())
    manifest.update(changes)
    (run / "manifest.json").write_text(json.dumps(manifest))
