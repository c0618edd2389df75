"""Titles set by hand (Hercules.set_title, hercules.edits): checks, marks, saving, relabel,
appended items, a parent's evidence, read-outs and the `hercules edit` command."""

from __future__ import annotations

import copy
import functools
import io

import numpy as np
import pandas as pd
import pytest

from hercules import Hercules, InputError, KeywordSummarizer, ParameterError
from hercules.edits import DESCRIPTION_MAX_CHARS, EDITED_MARK, TITLE_MAX_CHARS
from hercules.llm import RetryPolicy
from hercules.summarize.llm import LLMSummarizer
from tests.fakes import HashingEmbedder, nested_blobs, topic_texts
from tests.llm_fakes import ScriptedLLM

FAST = RetryPolicy(attempts=3, base_delay=0.0, jitter=0.0)


class RecordingSummarizer(KeywordSummarizer):
    """Keyword labels; records the cluster ids asked for and each child's title it was shown."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[int] = []
        self.child_titles: dict[int, list[str]] = {}

    def summarize_level(self, request):  # type: ignore[no-untyped-def]
        for brief in request.clusters:
            self.asked.append(brief.cluster_id)
            self.child_titles[brief.cluster_id] = [c.title for c in brief.children]
        return super().summarize_level(request)


@functools.cache
def _fitted_blobs() -> Hercules:
    X, _, _ = nested_blobs()
    return Hercules([4, 2], embed_descriptions=False).fit(X)


def _blobs_model() -> Hercules:
    """Four blobs in two pairs: level 1 holds ids 0-3 (25 items each), level 2 ids 4-5.
    Fitted once; each test edits its own copy."""
    return copy.deepcopy(_fitted_blobs())


def _text_model(summarizer=None) -> Hercules:  # type: ignore[no-untyped-def]
    """Three topics of 20 texts: level 1 holds ids 0-2 (one topic each), level 2 ids 3-4.
    Keyword titles (no ``summarizer``) are fitted once; each test edits its own copy."""
    if summarizer is None:
        return copy.deepcopy(_fitted_text())
    texts, _ = topic_texts(per_topic=20)
    return Hercules(
        [3, 2], text_embedding_client=HashingEmbedder(), summarizer=summarizer, random_state=0
    ).fit(texts)


@functools.cache
def _fitted_text() -> Hercules:
    texts, _ = topic_texts(per_topic=20)
    return Hercules([3, 2], text_embedding_client=HashingEmbedder(), random_state=0).fit(texts)


# ---------------------------------------------------------------------- set_title
@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Left blobs", "Left blobs"),
        ("  Left   blobs \n", "Left blobs"),
        ("Left\nblobs\tpair", "Left blobs pair"),
        ("Bell\x07 Labs\x00", "Bell Labs"),
        ("abc\u202edef", "abcdef"),  # a right-to-left override would show "abcfed"
        ("Café ☕ & <b>bold</b>", "Café ☕ & <b>bold</b>"),  # stored as text; escaped on show
        ("x" * TITLE_MAX_CHARS, "x" * TITLE_MAX_CHARS),
    ],
    ids=["plain", "spaces", "line-breaks", "control-chars", "bidi", "unicode-markup", "at-cap"],
)
def test_set_title_stores_the_cleaned_title_and_marks_it(given: str, stored: str) -> None:
    model = _blobs_model()
    node = model.set_title(4, given)
    assert (node.level, node.id, node.title) == (2, 4, stored)
    assert node.title_edited
    assert model.tree_.find(4).title == stored
    # Only that node is marked.
    marked = [n.id for lvl in (1, 2) for n in model.tree_.nodes(lvl) if n.title_edited]
    assert marked == [4]


@pytest.mark.parametrize(
    "cluster_id", [2, np.int64(2), "2", " 2 "], ids=["int", "numpy", "text", "padded"]
)
def test_set_title_accepts_the_id_as_int_or_digits(cluster_id: object) -> None:
    model = _blobs_model()
    before = model.tree_.find(2).description
    node = model.set_title(cluster_id, "Third blob")
    assert (node.level, node.id, node.title) == (1, 2, "Third blob")
    assert node.description == before  # description=None keeps it


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Points near (20, 3).", "Points near (20, 3)."),
        ("Line one\r\nline  two\x00\n\n\n\nend", "Line one\nline two\n\nend"),
        ("", ""),
    ],
    ids=["sentence", "lines-kept-controls-dropped", "empty-allowed"],
)
def test_set_title_with_a_description(given: str, stored: str) -> None:
    model = _blobs_model()
    node = model.set_title(3, "Far blob", description=given)
    assert node.description == stored


@pytest.mark.parametrize(
    ("cluster_id", "title", "description", "message"),
    [
        (500, "T", None, r"No cluster with id 500 in this run; it has ids 0 to 5 at levels 1\.\.2"),
        (60, "T", None, r"id 60 in this run \(that is an item id; only clusters have titles"),
        ("abc", "T", None, r"cluster_id must be a cluster's whole-number id, got 'abc'"),
        (True, "T", None, r"whole-number id, got True"),
        (1.5, "T", None, r"whole-number id, got 1\.5"),
        (1, "", None, r"The title '' is empty"),
        (1, " \n\t ", None, r"The title ' \\n\\t ' is empty"),
        (1, "\x00\x01", None, r"is empty once whitespace and control characters are removed"),
        (1, "x" * (TITLE_MAX_CHARS + 1), None, rf"title has {TITLE_MAX_CHARS + 1} characters"),
        (1, None, None, r"The title must be a string, got NoneType None"),
        (1, 42, None, r"The title must be a string, got int 42"),
        (1, "T", 7, r"The description must be a string, got int 7"),
        (1, "T", "y" * (DESCRIPTION_MAX_CHARS + 1), r"description has 2001 characters; at most"),
    ],
    ids=[
        "unknown-id",
        "item-id",
        "not-a-number",
        "bool",
        "float",
        "empty",
        "whitespace",
        "controls-only",
        "too-long",
        "none",
        "int-title",
        "int-description",
        "long-description",
    ],
)
def test_set_title_refuses_bad_input_and_changes_nothing(
    cluster_id: object, title: object, description: object, message: str
) -> None:
    model = _blobs_model()
    before = [(n.title, n.description) for lvl in (1, 2) for n in model.tree_.nodes(lvl)]
    with pytest.raises(ParameterError, match=message):
        model.set_title(cluster_id, title, description)  # type: ignore[arg-type]
    after = [(n.title, n.description) for lvl in (1, 2) for n in model.tree_.nodes(lvl)]
    assert after == before
    assert not any(n.title_edited for lvl in (1, 2) for n in model.tree_.nodes(lvl))


def test_unknown_id_says_how_to_list_ids() -> None:
    with pytest.raises(ParameterError, match=r"print_hierarchy\(\) or `hercules show RUN`"):
        _blobs_model().set_title(500, "T")


def test_set_title_needs_a_fitted_model() -> None:
    with pytest.raises(InputError, match="not fitted yet"):
        Hercules().set_title(0, "T")


def test_set_title_clears_the_labellers_verdicts_on_that_node() -> None:
    model = _text_model()
    data = model.tree_.levels[1]
    assert np.isfinite(data.faithfulness).all()  # measured at fit
    data.summary_failed[1] = True
    data.summary_stale = np.array([True, True, False])
    model.set_title(1, "Hand title")
    assert not data.summary_failed[1]
    assert data.summary_stale.tolist() == [True, False, False]
    # Faithfulness measured the old label: cleared for that node only.
    assert np.isnan(data.faithfulness[1])
    assert np.isfinite(data.faithfulness[[0, 2]]).all()


@pytest.mark.parametrize(
    ("title", "note"),
    [("Miscellaneous", "generic title"), ("Orbit rockets", "")],
    ids=["generic", "fine"],
)
def test_the_title_note_is_redone_for_the_new_title(title: str, note: str) -> None:
    model = _text_model()
    node = model.set_title(0, title)
    assert node.title_note == note


# ---------------------------------------------------------------------- saving
def test_an_edited_title_survives_save_and_load(tmp_path) -> None:
    model = _blobs_model()
    model.set_title(5, "Right pair", description="Blobs at x=20.")
    model.save_model(tmp_path / "run")
    loaded = Hercules.load_model(tmp_path / "run")
    node = loaded.tree_.find(5)
    assert (node.title, node.description, node.title_edited) == (
        "Right pair",
        "Blobs at x=20.",
        True,
    )
    assert [n.id for lvl in (1, 2) for n in loaded.tree_.nodes(lvl) if n.title_edited] == [5]
    # Saved again from the loaded model (as `hercules edit` and the explorer do): still there.
    loaded.set_title(0, "First blob")
    loaded.save_model(tmp_path / "run")
    again = Hercules.load_model(tmp_path / "run")
    assert [n.id for lvl in (1, 2) for n in again.tree_.nodes(lvl) if n.title_edited] == [0, 5]


def test_a_run_saved_before_edits_existed_loads_with_nothing_edited(tmp_path) -> None:
    from hercules.store import read_manifest

    model = _blobs_model()
    model.save_model(tmp_path / "run")
    payload, _ = read_manifest(tmp_path / "run")
    nodes = pd.read_parquet(payload / "nodes.parquet")
    nodes.drop(columns=["title_edited"]).to_parquet(payload / "nodes.parquet", index=False)
    loaded = Hercules.load_model(tmp_path / "run")
    assert all(loaded.tree_.levels[lvl].title_edited is None for lvl in (1, 2))
    assert not any(n.title_edited for lvl in (1, 2) for n in loaded.tree_.nodes(lvl))
    frame = loaded.get_cluster_membership_dataframe()
    assert not frame["level_1_title_edited"].any()
    assert EDITED_MARK not in loaded.format_hierarchy()
    loaded.set_title(1, "Edited after the upgrade")  # and such a run can be edited
    assert loaded.tree_.levels[1].title_edited.tolist() == [False, True, False, False]


# ---------------------------------------------------------------------- relabel and append
@pytest.mark.parametrize("edited_id", [1, 3], ids=["level-1", "level-2"])
def test_relabel_all_never_rewrites_an_edited_title(tmp_path, edited_id: int) -> None:
    summarizer = RecordingSummarizer()
    model = _text_model(summarizer)
    model.set_title(edited_id, "Kept by hand", description="Written by an analyst.")
    model.save_model(tmp_path / "run")
    loaded = Hercules.load_model(
        tmp_path / "run", text_embedding_client=HashingEmbedder(), summarizer=summarizer
    )
    summarizer.asked.clear()
    done = loaded.relabel(stale_only=False)
    # Three level-1 clusters and two level-2 ones; the edited one is never asked for.
    assert sum(done.values()) == 4
    assert sorted(summarizer.asked) == sorted({0, 1, 2, 3, 4} - {edited_id})
    node = loaded.tree_.find(edited_id)
    assert (node.title, node.description, node.title_edited) == (
        "Kept by hand",
        "Written by an analyst.",
        True,
    )


def test_append_flags_an_edited_cluster_stale_and_relabel_keeps_its_title() -> None:
    texts, labels = topic_texts(per_topic=20)
    summarizer = RecordingSummarizer()
    model = Hercules(
        [3, 2], text_embedding_client=HashingEmbedder(), summarizer=summarizer, random_state=0
    ).fit(texts)
    space = next(n for n in model.tree_.nodes(1) if labels[n.member_indices[0]] == "space")
    model.set_title(space.id, "Spaceflight (by hand)")
    routed = model.predict(["orbit rocket launch nasa shuttle"] * 5, append=True)
    assert set(routed["level_1_id"]) == {space.id}
    node = model.tree_.find(space.id)
    assert node.num_items == 25
    assert node.summary_stale  # its membership grew by 25% since the edit
    assert node.title == "Spaceflight (by hand)"
    assert routed["level_1_title"].tolist() == ["Spaceflight (by hand)"] * 5
    summarizer.asked.clear()
    done = model.relabel()  # stale only
    assert space.id not in summarizer.asked
    assert done.get(1, 0) == 0
    assert (node.title, node.title_edited, node.summary_stale) == (
        "Spaceflight (by hand)",
        True,
        True,  # kept: the membership did grow since the edit
    )


def test_a_parent_named_again_reads_its_edited_childs_title() -> None:
    summarizer = RecordingSummarizer()
    model = _text_model(summarizer)
    child = model.tree_.find(0)
    parent = child.parent
    assert parent is not None
    model.set_title(0, "Zeppelin maintenance crews")
    summarizer.child_titles.clear()
    model.relabel(stale_only=False)
    assert "Zeppelin maintenance crews" in summarizer.child_titles[parent.id]


def test_an_llm_naming_a_parent_again_is_shown_the_edited_child_title() -> None:
    llm = ScriptedLLM()
    model = _text_model(LLMSummarizer(llm, retry=FAST))
    parents = [n for n in model.tree_.nodes(2) if len(n.children) >= 2]
    assert parents, "the three topics should make a parent of two children"
    child = parents[0].children[0]
    model.set_title(child.id, "Zeppelin maintenance crews")
    llm.prompts.clear()
    model.relabel(stale_only=False)
    level2 = [p for p in llm.prompts if f"Group {parents[0].id} (" in p]
    assert level2, "the parent was not asked for"
    assert any("Zeppelin maintenance crews" in p for p in level2)
    assert model.tree_.find(child.id).title == "Zeppelin maintenance crews"


# ---------------------------------------------------------------------- read-outs
def test_print_hierarchy_marks_only_the_edited_title() -> None:
    model = _blobs_model()
    model.set_title(2, "Third blob")
    out = io.StringIO()
    model.print_hierarchy(file=out)
    lines = out.getvalue().splitlines()
    marked = [line for line in lines if EDITED_MARK in line]
    assert marked == ["  L1 #2 (25 items) Third blob (edited)"]
    assert len(lines) == 6


def test_membership_frame_has_the_edited_title_and_a_flag_per_level() -> None:
    model = _blobs_model()
    model.set_title(2, "Third blob")
    frame = model.get_cluster_membership_dataframe()
    rows = frame["level_1_id"] == 2
    assert rows.sum() == 25
    assert (frame.loc[rows, "level_1_title"] == "Third blob").all()
    assert frame["level_1_title_edited"].tolist() == rows.tolist()
    assert not frame["level_2_title_edited"].any()


# ---------------------------------------------------------------------- CLI
@pytest.fixture
def saved_run(tmp_path):  # type: ignore[no-untyped-def]
    model = _blobs_model()
    model.save_model(tmp_path / "run")
    return tmp_path / "run"


def test_cli_edit_saves_the_title_and_show_marks_it(saved_run) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from hercules.cli import app

    runner = CliRunner()
    result = runner.invoke(
        app,
        ["edit", str(saved_run), "4", "--title", "Left pair", "--description", "Blobs at x=0."],
    )
    assert result.exit_code == 0, result.output
    assert "L2 #4 is now titled 'Left pair' (edited)" in result.output
    node = Hercules.load_model(saved_run).tree_.find(4)
    assert (node.title, node.description, node.title_edited) == ("Left pair", "Blobs at x=0.", True)
    shown = runner.invoke(app, ["show", str(saved_run)])
    assert shown.exit_code == 0
    assert "Left pair (edited)" in shown.output
    relabelled = runner.invoke(app, ["relabel", str(saved_run), "--all"])
    assert relabelled.exit_code == 0, relabelled.output
    assert "kept 1 title(s) set by hand" in relabelled.output
    assert Hercules.load_model(saved_run).tree_.find(4).title == "Left pair"


@pytest.mark.parametrize(
    ("args", "message"),
    [(["77", "--title", "T"], "No cluster with id '77'"), (["1", "--title", "  "], "is empty")],
    ids=["unknown-id", "blank-title"],
)
def test_cli_edit_bad_input_is_an_error_and_the_run_is_unchanged(saved_run, args, message) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from hercules.cli import app

    before = (saved_run / "manifest.json").read_text()
    result = CliRunner().invoke(app, ["edit", str(saved_run), *args])
    assert result.exit_code != 0
    assert isinstance(result.exception, ParameterError)
    assert message in str(result.exception)
    assert (saved_run / "manifest.json").read_text() == before  # not saved again
