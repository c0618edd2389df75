"""The naming pipeline: rules table, coverage, evidence titles, check, choose, fallback."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from hercules.data.dataset import Corpus
from hercules.llm.retry import RetryPolicy
from hercules.summarize.base import ChildSummary, ClusterBrief, LevelRequest, Rival, Summary
from hercules.summarize.evidence import (
    CONJUNCTION_NOTE,
    FIELD_NOTE,
    KEYWORD_NOTE,
    STATISTICS_NOTE,
    Evidence,
    children_conjunction,
    member_scripts,
    plain_words,
    says_little,
    shared_subject,
)
from hercules.summarize.pipeline import (
    MODEL,
    Candidate,
    check,
    choose,
    clean,
    fallback,
    name_level,
    tolerance,
)
from hercules.summarize.rules import RULES, RuleContext, is_fragment, reject_reason, scripts
from hercules.summarize.schema import parse_labels
from hercules.title_quality import (
    coverage_of,
    is_keyword_title,
    keyword_words,
    normalize_title,
    supported,
    title_parts,
    tree_coverage,
)
from hercules.topics import TopicTree, taxonomy_nodes, topic_tree
from hercules.tree import ClusterTree, Level


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


FAST_RETRY = RetryPolicy(attempts=2, base_delay=0.0, jitter=0.0)

# Axes: 0 hockey, 1 baseball, 2 space, 3 cooking.
AXES = {"hockey": 0, "nhl": 0, "baseball": 1, "pitching": 1, "space": 2, "cooking": 3}
EMBED = _word_axes(AXES, 4, 0.01)

# A toy topic taxonomy on the same axes: Sports (hockey and baseball) > Hockey, Baseball.
TOPIC_NODES = [
    {"label": "Sports", "path": ["Sports"]},
    {"label": "Hockey", "path": ["Sports", "Hockey"]},
    {"label": "Baseball", "path": ["Sports", "Baseball"]},
    {"label": "Space", "path": ["Space"]},
    {"label": "Cooking", "path": ["Cooking"]},
]
TOPIC_VECTORS = {
    "Sports": [1.0, 1.0, 0.0, 0.0],
    "Hockey": [1.0, 0.0, 0.0, 0.0],
    "Baseball": [0.0, 1.0, 0.0, 0.0],
    "Space": [0.0, 0.0, 1.0, 0.0],
    "Cooking": [0.0, 0.0, 0.0, 1.0],
}
TOPICS = topic_tree(
    lambda labels: np.array([TOPIC_VECTORS[x] for x in labels]), TOPIC_NODES, nearest=1
)


# ------------------------------------------------------------------------------ rules table
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_rule_is_triggered_by_its_example(rule) -> None:
    assert rule.check(rule.example, rule.example_context)
    assert reject_reason(rule.example, rule.example_context) == rule.name
    assert rule.rejects
    assert rule.why


@pytest.mark.parametrize("title", ["Ice Hockey", "Hockey and Baseball", "Vitamin A", "Log In"])
def test_a_sound_title_passes_every_rule(title: str) -> None:
    context = RuleContext(children=("NHL Playoffs", "Baseball Pitching"), taken=frozenset({"x"}))
    assert reject_reason(title, context) == ""


def test_the_rules_table_names_each_rule_once() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("title", "fragment"),
    [
        ("Compiled from the", True),
        ("DAs for", True),
        ("Guns and", True),
        ("Advertising in the,", True),
        ("Arab-Israel Relations, Muslims vs.", True),
        ("Vitamin A", False),  # a letter, not an article
        ("Log In", False),
        ("Hands On", False),
        ("Space Flight", False),
        ("Cars, Bikes and more", False),
    ],
)
def test_fragment_titles(title: str, fragment: bool) -> None:
    assert is_fragment(title) is fragment


# ------------------------------------------------------------------------------ coverage
@pytest.mark.parametrize(
    ("title", "parts"),
    [
        ("Hockey, Baseball and more", ["Hockey", "Baseball"]),
        ("Politics, Religion and Health", ["Politics", "Religion", "Health"]),
        ("space / venus / solar", ["space / venus / solar"]),  # a keyword title: one subject
        ("OS/2 Drivers and TCP/IP", ["OS/2 Drivers", "TCP/IP"]),  # a slash in a name
        ("Hockey & Baseball", ["Hockey", "Baseball"]),
        ("Arab-Israel Relations", ["Arab-Israel Relations"]),
        ("Muslims vs. Serbs", ["Muslims", "Serbs"]),
        ("Cars and cars", ["Cars"]),
    ],
)
def test_title_parts_by_hand(title: str, parts: list[str]) -> None:
    assert title_parts(title) == parts


@pytest.mark.parametrize(
    ("title", "words"),
    [
        ("space / venus / solar", ["space", "venus", "solar"]),
        ("max / 1993 / g9v", ["max", "g9v"]),  # a term without a letter names nothing
        ("Hockey, Baseball and more", []),  # not a keyword title
        ("OS/2 Drivers and TCP/IP", []),
        ("space / 1993", []),  # one word left: no list of words
    ],
)
def test_keyword_words_by_hand(title: str, words: list[str]) -> None:
    assert keyword_words(title) == words


@pytest.mark.parametrize(
    ("title", "keywords"),
    [
        ("space / venus / solar", True),
        ("space / 1993", True),  # a keyword title, though its words are no list to check
        ("OS/2 Drivers and TCP/IP", False),  # a slash inside a word joins no terms
        ("Hockey, Baseball and more", False),
    ],
)
def test_is_keyword_title_by_hand(title: str, keywords: bool) -> None:
    assert is_keyword_title(title) is keywords


def _two_subject_members() -> np.ndarray:
    """Six hockey members and four baseball members (axes 0 and 1)."""
    rows = np.zeros((10, 4), dtype=np.float32)
    rows[:6, 0] = 1.0
    rows[6:, 1] = 1.0
    return rows


def test_coverage_is_one_for_a_title_naming_every_subject_and_drops_without_one() -> None:
    members = _two_subject_members()
    rivals = EMBED(["NHL Playoffs", "Baseball Pitching", "Space", "Cooking"])
    full, shares = coverage_of(EMBED(["Hockey", "Baseball"]), members, rivals)
    assert full == 1.0
    assert shares.tolist() == [0.6, 0.4]  # each member credited to its closest part
    assert supported(shares)
    half, shares = coverage_of(EMBED(["Hockey"]), members, rivals)
    assert half == 0.6  # the baseball members find "Baseball Pitching" closer
    assert shares.tolist() == [0.6]


def test_a_part_naming_a_minority_is_unsupported() -> None:
    members = _two_subject_members()
    members[9] = [0, 0, 1, 0]  # one space member of ten
    _, shares = coverage_of(EMBED(["Hockey", "Baseball", "Space"]), members, None)
    assert shares.tolist() == [0.6, 0.3, 0.1]
    assert supported(shares)
    assert not supported(shares, support=0.15)


def test_with_no_rivals_every_member_is_covered() -> None:
    cov, _ = coverage_of(EMBED(["Cooking"]), _two_subject_members(), None)
    assert cov == 1.0


@pytest.mark.parametrize(
    ("title", "shares", "ok"),
    [
        # Six hockey and four baseball members, against the titles "NHL Playoffs" and
        # "Baseball Pitching": each word is credited with the members it would claim on its
        # own, beside the title's other words, not against them.
        ("hockey / nhl / baseball", [0.6, 0.6, 0.4], True),
        ("hockey / baseball / cooking", [0.6, 0.4, 0.0], False),  # "cooking" names no member
    ],
)
def test_every_word_of_a_keyword_title_must_be_there(
    title: str, shares: list[float], ok: bool
) -> None:
    members = _two_subject_members()
    whole = EMBED(title_parts(title))  # one subject: the whole title is its one part
    rivals = EMBED(["NHL Playoffs", "Baseball Pitching"])
    _, credit = coverage_of(whole, members, rivals, named=EMBED(keyword_words(title)))
    assert credit.tolist() == pytest.approx(shares)
    assert supported(credit) is ok


def _tree(titles1: list[str], titles2: list[str]) -> ClusterTree:
    """Ten items: 6 hockey, 4 baseball at level 1 (two clusters), one parent above."""
    vectors = _two_subject_members()
    level0 = Level(
        0,
        list(range(10)),
        vectors,
        np.ones(10, dtype=np.int64),
        [""] * 10,
        [""] * 10,
        description_embedding=vectors,
        parent=np.array([0] * 6 + [1] * 4),
    )
    level1 = Level(
        1, [0, 1], vectors[[0, 6]], np.array([6, 4]), titles1, ["d", "d"], parent=np.array([0, 0])
    )
    level2 = Level(2, [2], vectors[:1], np.array([10]), titles2, ["d"])
    return ClusterTree([level0, level1, level2], "text")


@pytest.mark.parametrize(
    ("parent", "against_children", "outside_only"),
    [
        # claimed share x held share: the baseball members find "Baseball Pitching" closer
        # than "Hockey" (claimed 0.6), and the topic "Hockey" does not hold them (held 0.6).
        ("Hockey and Baseball", 1.0, 1.0),
        ("Hockey", 0.36, 0.6),
        ("Baseball", 0.16, 0.4),
        # "Sports" (no word of the toy embedder: equally far from every axis) is closer to
        # no member than the children's titles, but with no rival its topic holds them all.
        ("Sports", 0.0, 1.0),
    ],
)
def test_tree_coverage_measures_a_parent_against_its_children_titles_and_its_topic(
    parent: str, against_children: float, outside_only: float
) -> None:
    tree = _tree(["NHL Playoffs", "Baseball Pitching"], [parent])
    vectors = tree.levels[0].description_embedding
    measured = tree_coverage(tree, EMBED, vectors, scope="tree", topics=TOPICS)
    assert measured[2][0][0] == pytest.approx(against_children)
    assert measured[1][0].tolist() == [1.0, 1.0]
    # Against the nodes outside its subtree only, a lone top node has no rival at all: only
    # the breadth of its topic tells the field from one child's name.
    outside = tree_coverage(tree, EMBED, vectors, scope="outside", topics=TOPICS)
    assert outside[2][0][0] == pytest.approx(outside_only)


@pytest.mark.parametrize(
    ("keywords", "ok"), [("hockey / baseball", True), ("hockey / baseball / cooking", False)]
)
def test_tree_coverage_checks_each_word_of_a_keyword_title(keywords: str, ok: bool) -> None:
    # The parent over six hockey and four baseball members, against its children's titles:
    # "cooking" is about none of them.
    tree = _tree(["NHL Playoffs", "Baseball Pitching"], [keywords])
    vectors = tree.levels[0].description_embedding
    _, supported_ = tree_coverage(tree, EMBED, vectors, scope="tree", topics=TOPICS)[2]
    assert supported_.tolist() == [ok]


@pytest.mark.parametrize(
    ("parts", "held"),
    [
        (["Sports"], [[True], [True]]),
        (["Hockey"], [[True], [False]]),
        (["Hockey", "Baseball"], [[True, False], [False, True]]),
        (["Space"], [[False], [False]]),
    ],
)
def test_a_topic_holds_the_members_of_its_own_subtree(
    parts: list[str], held: list[list[bool]]
) -> None:
    members = np.array([[1.0, 0.1, 0.0, 0.0], [0.1, 1.0, 0.0, 0.0]])  # hockey, baseball
    members /= np.linalg.norm(members, axis=1, keepdims=True)
    part_vectors = np.array([TOPIC_VECTORS[p] for p in parts])
    part_vectors /= np.linalg.norm(part_vectors, axis=1, keepdims=True)
    assert TOPICS.holds(part_vectors, members).tolist() == held


def test_a_member_s_nearest_topics_widen_what_a_narrow_title_holds() -> None:
    baseball_ish = np.array([[0.2, 1.0, 0.0, 0.0]])  # hockey is its second-nearest leaf
    baseball_ish /= np.linalg.norm(baseball_ish)
    hockey = np.array([[1.0, 0.0, 0.0, 0.0]])
    wide = replace(TOPICS, nearest=3)  # Baseball, Sports, Hockey
    assert not TOPICS.holds(hockey, baseball_ish)[0, 0]
    assert wide.holds(hockey, baseball_ish)[0, 0]


# A second toy: Sports > Baseball, Softball, in two dimensions (cosines by hand: a baseball
# title [1, 0] is 1.0 from Baseball, 0.71 from Sports and 0.6 from Softball).
NEAR_NODES = [
    {"label": "Sports", "path": ["Sports"]},
    {"label": "Baseball", "path": ["Sports", "Baseball"]},
    {"label": "Softball", "path": ["Sports", "Softball"]},
]
NEAR_VECTORS = {"Sports": [1.0, 1.0], "Baseball": [1.0, 0.0], "Softball": [0.6, 0.8]}


def _near_tree(nearest: int) -> TopicTree:
    return topic_tree(
        lambda labels: np.array([NEAR_VECTORS[x] for x in labels]), NEAR_NODES, nearest=nearest
    )


def test_a_title_s_nearest_topics_are_never_above_its_nearest() -> None:
    tree = _near_tree(2)
    baseball = np.array([[1.0, 0.0]])
    as_member, as_title = tree.near(baseball)[0], tree.near(baseball, above=False)[0]
    assert [tree.labels[i] for i in as_member] == ["Baseball", "Sports"]
    assert [tree.labels[i] for i in as_title] == ["Baseball", "Softball"]


@pytest.mark.parametrize(("nearest", "held"), [(1, False), (2, True)])
def test_a_title_s_near_miss_topic_still_holds(nearest: int, held: bool) -> None:
    title = np.array([[1.0, 0.0]])  # nearest Baseball, then (Sports left out) Softball
    member = np.array([[0.6, 0.8]])  # nearest Softball, then Sports
    assert _near_tree(nearest).holds(title, member)[0, 0] == held


def test_the_default_topic_taxonomy_is_the_iab_one() -> None:
    nodes = taxonomy_nodes()
    labels = {n["label"] for n in nodes}
    assert {"Sports", "Politics", "Automotive", "Technology & Computing"} <= labels
    paths = {tuple(n["path"]) for n in nodes}
    # Every node's path runs through nodes of the taxonomy, so "contains" is a true tree.
    assert all(tuple(p[:k]) in paths for p in paths for k in range(1, len(p)))
    # Subjects only: no brand-safety bucket ("Arms & Ammunition"), no media form ("Comedy").
    assert not {"Sensitive Topics", "Genres", "Arms & Ammunition", "Comedy"} & labels
    assert len(nodes) == 661


# ------------------------------------------------------------------------------ evidence
def _child(title: str, size: int) -> ChildSummary:
    return ChildSummary(0, title, "d", size)


@pytest.mark.parametrize(
    ("children", "joined"),
    [
        ([("Hockey", 50), ("Baseball", 40), ("Cars", 10)], "Hockey and Baseball"),
        (
            [("Hockey", 40), ("Baseball", 30), ("Cars", 20), ("Space", 10)],
            "Hockey, Baseball and Cars",
        ),
        ([("Hockey", 85), ("Baseball", 15)], "Hockey"),  # the largest alone holds 80%
        # A conjunction child lends its first subject; one under 10% lends none.
        ([("Sale Items, Jesus and more", 60), ("Space", 35), ("Cars", 5)], "Sale Items and Space"),
        ([("Short or empty texts (ok)", 50), ("Hockey", 30), ("Cars", 20)], "Hockey and Cars"),
        ([("Hockey", 50), ("hockey", 40), ("Cars", 10)], "Hockey"),  # named once
        # A keyword title lends no subject (its words name none), but its members count.
        ([("religion / schism / pope", 60), ("Jesus Prophecy", 40)], "Jesus Prophecy"),
        ([("space / 1993", 60), ("Jesus Prophecy", 40)], "Jesus Prophecy"),
    ],
)
def test_children_conjunction_by_hand(children: list[tuple[str, int]], joined: str) -> None:
    assert children_conjunction([_child(t, n) for t, n in children]) == joined


@pytest.mark.parametrize(
    ("titles", "shared"),
    [
        (["Baseball Predictions", "Baseball Analysis", "Baseball Statistics"], "Baseball"),
        (["Car Engines", "Vintage cars", "Car Reviews and more"], "Car"),
        (["Windows 3.1 Crash", "Windows 3.1 Setup"], "Windows"),  # numbers name no theme
        (["Hockey Coverage", "NHL Playoff Results"], ""),
    ],
)
def test_shared_subject_by_hand(titles: list[str], shared: str) -> None:
    assert shared_subject(titles) == shared


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("I agree with you.", 3),  # one letter is no word
        ("M5'@/)&*_B9 M4%9&(*@!", 0),  # an encoded line
        ("see http://x.org/a", 1),
        ("", 0),
    ],
)
def test_plain_words_by_hand(text: str, words: int) -> None:
    assert plain_words(text) == words


# a corpus whose posts have 40 plain words: a one-line reply (8 words) says little, a
# two-line one (12) names a subject; a corpus of 8-word posts is not all little content
@pytest.mark.parametrize(
    ("corpus_words", "member_words", "little"), [(40, 8, True), (40, 12, False), (8, 8, False)]
)
def test_a_one_line_reply_says_little(corpus_words: int, member_words: int, little: bool) -> None:
    corpus = Corpus("text", list(range(10)), texts=[" ".join(["word"] * corpus_words)] * 10)
    members = [" ".join(["reply"] * member_words)] * 3
    assert says_little(members, LevelRequest(1, [], corpus)) == little


def test_a_cluster_says_little_relative_to_its_corpus() -> None:
    long = "the shuttle crew checked every seal before the launch window opened again"
    corpus = Corpus("text", list(range(10)), texts=[long] * 10)
    request = LevelRequest(1, [], corpus)
    assert says_little(["ok", "thanks", "me too"], request)
    assert not says_little([long] * 3, request)


# ------------------------------------------------------------------------------ check, choose
def test_clean_drops_container_titles_and_keeps_the_description() -> None:
    answer = Summary(
        "x", "This group includes hockey games.", candidates=("Posts", '"Ice Hockey".')
    )
    assert clean(answer) == [("Ice Hockey", "Hockey games.")]


def test_a_title_holding_the_answer_s_syntax_is_rejected() -> None:
    # A small model ran its description into its list of titles: the third title holds the
    # key of the next field, and the second the bracket that closes the list.
    raw = (
        '{"titles":["President\'s Letter","Press and FBI Debates on Waco],",'
        "\"description':'The texts discuss the president's,\"],"
        '"description":"The texts discuss the president\'s letter and the press."}'
    )
    label = parse_labels(raw, [9])[9]
    answer = Summary(label.candidates[0], label.description, candidates=tuple(label.candidates))
    brief = ClusterBrief(9, 1, 10, np.arange(10), [])
    cands = [Candidate(t, d, MODEL) for t, d in clean(answer)]
    checked = {c.title: c.reason for c in check(brief, cands, frozenset())}
    assert checked == {
        "President's Letter": "",
        "Press and FBI Debates on Waco": "",
        "Description':'The texts discuss the president's": "not a name",
    }


# contact details copied from a member are no name; version numbers, models and years are
@pytest.mark.parametrize(
    ("title", "rejected"),
    [
        ("Western Digital 1-800-832-4778", True),
        ("Sales Desk (415) 555-0100", True),
        ("Orders at 415.555.0100", True),
        ("Mail jim@n5ial.mythical.com", True),
        ("FAQ at http://x.org/faq", True),
        ("www.example.com Sale", True),
        ("Windows 3.1 Drivers", False),
        ("486DX2-66 Upgrades", False),
        ("1993 Season and 1994 Draft", False),
        ("X11R5 Compilation", False),
        ("Boeing 747-400 Engines", False),
    ],
)
def test_contact_details_are_not_a_name(title: str, rejected: bool) -> None:
    assert (reject_reason(title, RuleContext()) == "not a name") == rejected


@pytest.mark.parametrize(
    ("title", "members", "rejected"),
    [
        ("Automotive and 汽车", "Posts on cars and engines.", True),  # Chinese among English
        ("Space Science, 芯片", "Orbits, launches and the Clipper chip.", True),
        ("Café Culture", "Coffee in a café.", False),  # accented Latin is Latin
        ("Математика", "Posts on Математика.", False),  # the members write Cyrillic too
        ("汽车论坛", "汽车 posts, in Chinese and English", False),
        ("Sports News", "体育新闻", False),  # the prompts' own script reads over any members'
        ("Новости", "体育新闻", True),
        ("π and e", "Constants such as π.", False),
        ("Automotive and 汽车", None, False),  # the members' texts are not known
    ],
)
def test_a_script_none_of_the_members_write_in_is_not_a_name(
    title: str, members: str | None, rejected: bool
) -> None:
    written = None if members is None else scripts(members)
    assert (reject_reason(title, RuleContext(written=written)) == "not a name") == rejected


def test_the_evidence_holds_the_scripts_the_members_write_in() -> None:
    texts = ["Hockey tonight", "Le café du coin", "Новости хоккея"]
    corpus = Corpus("text", list(range(3)), texts=texts)
    brief = ClusterBrief(0, 1, 3, np.arange(3), [0])
    request = LevelRequest(1, [brief], corpus)
    assert member_scripts(request, brief) == {"LATIN", "CYRILLIC"}


def test_check_names_the_first_rule_against_each_candidate() -> None:
    brief = ClusterBrief(1, 2, 10, np.arange(10), [], [_child("NHL Playoffs", 6)])
    cands = [Candidate(t, "", MODEL) for t in ("NHL Playoffs", "General Discussion", "Hockey")]
    reasons = [c.reason for c in check(brief, cands, frozenset())]
    assert reasons == ["copies a sub-group's title", "generic", ""]


@pytest.mark.parametrize(
    ("model", "evidence", "sampled", "winner"),
    [
        (0.9, 0.8, 64, 0),  # covers better: the model's title
        (0.8, 0.8, 64, 0),  # as well: the model's, which reads better
        (0.75, 0.8, 64, 0),  # within the noise, 2 * sqrt(0.8 * 0.2 / 64) = 0.1: as well
        (0.65, 0.8, 64, 1),  # worse: the evidence title stays
        (0.75, 0.8, 16, 0),  # 16 members: the noise is 0.2
        (0.65, 0.8, 16, 0),
        (0.55, 0.8, 64, 1),
        (0.75, 0.8, 0, 1),  # an exact score (numbers): no noise
        (0.0, 0.1, 64, 1),  # the noise at 0.1 is 0.075: a title covering nothing stays out
        (0.0, 0.07, 64, 1),  # 0.064 < 0.07: out
        (0.0, 0.05, 64, 0),  # 0.054 >= 0.05: under 1/17 of the members is within the noise
        (0.04, 0.1, 64, 0),
    ],
)
def test_a_model_title_wins_only_where_it_covers_as_well(
    model: float, evidence: float, sampled: int, winner: int
) -> None:
    cands = [
        Candidate("A b", "", MODEL, coverage=model, sampled=sampled),
        Candidate("c / d", "", KEYWORD_NOTE, coverage=evidence, sampled=sampled),
    ]
    assert choose([cands]) == [winner]


@pytest.mark.parametrize(
    ("scores", "model_order", "winner"),
    [
        # 64 members: the noise at 0.5 is 0.125, so 0.45 is as good as 0.5
        ((0.45, 0.5, 0.3), True, 0),  # the model's first title, within the noise of its best
        ((0.45, 0.5, 0.3), False, 1),  # without the model's order: the best score
        ((0.35, 0.5, 0.3), True, 1),  # 0.15 short of the best: beyond the noise
        ((0.3, 0.45, 0.5), True, 1),  # the first within the noise of the best is the second
        ((0.45, 0.5, 0.3, 0.9), True, 3),  # none within the noise of the evidence title's 0.9
    ],
)
def test_at_level_1_the_model_order_breaks_ties_within_the_noise(
    scores: tuple[float, ...], model_order: bool, winner: int
) -> None:
    cands = [Candidate(f"T{i}", "", MODEL, coverage=s, sampled=64) for i, s in enumerate(scores)]
    if len(scores) > 3:
        cands[3] = replace(cands[3], source=KEYWORD_NOTE)
    assert choose([cands], model_order) == [winner]


def test_the_model_order_never_lets_a_title_beat_the_evidence_beyond_the_noise() -> None:
    # The model's first title (0.4) is within the noise of its best (0.5), and 0.5 is within
    # the noise of the keyword title's 0.6 (0.122), but 0.4 is not (0.2 short): the best
    # model title wins, the first does not.
    cands = [
        Candidate("Narrow", "", MODEL, coverage=0.4, sampled=64),
        Candidate("Broad", "", MODEL, coverage=0.5, sampled=64),
        Candidate("a / b", "", KEYWORD_NOTE, coverage=0.6, sampled=64),
    ]
    assert choose([cands], model_order=True) == [1]


@pytest.mark.parametrize(
    ("score", "sampled", "expected"),
    [(0.5, 64, 0.125), (0.5, 16, 0.25), (0.0, 64, 0.0), (1.0, 64, 0.0), (0.5, 0, 0.0)],
)
def test_tolerance_is_two_standard_errors_of_the_share(
    score: float, sampled: int, expected: float
) -> None:
    assert tolerance(score, sampled) == pytest.approx(expected)


def test_an_unsupported_part_halves_the_score() -> None:
    cands = [
        Candidate("A and B", "", MODEL, coverage=0.9, supported=False),
        Candidate("A", "", KEYWORD_NOTE, coverage=0.6),
    ]
    assert choose([cands]) == [1]  # 0.45 against 0.6


def test_a_title_two_clusters_want_goes_to_the_one_it_covers_better() -> None:
    first = [
        Candidate("Space", "", MODEL, coverage=0.5),
        Candidate("Rockets", "", MODEL, coverage=0.4),
    ]
    second = [Candidate("Space", "", MODEL, coverage=0.9)]
    assert choose([first, second]) == [1, 0]


def test_fallback_takes_the_best_evidence_title() -> None:
    cands = [
        Candidate("Posts", "", MODEL, reason="names the container", coverage=0.9),
        Candidate("a / b", "", KEYWORD_NOTE, reason="already a title in the tree", coverage=0.5),
        Candidate(
            "A and B", "", CONJUNCTION_NOTE, reason="already a title in the tree", coverage=0.7
        ),
    ]
    assert choose([cands]) == [None]
    assert fallback(cands).title == "A and B"


def _parent_request(member_vectors: np.ndarray) -> LevelRequest:
    children = [
        ChildSummary(0, "NHL Playoffs", "d", 6, member_items=np.arange(6)),
        ChildSummary(1, "Baseball Pitching", "d", 4, member_items=np.arange(6, 10)),
    ]
    brief = ClusterBrief(5, 2, 10, np.arange(10), [], children)
    corpus = Corpus("text", list(range(10)), texts=["x"] * 10)
    return LevelRequest(
        2,
        [brief],
        corpus,
        embed=EMBED,
        member_vectors=member_vectors,
        rivals=(Rival("NHL Playoffs", 1, 5), Rival("Baseball Pitching", 1, 5)),
    )


def test_name_level_prefers_the_covering_conjunction_to_a_narrow_model_title() -> None:
    request = _parent_request(_two_subject_members())
    evidence = [
        Evidence(
            "block",
            1,
            [],
            (Summary("NHL and Baseball", "Sub-groups: ...", note=CONJUNCTION_NOTE),),
        )
    ]
    narrow = {0: Summary("Hockey", "Ice hockey games.", candidates=("Hockey", "Baseball"))}
    out = name_level(request, evidence, narrow)
    assert out[0].title == "NHL and Baseball"
    assert out[0].note == CONJUNCTION_NOTE
    broad = {0: Summary("x", "Hockey and baseball games.", candidates=("Hockey and Baseball",))}
    out = name_level(request, evidence, broad)
    assert (out[0].title, out[0].note) == ("Hockey and Baseball", "")
    assert out[0].description == "Hockey and baseball games."


@pytest.mark.parametrize(
    ("candidates", "title"),
    [
        (("Hockey", "Sports"), "Sports"),  # the field holds the baseball members too
        (("Hockey", "Hockey and Baseball"), "Hockey and Baseball"),
        (("Hockey", "Space"), "Hockey"),  # held 0.6 against none
    ],
)
def test_a_level_1_title_is_chosen_for_the_breadth_of_its_topic(
    candidates: tuple[str, ...], title: str
) -> None:
    # No rivals: every candidate is claimed by all ten members; only the topic tells them apart.
    brief = ClusterBrief(0, 1, 10, np.arange(10), [])
    corpus = Corpus("text", list(range(10)), texts=["x"] * 10)
    corpus.cached("topic_tree", lambda: TOPICS)
    request = LevelRequest(1, [brief], corpus, embed=EMBED, member_vectors=_two_subject_members())
    answer = {0: Summary(candidates[0], "Games.", candidates=candidates)}
    out = name_level(request, [Evidence("block", 1, [], ())], answer)
    assert out[0].title == title


def test_a_taxonomy_field_that_wins_keeps_the_model_description() -> None:
    def embed(texts: list[str]) -> np.ndarray:  # "sports" lies between hockey and baseball
        out = EMBED(texts)
        out[:, :2] += np.asarray([["sports" in normalize_title(t).split()] for t in texts])
        return out

    request = replace(_parent_request(_two_subject_members()), embed=embed)
    field = Summary("Sports", "10 items in the field of Sports.", note=FIELD_NOTE)
    evidence = [Evidence("block", 1, [], (field,))]
    answer = {0: Summary("x", "Hockey and baseball games.", candidates=("Hockey",))}
    out = name_level(request, evidence, answer)
    assert (out[0].title, out[0].note) == ("Sports", FIELD_NOTE)
    assert out[0].description == "Hockey and baseball games."
    # Without a model answer the field says what it is.
    out = name_level(request, evidence, {0: Summary("", "", failed=True, error="timeout")})
    assert out[0].description == "10 items in the field of Sports."


def test_a_failed_answer_keeps_its_error_and_gets_an_evidence_title() -> None:
    request = _parent_request(_two_subject_members())
    evidence = [Evidence("b", 1, [], (Summary("NHL and Baseball", "d", note=CONJUNCTION_NOTE),))]
    failed = {0: Summary("", "", failed=True, error="timeout")}
    out = name_level(request, evidence, failed)
    assert (out[0].title, out[0].failed, out[0].error) == ("NHL and Baseball", True, "timeout")


# ------------------------------------------------------------------------------ numbers
def _wine_request() -> tuple[LevelRequest, list[Evidence]]:
    from sklearn.datasets import load_wine

    from hercules.summarize.evidence import evidence_titles

    frame = load_wine(as_frame=True).frame.drop(columns="target")
    corpus = Corpus("numeric", list(range(len(frame))), numeric=frame)
    members = np.argsort(-frame["proline"].to_numpy())[:40]  # the high-proline wines
    brief = ClusterBrief(0, 1, len(members), members, members[:4].tolist())
    request = LevelRequest(1, [brief], corpus)
    titles = evidence_titles(request, brief, [])
    return request, [Evidence("b", 1, [], titles)]


@pytest.mark.parametrize("model_title", ["Statistics", "Wine Analysis", "Alcohol vs Overall Mean"])
def test_a_numeric_cluster_keeps_its_statistics_title_against_vague_model_titles(
    model_title: str,
) -> None:
    request, evidence = _wine_request()
    assert evidence[0].titles[0].note == STATISTICS_NOTE
    stats_title = evidence[0].titles[0].title
    assert "proline" in stats_title.lower()
    answer = {0: Summary(model_title, "Wines.", candidates=(model_title,))}
    out = name_level(request, evidence, answer)
    assert out[0].title == stats_title


def test_a_numeric_model_title_naming_the_same_statistics_may_win() -> None:
    request, evidence = _wine_request()
    features = [p.split(" ", 1)[1] for p in evidence[0].titles[0].title.lower().split(", ")]
    title = "Wines of high " + " and ".join(features)
    answer = {0: Summary(title, "Wines.", candidates=(title,))}
    assert name_level(request, evidence, answer)[0].title == title


def test_numeric_evidence_ignores_a_frame_without_names() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0, 10.0, 11.0]})
    corpus = Corpus("numeric", [0, 1, 2, 3], numeric=frame)
    from hercules.summarize.evidence import evidence_titles

    brief = ClusterBrief(0, 1, 2, np.array([2, 3]), [2, 3])
    titles = evidence_titles(LevelRequest(1, [brief], corpus), brief, [])
    assert titles[0].title == "High a"


def test_the_docs_table_lists_every_rule() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[1] / "docs" / "titles.md").read_text()
    rows = [line for line in docs.splitlines() if line.startswith("| ") and " | " in line]
    documented = {row.split(" | ")[0].lstrip("| ").strip() for row in rows}
    assert {rule.name for rule in RULES} <= documented
    assert len(rows) - 2 == len(RULES)  # header and rule line aside, one row per rule


@pytest.mark.parametrize(
    ("scope", "titles"),
    [
        ("tree", ["Other Branch", "NHL Playoffs", "Hockey Trades"]),
        ("children", ["Other Branch", "NHL Playoffs"]),
        ("outside", ["Other Branch"]),
    ],
)
def test_rivals_in_each_scope(scope: str, titles: list[str]) -> None:
    from hercules.summarize.pipeline import rivals_of

    brief = ClusterBrief(5, 3, 10, np.arange(10), [])
    rivals = (
        Rival("Other Branch", 2, 6),  # under another cluster of level 3
        Rival("NHL Playoffs", 2, 5),  # a child of cluster 5
        Rival("Hockey Trades", 1, 5),  # a grandchild
    )
    request = LevelRequest(3, [brief], Corpus("text", [0], texts=["x"]), rivals=rivals)
    assert rivals_of(request, brief, scope) == titles


def test_balance_of_a_parent_title_over_its_children() -> None:
    from hercules.summarize.pipeline import balance

    children = EMBED(["hockey", "baseball"])
    children /= np.linalg.norm(children, axis=1, keepdims=True)
    titles = ["Hockey and Baseball", "Hockey", "Baseball", "Cooking"]
    fits = balance([EMBED(title_parts(t)) for t in titles], children)
    # Both children fit "Hockey and Baseball" as well as any title fits any child; a title
    # naming one child, or neither, fits the worst child hardly at all.
    assert fits == pytest.approx([1.0, 0.01, 0.01, 0.01], abs=0.02)


def test_topic_fields_are_the_iab_taxonomy_names() -> None:
    from hercules.summarize.evidence import topic_fields

    fields = topic_fields()
    assert {"Sports", "Politics", "Religion & Spirituality", "Technology & Computing"} <= set(
        fields
    )
    # The 37 top fields but the two that do not name a subject: brand safety and media form.
    assert len(fields) == len(set(fields)) == 35
    assert not {"Sensitive Topics", "Genres"} & set(fields)


def test_a_parent_is_offered_the_taxonomy_fields_that_fit_all_its_children() -> None:
    from hercules.summarize.evidence import evidence_titles

    def embed(texts: list[str]) -> np.ndarray:  # "sports" lies between hockey and baseball
        out = np.full((len(texts), 4), 0.01, dtype=np.float32)
        for row, text in enumerate(texts):
            words = normalize_title(text).split()
            out[row, 0] += "hockey" in words or "sports" in words
            out[row, 1] += "baseball" in words or "sports" in words
        return out

    request = _parent_request(_two_subject_members())
    request = LevelRequest(
        2, request.clusters, request.corpus, embed=embed, member_vectors=_two_subject_members()
    )
    titles = evidence_titles(request, request.clusters[0], [])
    fields = [t.title for t in titles if t.note == FIELD_NOTE]
    assert len(fields) == 2
    assert fields[0] == "Sports"
    # A level-1 cluster, or one without an embedder, is offered none.
    bare = LevelRequest(2, request.clusters, request.corpus)
    assert not [t for t in evidence_titles(bare, bare.clusters[0], []) if t.note == FIELD_NOTE]


# ------------------------------------------------------------------------ the members' area
@pytest.mark.parametrize(
    ("area", "title", "note"),
    [
        # the area the model names covers both sub-groups: it wins, as the model's title
        ("Hockey and Baseball", "Hockey and Baseball", ""),
        # an area that covers neither loses to the covering conjunction
        ("Cooking", "NHL and Baseball", CONJUNCTION_NOTE),
    ],
)
def test_the_area_in_an_answer_is_a_candidate_that_must_cover(
    area: str, title: str, note: str
) -> None:
    request = _parent_request(_two_subject_members())
    evidence = [
        Evidence(
            "block", 1, [], (Summary("NHL and Baseball", "Sub-groups.", note=CONJUNCTION_NOTE),)
        )
    ]
    said = "Ice hockey and baseball games."
    narrow = {0: Summary("Hockey", said, candidates=("Hockey", area))}
    out = name_level(request, evidence, narrow)
    assert (out[0].title, out[0].note) == (title, note)
    assert area in out[0].candidates
    if note != CONJUNCTION_NOTE:  # the parent's own answer describes it
        assert out[0].description == said


@pytest.mark.parametrize(
    ("answer", "offered"),
    [
        # the area comes last, as it is asked
        (
            '{"area": "Sports", "titles": ["Hockey", "Baseball"], "description": "Games."}',
            ["Hockey", "Baseball", "Sports"],
        ),
        # an area the titles hold already is not offered twice
        (
            '{"area": "hockey", "titles": ["Hockey", "Baseball"], "description": "Games."}',
            ["Hockey", "Baseball"],
        ),
        # an answer without one (a numeric cluster, a server that ignores the schema)
        ('{"titles": ["Hockey"], "description": "Games."}', ["Hockey"]),
        # an area alone still names the cluster
        ('{"area": "Sports", "titles": [], "description": "Games."}', ["Sports"]),
    ],
)
def test_an_answer_s_area_is_offered_last_by_hand(answer: str, offered: list[str]) -> None:
    assert parse_labels(answer, [7])[7].candidates == offered


def test_the_area_is_asked_last_for_parents_of_texts_and_never_for_numbers() -> None:
    from hercules.summarize.llm import LLMSummarizer
    from tests.llm_fakes import ScriptedLLM

    def asked_area(req: LevelRequest) -> bool:
        llm = ScriptedLLM()
        LLMSummarizer(llm).summarize_level(req)
        assert len(llm.prompts) == 1  # one call: the area is part of the answer
        props = list(llm.schemas[0]["properties"])
        return props[-2:] == ["description", "area"] and '"area": "the broad' in llm.prompts[0]

    request = _parent_request(_two_subject_members())
    assert asked_area(request)
    texts = ["hockey puck goalie skate rink playoff"] * 6 + ["baseball pitcher inning bat"] * 4
    corpus = Corpus("text", list(range(10)), texts=texts)
    # A level-1 cluster (texts with content, so it is asked for titles) is asked no area.
    assert not asked_area(
        LevelRequest(1, [replace(request.clusters[0], level=1, children=[])], corpus)
    )
    numeric = Corpus(
        "numeric", list(range(10)), numeric=pd.DataFrame({"x": np.arange(10.0), "y": 1.0})
    )
    assert not asked_area(replace(request, corpus=numeric))


def test_an_area_that_names_no_topic_leaves_the_cluster_its_titles() -> None:
    from hercules.summarize.llm import LLMSummarizer
    from tests.llm_fakes import ScriptedLLM

    class ContainerArea(ScriptedLLM):
        def answer(self, prompt: str) -> str:
            data = json.loads(super().answer(prompt))
            for label in data["clusters"]:
                label["area"] = "Posts"
            return json.dumps(data)

    request = _parent_request(_two_subject_members())
    out = LLMSummarizer(ContainerArea(), retry=FAST_RETRY).summarize_level(request)
    assert not out[0].failed
    assert out[0].title
    assert "Posts" not in out[0].candidates
