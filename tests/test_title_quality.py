"""Title quality: faithfulness, the title rules, the candidate verifier, key words."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from hercules import Hercules
from hercules.data.dataset import Corpus
from hercules.summarize.base import ChildSummary, ClusterBrief, LevelRequest
from hercules.summarize.keywords import EXTRA_STOP_WORDS, diverse
from hercules.summarize.schema import clean_description
from hercules.summarize.verify import borrowed_words, choose_titles, reject_reason
from hercules.title_quality import (
    faithfulness,
    has_repeated_word,
    is_definition,
    is_fragment,
    is_generic_title,
    normalize_title,
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


@pytest.mark.parametrize(
    ("title", "fragment"),
    [
        ("Compiled from the", True),  # a full 20NG run's level-2 title
        ("DAs for", True),
        ("Guns and", True),
        ("Advertising in the,", True),
        ("Arab-Israel Relations, Muslims vs.", True),  # a child's title cut at four words
        ("Vitamin A", False),  # a letter, not an article
        ("Log In", False),
        ("Hands On", False),
        ("Space Flight", False),
        ("Cars, Bikes and more", False),  # the conjunction fallback's own ending
    ],
)
def test_fragment_titles(title: str, fragment: bool) -> None:
    assert is_fragment(title) is fragment


@pytest.mark.parametrize(
    ("title", "repeated"),
    [("Russia-Russia Cooperation", True), ("Cars and cars", True), ("Russian Cooperation", False)],
)
def test_repeated_words(title: str, repeated: bool) -> None:
    assert has_repeated_word(title) is repeated


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
    ("title", "reason"),
    [
        ("Hockey Playoffs", "copies a sub-group's title"),
        ("Hockey Playoff", "copies a sub-group's title"),  # plurals aside
        ("Hockey", ""),  # broader than "Hockey playoffs": a parent's name
        ("Hockey and Skiing", ""),
        ("World News", "generic"),
        ("Russia-Russia Cooperation", "repeats a word"),
        ("Posts about hockey", "names the container, not the subject"),
        ("Space Flight", "already a title in the tree"),
        ("Chess Endgame Tactics", "repeats an example from the prompt"),
        ("Growing roses", "repeats an example from the prompt"),
        ("Chess Openings", ""),  # a subject near an example is not an echo
        ("Compiled from the", "ends mid-phrase"),
        ("DAs for", "ends mid-phrase"),
        ("Winter Sports", ""),
    ],
)
def test_reject_reason(title: str, reason: str) -> None:
    taken = {normalize_title("Space flight")}
    assert reject_reason(title, ["Hockey playoffs", "Skiing"], taken) == reason


@pytest.mark.parametrize(
    ("title", "copy"),
    [
        ("Government Policy, Arab-Israel Conflict", True),  # the child's conjunction, cut
        ("Government Policy, Arab-Israel Conflict and more", True),
        ("Government Policy, Arab-Israel Conflict,more", True),  # as the model echoed it
        ("Government Policy, Arab-Israel Conflict, & more", True),
        ("Government Policy", False),  # one of its subjects: broader than the child
        ("Politics", False),
    ],
)
def test_a_conjunction_childs_names_without_and_more_are_a_copy(title: str, copy: bool) -> None:
    from hercules.title_quality import copies_a_child

    kids = ["Government Policy, Arab-Israel Conflict and more", "Christianity"]
    assert copies_a_child(title, kids) is copy


def _request(level: int = 2) -> LevelRequest:
    """Two clusters whose members embed along axis 0 and axis 1 (a 3-d toy embedder)."""
    vectors, members = _members(per=4)
    children = [
        [ChildSummary(10, "Hockey Playoffs", "d", 2), ChildSummary(11, "Skiing", "d", 2)],
        [ChildSummary(12, "Rockets", "d", 2), ChildSummary(13, "Moon", "d", 2)],
    ]
    briefs = [
        ClusterBrief(20 + c, level, 4, members[c], members[c][:2].tolist(), children[c])
        for c in range(2)
    ]
    corpus = Corpus("text", list(range(len(vectors))), texts=["x"] * len(vectors))
    embed = _word_axes({"winter": 0, "sports": 0, "space": 1, "flight": 1, "news": 2}, 3, 0.01)
    return LevelRequest(level, briefs, corpus, embed=embed, member_vectors=vectors[:8])


def _word_axes(axes: dict[str, int], width: int, floor: float) -> Callable[[list[str]], np.ndarray]:
    """A toy embedder: ``floor`` on every axis, plus 1 on the axis of each known word."""

    def embed(texts: list[str]) -> np.ndarray:
        out = np.full((len(texts), width), floor, dtype=np.float32)
        for row, text in enumerate(texts):
            for word in normalize_title(text).split():
                if word in axes:
                    out[row, axes[word]] += 1.0
        return out

    return embed


def test_verifier_skips_rejected_candidates_and_keeps_the_most_faithful() -> None:
    request = _request()
    candidates = [
        ["Hockey Playoffs", "World News", "Space Sports", "Winter Sports"],
        ["Russia-Russia Talks", "Space Flight"],
    ]
    chosen, verdicts = choose_titles(request, candidates)
    assert chosen == [3, 1]  # "Space Sports" fits cluster 0 worse than "Winter Sports"
    reasons = [v.reason for v in verdicts[0]]
    assert reasons == ["copies a sub-group's title", "generic", "", ""]
    assert verdicts[1][0].reason == "repeats a word"


def test_a_parent_title_must_cover_every_child_not_the_largest() -> None:
    # Parent 0: child "Hockey Playoffs" (6 members on axis 0), child "Skiing" (2 on axis 1);
    # parent 1: "Rockets" and "Moon" (2 members each, all on axis 2). "Hockey" fits parent 0's
    # centroid best (its largest child), "Winter Sports" fits both of its children.
    vectors = np.zeros((12, 3), dtype=np.float32)
    vectors[:6, 0] = vectors[6:8, 1] = vectors[8:, 2] = 1.0
    children = [
        [
            ChildSummary(10, "Hockey Playoffs", "d", 6, member_items=np.arange(6)),
            ChildSummary(11, "Skiing", "d", 2, member_items=np.arange(6, 8)),
        ],
        [
            ChildSummary(12, "Rockets", "d", 2, member_items=np.arange(8, 10)),
            ChildSummary(13, "Moon", "d", 2, member_items=np.arange(10, 12)),
        ],
    ]
    members = [np.arange(8), np.arange(8, 12)]
    briefs = [ClusterBrief(20 + c, 2, len(members[c]), members[c], [], children[c]) for c in (0, 1)]
    corpus = Corpus("text", list(range(12)), texts=["x"] * 12)
    axes = {"hockey": [1, 0, 0], "winter": [1, 1, 0], "space": [0, 0, 1]}

    def embed(texts: list[str]) -> np.ndarray:
        rows = [[0.01, 0.01, 0.01] for _ in texts]
        for row, text in zip(rows, texts, strict=True):
            for word in normalize_title(text).split():
                row[:] = np.add(row, axes.get(word, [0, 0, 0]))
        return np.asarray(rows, dtype=np.float32)

    request = LevelRequest(2, briefs, corpus, embed=embed, member_vectors=vectors)
    chosen, verdicts = choose_titles(request, [["Hockey", "Winter Sports"], ["Space"]])
    assert chosen == [1, 0]
    assert verdicts[0][1].score > verdicts[0][0].score
    # Without the children's members the parent's own centroid decides, as at level 1.
    bare = [
        ClusterBrief(
            b.cluster_id,
            2,
            b.num_items,
            b.member_items,
            [],
            [ChildSummary(k.cluster_id, k.title, k.description, k.num_items) for k in b.children],
        )
        for b in briefs
    ]
    request = LevelRequest(2, bare, corpus, embed=embed, member_vectors=vectors)
    assert choose_titles(request, [["Hockey", "Winter Sports"], ["Space"]])[0] == [0, 0]


@pytest.mark.parametrize(
    ("parents", "title"),
    [
        # Level above unknown (description mode): the whole margin is over the closest rival,
        # the sibling on the same field, and the thread's name wins: 0.96 against 0.86.
        ([None, None, None], "ESPN Coverage"),
        # Clusters 0 and 1 share parent 0: half the margin is over cluster 2 (space), so the
        # field's name wins: 0.876 + 0.5 * (0.876 - 0.894) + 0.5 * 0.876 = 1.30 against 0.96.
        ([0, 0, 1], "Hockey Coverage"),
    ],
)
def test_half_the_level_one_margin_is_over_clusters_under_other_parents(
    parents: list[int | None], title: str
) -> None:
    # Axes: 0 hockey, 1 ESPN, 2 trades, 3 space. Cluster 0 is hockey with some ESPN
    # (centroid 0.876, 0.482), cluster 1 hockey with some trades, cluster 2 space.
    vectors = np.asarray(
        [[1, 0.55, 0, 0]] * 3 + [[1, 0, 0.55, 0]] * 3 + [[0, 0, 0, 1]] * 3, dtype=np.float32
    )
    members = [np.arange(3 * c, 3 * c + 3) for c in range(3)]
    briefs = [ClusterBrief(c, 1, 3, members[c], [], parent=parents[c]) for c in range(3)]
    corpus = Corpus("text", list(range(9)), texts=["x"] * 9)
    embed = _word_axes({"hockey": 0, "espn": 1, "trades": 2, "space": 3}, 4, 0.001)
    request = LevelRequest(1, briefs, corpus, embed=embed, member_vectors=vectors)
    candidates = [["ESPN Coverage", "Hockey Coverage"], ["Hockey Trades"], ["Space"]]
    chosen, verdicts = choose_titles(request, candidates)
    assert chosen[0] is not None
    assert verdicts[0][chosen[0]].title == title
    assert chosen[1:] == [0, 0]


@pytest.mark.parametrize(
    ("title", "uses", "borrowed"),
    [
        ("Chess Opening", 0, ["chess"]),  # no member mentions chess: the prompt's word
        ("Chess Opening", 1, ["chess"]),  # 1 of 100 is under the 2% a word needs
        ("Chess Opening", 2, []),
        ("Rose Care", 50, []),  # "roses" in the texts counts for "rose"
        ("Space Station", 0, []),  # no example word at all
    ],
)
def test_borrowed_words_by_hand(title: str, uses: int, borrowed: list[str]) -> None:
    texts = ["My chess club grows roses."] * uses + ["The shuttle flew again."] * (100 - uses)
    if title == "Rose Care":
        texts = ["Pruning roses in spring."] * uses + ["Watering lawns."] * (100 - uses)
    assert borrowed_words(title, texts) == borrowed


def test_a_candidate_borrowing_an_example_word_loses_to_one_about_the_members() -> None:
    vectors, members = _members(per=4)
    briefs = [ClusterBrief(c, 1, 4, members[c], members[c][:2].tolist()) for c in range(2)]
    texts = ["The shuttle docked at the station."] * 4 + ["Skiing down the slope."] * 4
    corpus = Corpus("text", list(range(8)), texts=texts)
    # The toy embedder puts "chess" on the space axis: only the rule can turn it down.
    embed = _word_axes({"chess": 1, "space": 1, "sports": 0, "winter": 0}, 3, 0.01)
    request = LevelRequest(1, briefs, corpus, embed=embed, member_vectors=vectors[:8])
    chosen, verdicts = choose_titles(request, [["Winter Sports"], ["Chess Space", "Space"]])
    assert chosen == [0, 1]
    assert verdicts[1][0].reason == "borrows a word of the prompt's examples"


def test_verifier_gives_a_shared_title_to_the_cluster_it_fits_better() -> None:
    request = _request()
    chosen, verdicts = choose_titles(request, [["Space Flight"], ["Space Flight"]])
    assert chosen == [None, 0]  # cluster 1's members are the space ones
    assert verdicts[0][0].reason == "another cluster fits it better"


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
    ],
)
def test_container_words_and_stray_punctuation_are_dropped(raw: str, clean: str) -> None:
    from hercules.summarize.schema import clean_title

    assert clean_title(raw) == clean


def test_conjunctions_do_not_nest() -> None:
    from hercules.summarize.verify import conjunction

    titles = ["Sale Items, Jesus and more", "Vehicle Buying and Bikes", "Space"]
    assert conjunction(titles, [50, 40, 10]) == "Sale Items, Vehicle Buying and more"
    assert conjunction(["Cars", "Space"], [1, 2]) == "Space and Cars"


@pytest.mark.parametrize(
    ("titles", "name"),
    [
        # a full 20NG run's parent, named "Compiled from the" by the model
        (["Baseball Predictions", "Baseball Analysis", "Baseball Statistics"], "Baseball"),
        (["Car Engines", "Vintage cars", "Car Reviews and more"], "Car"),  # plurals aside
        (["Hard Disk Controller", "Hard Disk"], "Hard Disk Controller and Hard Disk"),  # a copy
        (["Health Information", "FAQs and Information"], "Health Information and FAQs"),  # generic
        (["Windows 3.1 Crash", "Windows 3.1 Setup"], "Windows"),  # numbers name no theme
        (["Hockey Coverage", "NHL Playoff Results"], "Hockey Coverage and NHL Playoff Results"),
    ],
)
def test_a_parent_whose_children_share_a_word_is_named_by_it(titles: list[str], name: str) -> None:
    from hercules.summarize.verify import conjunction

    assert conjunction(titles, list(range(len(titles), 0, -1))) == name
