"""Title quality: faithfulness, the title rules, the candidate verifier, key words."""

from __future__ import annotations

import numpy as np
import pytest

from hercules import Hercules
from hercules.summarize.keywords import EXTRA_STOP_WORDS, diverse
from hercules.summarize.schema import clean_description
from hercules.title_quality import (
    copies_a_child,
    faithfulness,
    is_definition,
    is_generic_title,
    tree_quality,
)
from hercules.tree import ClusterTree, Level
from tests.fakes import HashingEmbedder, topic_texts

# Three clusters on three axes: members of cluster c point along axis c (with a little noise).
AXES = np.eye(3, dtype=np.float32)


def _members(per: int = 5, seed: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    rows = np.repeat(AXES, per, axis=0) + 0.1 * rng.random((3 * per, 3), dtype=np.float32)
    return rows, [np.arange(c * per, (c + 1) * per) for c in range(3)]


def test_faithfulness_is_one_for_separable_labels_and_drops_when_two_are_swapped() -> None:
    vectors, members = _members()
    everyone = [np.arange(3)] * 3
    assert faithfulness(AXES, vectors, members, everyone).tolist() == [1.0, 1.0, 1.0]
    swapped = AXES[[1, 0, 2]]  # cluster 0 carries cluster 1's label and vice versa
    assert faithfulness(swapped, vectors, members, everyone).tolist() == [0.0, 0.0, 1.0]


def test_faithfulness_only_competes_with_the_given_rivals() -> None:
    vectors, members = _members()
    # Label 0 leans towards axis 1, so cluster 1's members find label 0 before their own.
    vague = np.array([[0.3, 1, 0], [0, 1, 0.9], [0, 0, 1]], dtype=np.float32)
    against_all = faithfulness(vague, vectors, members, [np.arange(3)] * 3)
    alone = faithfulness(vague, vectors, members, [np.arange(3), np.array([1]), np.arange(3)])
    assert against_all.tolist() == [1.0, 0.0, 1.0]
    assert alone[1] == 1.0  # no sibling to lose against


@pytest.mark.parametrize(
    ("title", "generic"),
    [
        ("World News", True),
        ("General Discussion", True),
        ("Miscellaneous Topics", True),
        ("Various Issues", True),
        ("Ice Hockey", False),
        ("News Photography", False),
        ("Gun Laws and Space Flight", False),
    ],
)
def test_generic_titles(title: str, generic: bool) -> None:
    assert is_generic_title(title) is generic


def _tree(level1_titles: list[str], level2_titles: list[str], parents: list[int]) -> ClusterTree:
    vectors, _ = _members(per=2)
    n = len(vectors)
    labels1 = np.repeat(np.arange(3), 2)
    level0 = Level(
        0,
        list(range(n)),
        vectors,
        np.ones(n, dtype=np.int64),
        [""] * n,
        [""] * n,
        description_embedding=vectors,
        parent=labels1,
    )
    level1 = Level(
        1,
        [0, 1, 2],
        AXES,
        np.full(3, 2),
        level1_titles,
        ["d"] * 3,
        description_embedding=AXES,
        parent=np.asarray(parents),
    )
    k2 = max(parents) + 1
    level2 = Level(
        2,
        list(range(3, 3 + k2)),
        np.ones((k2, 3), np.float32),
        np.bincount(parents, minlength=k2) * 2,
        level2_titles,
        ["d"] * k2,
        description_embedding=np.stack([AXES[parents.index(p)] for p in range(k2)]),
    )
    return ClusterTree([level0, level1, level2], "text")


def test_tree_quality_counts_copies_duplicates_generic_and_single_children() -> None:
    # Parent 0 has children 0 and 1 and copies child 1's title; parent 1 has only child 2.
    tree = _tree(["Ice Hockey", "Baseball", "Space"], ["baseball!", "Space"], [0, 0, 1])
    report = tree_quality(tree)
    level1, level2 = report["levels"]
    assert level2["copied_parent_titles"] == 1  # case and punctuation ignored
    assert level2["single_child_parents"] == 1  # "Space" over "Space" is not a copy
    assert level2["notes"] == ["copied child title", "single child"]
    # "baseball" twice: two nodes hold a repeated title; "Space" over "Space" is one cluster.
    assert report["duplicate_titles"] == 2
    assert level2["duplicate_titles"] == 1
    assert level1["faithfulness_level"] == 1.0
    assert level1["faithfulness_siblings"] == 1.0  # clusters 0 and 1 are siblings
    assert level1["clusters_without_siblings"] == 1  # cluster 2 is alone under parent 1


def test_a_generic_title_is_flagged() -> None:
    tree = _tree(["Ice Hockey", "World News", "Space"], ["Sports", "Space"], [0, 0, 1])
    level1 = tree_quality(tree)["levels"][0]
    assert level1["generic_titles"] == 1
    assert level1["notes"][1] == "generic title"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This group includes discussions of NHL playoffs.", "Discussions of NHL playoffs."),
        ("These posts discuss engine repair.", "Engine repair."),
        ("The cluster focuses on rocket launches.", "Rocket launches."),
        ("Fans argue about NHL playoff games.", "Fans argue about NHL playoff games."),
        ("Members discuss engine repair.", "Engine repair."),
        ("These groups discuss anonymous FTP sites.", "Anonymous FTP sites."),
        ("Discussing hardware and drivers.", "Hardware and drivers."),
        (
            "Members discuss various aspects of the NHL, including trades.",
            "The NHL, including trades.",
        ),
        ("Various aspects", "Various aspects"),  # nothing would be left
        # Cut by the grammar at 160 characters, mid-word: back to the last whole word, no
        # dangling "and", an ellipsis. A sentence of that length that ends is left alone.
        ("Engine repair, " * 10 + "tires and whe", "Engine repair, " * 10 + "tires…"),
        ("Engine repair, " * 10 + "tires, wheels.", "Engine repair, " * 10 + "tires, wheels."),
    ],
)
def test_container_openers_are_dropped_from_descriptions(text: str, expected: str) -> None:
    assert clean_description(text) == expected


