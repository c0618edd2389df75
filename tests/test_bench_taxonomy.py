"""bench/taxonomy.py: title coverage against a labelled hierarchy, on hand-worked toy cases.

The toy embedder gives every word its own axis, so a part matches the node name that shares the
most words with it; every answer below can be checked by counting members.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench import taxonomy as tx
from hercules.errors import InputError

TOY = {
    "nodes": {
        "sports": {"name": "sports", "parent": None},
        "politics": {"name": "politics", "parent": None},
        "computers": {"name": "computers", "parent": None},
        "forsale": {"name": "items for sale", "parent": None},
        "baseball": {"name": "baseball", "parent": "sports"},
        "hockey": {"name": "ice hockey", "parent": "sports"},
        "guns": {"name": "gun control", "parent": "politics"},
        "mideast": {"name": "middle east politics", "parent": "politics"},
        "graphics": {"name": "computer graphics", "parent": "computers"},
        "hardware": {"name": "pc hardware", "parent": "computers"},
        "misc.forsale": {"name": "items for sale", "parent": "forsale"},
    }
}
WORDS = sorted(
    {w for node in TOY["nodes"].values() for w in node["name"].split()} | {"hockey", "unknown"}
)


def word_axes(texts: list[str]) -> np.ndarray:
    """One axis per known word; words not in the toy vocabulary share the 'unknown' axis."""
    out = np.zeros((len(texts), len(WORDS)))
    for row, text in enumerate(texts):
        for word in text.lower().split():
            out[row, WORDS.index(word if word in WORDS else "unknown")] += 1.0
    return out


@pytest.fixture
def toy() -> tx.Taxonomy:
    return tx.taxonomy_from_dict(TOY)


@pytest.fixture
def matcher(toy) -> tx.NodeMatcher:
    return tx.NodeMatcher(toy, word_axes)


def members(**counts: int) -> list[str]:
    return [group for group, n in counts.items() for _ in range(n)]


@pytest.mark.parametrize(
    ("title", "parts"),
    [
        ("Hockey and Baseball", ["hockey", "baseball"]),
        ("Religion, Politics, and Waco Siege", ["religion", "politics", "waco siege"]),
        ("space / venus / solar / earth", ["space", "venus", "solar", "earth"]),
        ("Homosexuality, Number Theory and more", ["homosexuality", "number theory"]),
        ("Guns & Ammo; Hunting", ["guns", "ammo", "hunting"]),
        ("Alcohol vs. Overall Mean", ["alcohol", "overall mean"]),
        ("Misc Hardware", ["hardware"]),
        ("Empty or very short items (no distinctive words)", ["empty or very short items"]),
        ("Sandy Koufax", ["sandy koufax"]),  # "and" inside a word is no conjunction
        ("Vsync Issues", ["vsync issues"]),
        ("Miscellaneous", []),
        ("Other, Various etc.", []),
    ],
    ids=[
        "and",
        "oxford-comma",
        "keywords",
        "and-more",
        "ampersand-semicolon",
        "vs",
        "misc-word",
        "bracketed-remark",
        "and-inside-word",
        "vs-inside-word",
        "only-filler",
        "filler-list",
    ],
)
def test_split_title(title, parts):
    assert tx.split_title(title) == parts


def test_twin_names_match_the_deepest_node(toy, matcher):
    assert toy.named_nodes.count("misc.forsale") == 1
    assert "forsale" not in toy.named_nodes
    assert matcher.match(["items for sale", "hockey"]) == ["misc.forsale", "hockey"]
    # The newsgroup under its twin area is never "too broad" for a cluster of ads.
    score = tx.score_title(matcher, "Items for Sale", members(**{"misc.forsale": 10}))
    assert (score["coverage"], score["precision"], score["too_broad"]) == (1.0, 1, 0)


@pytest.mark.parametrize(
    ("title", "coverage", "precision", "too_broad"),
    [
        ("Baseball and Ice Hockey", 1.0, 1, 0),
        ("Baseball", 0.6, 1, 0),  # the conjunction lost a subject: 6 of 10 covered
        ("Ice Hockey", 0.4, 1, 0),
        ("Sports", 1.0, 1, 0),  # baseball holds 60% < 80%: the field is right
        ("Baseball and Gun Control", 0.6, 0, 0),  # gun control holds 0% of the members
        ("Miscellaneous", 0.0, 0, 0),  # names nothing
    ],
)
def test_coverage_of_a_constructed_cluster(matcher, title, coverage, precision, too_broad):
    score = tx.score_title(matcher, title, members(baseball=6, hockey=4))
    assert score["coverage"] == pytest.approx(coverage)
    assert (score["precision"], score["too_broad"]) == (precision, too_broad)


@pytest.mark.parametrize(
    ("mideast", "precision"),
    [(1, 0), (2, 1), (3, 1)],  # 1 of 20 is 5% < 10%; 2 of 20 is exactly 10%
)
def test_precision_needs_each_named_node_to_hold_a_tenth(matcher, mideast, precision):
    groups = members(guns=20 - mideast, mideast=mideast)
    score = tx.score_title(matcher, "Gun Control and Middle East Politics", groups)
    assert score["coverage"] == 1.0
    assert score["precision"] == precision


@pytest.mark.parametrize(
    ("baseball", "title", "too_broad"),
    [
        (9, "Sports", 1),  # baseball alone holds 90%
        (8, "Sports", 1),  # exactly 80%
        (7, "Sports", 0),
        (9, "Baseball", 0),  # a leaf has no child
        (9, "Sports and Gun Control", 1),  # one broad part is enough
    ],
)
def test_too_broad(matcher, baseball, title, too_broad):
    groups = members(baseball=baseball, hockey=10 - baseball)
    if "Gun" in title:
        groups = [*groups[:-1], "guns"]
    assert tx.score_title(matcher, title, groups)["too_broad"] == too_broad


@pytest.mark.parametrize(
    ("groups", "coverage", "specific"),
    [
        # Two areas, each with a single newsgroup over 10%: two names cover all.
        (members(baseball=6, guns=4), 1.0, 1.0),
        # Four areas; three names reach 0.3 + 0.3 + 0.2.
        (members(baseball=3, guns=3, graphics=2, **{"misc.forsale": 2}), 0.8, 0.8),
        # Middle east holds 5%, yet "politics" (35%) covers it.
        (members(baseball=11, guns=6, graphics=2, mideast=1), 1.0, 1.0),
        # Hockey holds 5% < 10%: only "sports" covers it, and sports is too broad (85%
        # baseball), so the specific oracle stops at baseball + guns = 0.95.
        (members(baseball=17, hockey=1, guns=2), 1.0, 0.95),
        # Nothing but a 1-in-20 group besides: that group can never be named.
        (members(baseball=19, guns=1), 0.95, 0.95),
    ],
    ids=["two-areas", "four-areas", "covered-by-parent", "specific-lower", "minor-group"],
)
def test_oracle(toy, groups, coverage, specific):
    found = tx.oracle(toy, groups)
    assert found["coverage"] == pytest.approx(coverage)
    assert found["specific_coverage"] == pytest.approx(specific)
    assert 1 <= len(found["names"]) <= 3
    # The oracle's own title scores its coverage with precision 1.
    nodes = [n for n in toy.named_nodes if toy.names[n] in found["names"]]
    assert tx.score_nodes(toy, nodes, groups)["precision"] == 1
    assert tx.covered(toy, nodes, groups) == pytest.approx(coverage)


def test_oracle_prefers_fewer_names(toy):
    found = tx.oracle(toy, members(baseball=6, hockey=4))
    assert found["names"] == ["sports"]


def test_score_levels_means(matcher):
    groups = members(baseball=6, hockey=4, guns=10)
    titles = {1: ["Baseball and Ice Hockey", "Gun Control"], 2: ["Sports"]}
    clusters = {1: [np.arange(10), np.arange(10, 20)], 2: [np.arange(20)]}
    out = tx.score_levels(matcher, titles, clusters, groups)
    assert out["1"]["means"]["coverage"] == 1.0
    assert out["1"]["means"]["coverage_x_precision"] == 1.0
    assert out["1"]["means"]["oracle_coverage"] == 1.0
    # "Sports" over half politics: covers 0.5, holds 50% >= 10%, not too broad.
    assert out["2"]["means"] == {
        "coverage": 0.5,
        "precision": 1.0,
        "coverage_x_precision": 0.5,
        "too_broad": 0.0,
        "oracle_coverage": 1.0,
        "oracle_specific_coverage": 1.0,
    }
    assert out["2"]["clusters"][0]["matched"] == ["sports"]
    with pytest.raises(InputError, match="level 1: 1 titles for 2 clusters"):
        tx.score_levels(matcher, {1: ["Sports"]}, clusters, groups)


def test_best_titles_by_hand(matcher):
    groups = members(baseball=6, hockey=4, guns=10)
    clusters = {1: [np.arange(10), np.arange(10, 20), np.arange(5)], 2: [np.arange(20)]}
    weighed = {
        # "Baseball" covers 0.6; "Baseball and Ice Hockey" 1.0; "Sports" 1.0 too, offered later
        1: [["Baseball", "Baseball and Ice Hockey", "Sports"], ["Gun Control"], []],
        # "Sports and Gun Control" covers all; "Sports and Pc Hardware" names a node not there
        2: [["Sports and Pc Hardware", "Sports and Gun Control"]],
    }
    assert tx.best_titles(matcher, weighed, clusters, groups) == {
        1: ["Baseball and Ice Hockey", "Gun Control", ""],
        2: ["Sports and Gun Control"],
    }


def test_matcher_embeds_node_names_once(toy):
    calls: list[list[str]] = []

    def counting(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return word_axes(texts)

    matcher = tx.NodeMatcher(toy, counting)
    matcher.match(["baseball", "sports"])
    matcher.match(["baseball", "hockey"])
    assert calls[1:] == [["baseball", "sports"], ["hockey"]]
    assert len(calls[0]) == len(toy.named_nodes) == 10


def test_taxonomy_errors(tmp_path):
    with pytest.raises(InputError, match="unknown parents \\['nowhere'\\]"):
        tx.taxonomy_from_dict({"nodes": {"a": {"name": "a", "parent": "nowhere"}}})
    with pytest.raises(InputError, match="non-empty 'nodes'"):
        tx.taxonomy_from_dict({"nodes": {}})
    with pytest.raises(InputError, match="HERCULES_20NG_TAXONOMY"):
        tx.load_taxonomy(tmp_path / "missing.json")
    path = tmp_path / "t.json"
    path.write_text(json.dumps(TOY))
    loaded = tx.load_taxonomy(path)
    assert loaded.leaves["sports"] == {"baseball", "hockey"}
    assert loaded.leaves["forsale"] == {"misc.forsale"}
