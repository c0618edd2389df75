"""Automatic k (hercules.engine.auto_k): the search range by hand, and what it picks."""

from __future__ import annotations

import numpy as np
import pytest

from hercules import Hercules
from hercules.engine.auto_k import (
    MIN_NODES,
    below_floor_ks,
    candidate_ks,
    choose_k,
    min_k,
)
from hercules.engine.sklearn_engine import SklearnKMeans


@pytest.mark.parametrize(("n", "expected"), [(24, 3), (100, 5), (300, 9), (3000, 27), (18_846, 69)])
def test_min_k_is_half_sqrt_n(n, expected):
    assert min_k(n) == expected


def test_candidate_ks_by_hand():
    # n = 300: from round(sqrt(300)/2) = 9 to round(2*sqrt(300)) = 35 in 8 geometric steps,
    # ratio (35/9)^(1/7) = 1.214: 9, 10.9, 13.3, 16.1, 19.6, 23.7, 28.8, 35.
    assert candidate_ks(300) == [9, 11, 13, 16, 20, 24, 29, 35]
    # n = 10: 2*sqrt(10) = 6.3 but at most n // 2 = 5, so each level at least halves.
    assert candidate_ks(10) == [3, 4, 5]
    assert candidate_ks(300, k_min=2)[0] == 2  # the paper's range
    assert candidate_ks(300, k_max=6) == [6]  # a cap below the floor wins
    assert candidate_ks(3) == []


def test_below_floor_ks_by_hand():
    assert below_floor_ks(9) == [2, 3, 5, 8]  # geomspace(2, 8, 4) = 2, 3.17, 5.04, 8
    assert below_floor_ks(3) == [2]
    assert below_floor_ks(2) == []


def blobs(centres: int, per: int = 40, spread: float = 0.3) -> np.ndarray:
    rng = np.random.default_rng(0)
    points = rng.normal(scale=10.0, size=(centres, 5))
    return np.vstack([rng.normal(c, spread, size=(per, 5)) for c in points])


def test_strong_structure_below_the_floor_still_wins():
    X = blobs(3)  # 120 points, floor 5: only the strong-structure check can give 3
    assert min_k(len(X)) == 5
    assert choose_k(X, SklearnKMeans(), seed=0) == 3


def test_weak_structure_gives_at_least_the_floor():
    # 300 points with no clusters: the paper's range would take any k from 2 on.
    X = np.random.default_rng(1).normal(size=(300, 16))
    k = choose_k(X, SklearnKMeans(), seed=0)
    assert min_k(300) <= k <= 35


def test_two_strong_groups_still_give_two():
    X = blobs(2, per=20)  # 40 points, floor 3
    assert choose_k(X, SklearnKMeans(), seed=0) == 2


def test_few_nodes_make_the_top_level():
    X = blobs(2, per=3)  # 6 points: fewer than MIN_NODES
    assert len(X) < MIN_NODES
    assert choose_k(X, SklearnKMeans(), seed=0) == 1


def test_k_max_caps_the_choice():
    X = np.random.default_rng(2).normal(size=(300, 8))
    assert choose_k(X, SklearnKMeans(), seed=0, k_max=6) <= 6


def test_automatic_tree_on_twenty_topics_has_levels_to_read():
    """20 loose topics of 15 items each (like a 300-post sample): more than one level of 2."""
    X = blobs(20, per=15, spread=6.0)
    model = Hercules(None, labeller="keywords", embed_descriptions=False).fit(X)
    sizes = [len(level) for level in model.tree_.levels[1:]]
    assert sizes[0] >= min_k(300)
    assert len(sizes) >= 2
    assert sizes[-1] < MIN_NODES <= sizes[-2]  # stopped once a level had few clusters
