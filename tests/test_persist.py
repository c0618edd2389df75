"""Run directories: round trip, atomic replacement, clear errors for foreign or damaged ones."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hercules import Hercules, RunDirectoryError
from hercules.store import LOG_FILE, read_log, read_manifest
from hercules.store import run as persist
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


def _llm_model() -> Hercules:
    from hercules.summarize.llm import LLMSummarizer
    from tests.llm_fakes import ScriptedLLM

    texts, _ = topic_texts(per_topic=10)
    summarizer = LLMSummarizer(ScriptedLLM(), cache=None)
    return Hercules([4, 2], text_embedding_client=HashingEmbedder(), labeller=summarizer).fit(texts)


def test_the_call_log_is_saved_inside_the_payload_and_beside_the_manifest(tmp_path):
    model = _llm_model()
    calls = len(model.summarizer_.call_log)
    assert calls >= 4
    run = tmp_path / "run"
    model.save_model(run)
    payload, _ = read_manifest(run)
    assert len((payload / LOG_FILE).read_text().splitlines()) == calls
    assert (run / LOG_FILE).read_text() == (payload / LOG_FILE).read_text()
    assert len(read_log(run)) == calls


def test_a_loaded_run_saved_again_keeps_its_call_log(tmp_path):
    run = tmp_path / "run"
    _llm_model().save_model(run)
    before = read_log(run)
    Hercules.load_model(run).save_model(run)
    assert read_log(run) == before
    Hercules.load_model(run).save_model(tmp_path / "copy")
    assert read_log(tmp_path / "copy") == before


def test_a_run_with_its_log_beside_the_manifest_only_still_reads(tmp_path):
    """Runs saved before the log moved into the payload keep it in RUN/llm_log.jsonl alone."""
    run = tmp_path / "run"
    _llm_model().save_model(run)
    payload, _ = read_manifest(run)
    log = read_log(run)
    (run / LOG_FILE).unlink()
    (payload / LOG_FILE).rename(run / LOG_FILE)
    assert read_log(run) == log
    assert Hercules.load_model(run).tree_.top_level == 2


def test_a_failed_save_keeps_the_previous_call_log(tmp_path, monkeypatch):
    run = tmp_path / "run"
    model = _llm_model()
    model.save_model(run)
    before = read_log(run)
    model.summarizer_.call_log.append({"prompt": "extra"})

    def crash(folder, log):
        raise KeyboardInterrupt

    monkeypatch.setattr(persist, "write_log", crash)
    with pytest.raises(KeyboardInterrupt):
        model.save_model(run)
    monkeypatch.undo()
    assert read_log(run) == before


def test_a_run_without_calls_never_reads_the_log_an_earlier_run_left(tmp_path, monkeypatch):
    """A save killed after its manifest swap, before the log beside the manifest is refreshed:
    that file is still the earlier run's, and the new run (no model calls) must not claim it
    (a checkpoint resumed from it would put those calls in front of its own)."""
    run = tmp_path / "run"
    _llm_model().save_model(run)
    assert read_log(run)
    texts, _ = topic_texts(per_topic=10)
    keywords = Hercules([4, 2], text_embedding_client=HashingEmbedder(), labeller="keywords")

    def killed(root, source):
        raise KeyboardInterrupt

    monkeypatch.setattr(persist, "_publish_log", killed)
    with pytest.raises(KeyboardInterrupt):
        keywords.fit(texts).save_model(run)
    monkeypatch.undo()
    assert read_log(run) == []
    assert len(Hercules.load_model(run).tree_.levels[1]) == 4  # the new run is the saved one


def test_a_save_killed_before_its_first_manifest_does_not_block_the_next(tmp_path, fitted):
    """Leftovers of an interrupted first save (payload, staging folder, manifest temp file)
    are not 'somebody else's files': the next save goes ahead and removes them."""
    run = tmp_path / "run"
    fitted.save_model(run)
    (run / "manifest.json").unlink()  # as if killed just before the swap
    (run / ".staging-data-0123456789ab").mkdir()
    (run / ".manifest-data-0123456789ab.json").write_text("{")
    fitted.save_model(run)
    assert Hercules.load_model(run).tree_.top_level == fitted.tree_.top_level
    names = sorted(p.name for p in run.iterdir())
    assert names[1:] == ["manifest.json"]
    assert names[0].startswith("data-")