def test_encyclopedia_lines_are_recognised() -> None:
    assert is_definition(
        "Christianity is a major world religion from the 1st century.", "Christianity"
    )
    assert not is_definition("Members debate the Trinity and church history.", "Christianity")


def test_mmr_keeps_the_best_term_and_skips_near_synonyms() -> None:
    pool = ["car", "cars", "engine", "auto"]
    vectors = np.array([[1, 0], [0.99, 0.14], [0, 1], [0.98, 0.2]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert diverse(pool, vectors, 2) == ["car", "engine"]


def test_keyword_titles_skip_forum_chatter_and_mail_residue() -> None:
    texts, _ = topic_texts(per_topic=10)
    noisy = [f"{t} don just think edu writes organization" for t in texts]
    model = Hercules([3], labeller="keywords", text_embedding_client=HashingEmbedder()).fit(noisy)
    words = {w for t in model.tree_.levels[1].titles for w in t.split(" / ")}
    assert words
    assert not words & EXTRA_STOP_WORDS


def test_faithfulness_and_notes_are_saved_and_shown(tmp_path) -> None:
    texts, _ = topic_texts(per_topic=10)
    model = Hercules([3, 2], labeller="keywords", text_embedding_client=HashingEmbedder())
    model.fit(texts)
    level1 = model.tree_.levels[1]
    assert level1.faithfulness is not None
    assert np.all(np.isfinite(level1.faithfulness))
    metrics = model.evaluate_level(1)
    assert 0.0 <= metrics["faithfulness_level"] <= 1.0
    assert metrics["copied_parent_titles"] == 0
    model.save_model(tmp_path / "run")
    loaded = Hercules.load_model(tmp_path / "run")
    assert np.allclose(loaded.tree_.levels[1].faithfulness, level1.faithfulness)
    assert loaded.tree_.levels[2].title_notes == model.tree_.levels[2].title_notes
    node = loaded.tree_.node(1, 0)
    assert node.faithfulness == pytest.approx(float(level1.faithfulness[0]))


def test_the_titles_weighed_are_saved_and_a_run_without_them_loads(tmp_path) -> None:
    import pandas as pd

    texts, _ = topic_texts(per_topic=10)
    model = Hercules([3, 2], labeller="keywords", text_embedding_client=HashingEmbedder())
    model.fit(texts)
    level1 = model.tree_.levels[1]
    assert level1.title_candidates == [()] * 3  # keyword titles: nothing weighed
    odd = ('Guns, "Ammo" & the Law', "Ünïcode; [list] {braces}", "a\\b")
    level1.title_candidates = [odd, (), ("x",)]
    model.save_model(tmp_path / "run")
    loaded = Hercules.load_model(tmp_path / "run")
    assert loaded.tree_.levels[1].title_candidates == [odd, (), ("x",)]
    assert loaded.tree_.node(1, 0).title_candidates == odd
    # a run saved before the column existed: nothing weighed
    (payload,) = (tmp_path / "run").glob("data-*")
    nodes = pd.read_parquet(payload / "nodes.parquet").drop(columns="title_candidates")
    nodes.to_parquet(payload / "nodes.parquet")
    older = Hercules.load_model(tmp_path / "run")
    assert older.tree_.node(1, 0).title_candidates == ()


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Hockey News", "Hockey"),
        ("Gun Discussion", "Gun"),
        ("News", "News"),
        ("Car Talk", "Car"),
        (": Concerning the Newsgroup Split", "Concerning the Newsgroup Split"),  # subject line
        ("- X Window Fonts", "X Window Fonts"),
        (">Hubble Space Telescope", "Hubble Space Telescope"),  # a quoted mail line
        (
            "Israel-Palestinian Conflict, Armenian Genocide,,",
            "Israel-Palestinian Conflict, Armenian Genocide",
        ),
        ("Press and FBI Debates on Waco],", "Press and FBI Debates on Waco"),  # the list's end
        ('["Ice Hockey', "Ice Hockey"),
        ("{Space Shuttle}", "Space Shuttle"),
        (": >Compiled from the last five seasons", "Compiled from the last five seasons"),
        ("## Programming in C#", "Programming in C#"),
    ],
)
def test_container_words_and_stray_punctuation_are_dropped(raw: str, clean: str) -> None:
    from hercules.summarize.schema import clean_title

    assert clean_title(raw) == clean


@pytest.mark.parametrize(
    ("title", "children", "copies"),
    [
        ("SCSI Card Sales", ["SCSI card sale", "Monitors"], True),
        ("Cars, Space", ["Cars, Space and more", "Hockey"], True),
        ("Short or empty texts", ["Short or empty texts (b9r, ahf)", "Guns"], True),
        ("Short or empty texts (b9r)", ["Short or empty texts (b9r, ahf)", "Guns"], True),
        ("Baseball", ["Baseball Statistics", "Pitching"], False),
        ("Windows (X11)", ["Windows Drivers", "X11"], False),
        ("(misc)", ["Misc", "Guns"], True),  # nothing but brackets: their words are the name
    ],
)
def test_a_copy_of_a_child_is_its_name_word_for_word(
    title: str, children: list[str], copies: bool
) -> None:
    assert copies_a_child(title, children) is copies
