"""What a summarizer is given and what it returns.

A summarizer sees one level at a time, so it can batch, contrast siblings, or compute
corpus-wide statistics (c-TF-IDF) as it likes. It must return one :class:`Summary` per brief,
in order, and must not raise for a single bad cluster: it marks that summary ``failed``.
A summarizer that answers cluster by cluster may call ``request.progress(done, total)`` as
answers arrive (an exception raised there, e.g. a cancelled job, must propagate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from hercules.data.dataset import Corpus


@dataclass(frozen=True)
class ChildSummary:
    cluster_id: object
    title: str
    description: str
    num_items: int
    example_item: int | None = None  # the level-0 item closest to this child's centroid
    member_items: np.ndarray | None = None  # level-0 indices of the child's members


@dataclass(frozen=True)
class ClusterBrief:
    """Everything known about one new cluster when it is summarized."""

    cluster_id: int
    level: int
    num_items: int
    member_items: np.ndarray  # level-0 indices of every member
    representative_items: list[int]  # level-0 indices closest to the centroid, best first
    children: list[ChildSummary] = field(default_factory=list)
    # Index of the cluster's parent at the next level when that level is already built
    # (direct mode builds the whole hierarchy before naming it); None otherwise.
    parent: int | None = None


@dataclass(frozen=True)
class Rival:
    """A title of the tree below the level being named: its level and the id of the cluster
    of the level being named that holds its node (None when no cluster of the request does)."""

    title: str
    level: int
    owner: object = None


@dataclass(frozen=True)
class LevelRequest:
    """One level to summarize.

    ``embed`` (the run's text embedder) and ``member_vectors`` (level-0 items in its space)
    let a summarizer check candidate titles against the members; ``taken_titles`` holds the
    normalised titles already in the tree below, which a new title should not repeat, and
    ``rivals`` the same titles as written, each with the cluster of this level that holds it.
    """

    level: int
    clusters: list[ClusterBrief]
    corpus: Corpus
    topic_seed: str | None = None
    embed: Callable[[list[str]], np.ndarray] | None = None
    member_vectors: np.ndarray | None = None
    taken_titles: frozenset[str] = frozenset()
    # The titles of the tree's levels below this one: labels a member could get instead of its
    # cluster's title, against which a candidate's coverage is measured.
    rivals: tuple[Rival, ...] = ()
    progress: Callable[[int, int], None] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Summary:
    title: str
    description: str
    failed: bool = False
    error: str | None = None
    # The titles weighed for the cluster: as a model's answer, the titles it offered; as the
    # namer's result, every title that passed its rules, best first by its choice (empty for
    # keyword titles). And why the title is what it is ("single child", "no candidate passed").
    candidates: tuple[str, ...] = ()
    note: str = ""


@runtime_checkable
class Summarizer(Protocol):
    """One required method: one :class:`Summary` per cluster of the level, in order."""

    def summarize_level(self, request: LevelRequest) -> list[Summary]: ...
