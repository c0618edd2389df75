"""The fitted hierarchy: per-level arrays, and light :class:`Cluster` views over them.

Arrays (not one Python object per node) keep a million-item tree cheap to build, save and
load; :class:`Cluster` objects are created on demand and compare equal when they point at the
same node.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Level:
    """All nodes of one level. ``parent[i]`` is node i's index in the level above."""

    level: int
    ids: list[Any]
    representation: np.ndarray
    num_items: np.ndarray
    titles: list[str]
    descriptions: list[str]
    description_embedding: np.ndarray | None = None
    parent: np.ndarray | None = None
    summary_failed: np.ndarray | None = None
    # Set by predict(append=True): membership moved enough that the summary may be outdated.
    summary_stale: np.ndarray | None = None
    reductions: dict[str, np.ndarray] = field(default_factory=dict)
    # Title quality (hercules.title_quality): per-node faithfulness and notes such as
    # "single child" or "copied child title"; None until measured.
    faithfulness: np.ndarray | None = None
    title_notes: list[str] | None = None
    # The titles the namer weighed for each node, best first by its choice (rejected ones left
    # out); empty where nothing was weighed (keyword titles, a single child). None until named.
    title_candidates: list[tuple[str, ...]] | None = None
    # Coverage of each title over its members, and whether every part of it names at least
    # 10% of them (hercules.title_quality.tree_coverage); None until measured.
    coverage: np.ndarray | None = None
    title_supported: np.ndarray | None = None
    # Set by set_title (hercules.edits): a person wrote this title; relabel leaves it alone.
    title_edited: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)


class ClusterTree:
    """Levels 0..L; level 0 holds one node per input item."""

    def __init__(self, levels: list[Level], modality: str) -> None:
        self.levels = levels
        self.modality = modality
        self._labels: dict[int, np.ndarray] = {}

    @property
    def n_items(self) -> int:
        return len(self.levels[0])

    @property
    def top_level(self) -> int:
        return len(self.levels) - 1

    def labels(self, level: int) -> np.ndarray:
        """Index (within ``level``) of the cluster that holds each level-0 item."""
        self._check_level(level)
        if level not in self._labels:
            labels = np.arange(self.n_items)
            for lvl in range(level):
                parent = self.levels[lvl].parent
                assert parent is not None
                labels = parent[labels]
            self._labels[level] = labels
        return self._labels[level]

    def cluster_ids(self, level: int) -> np.ndarray:
        """Like :meth:`labels` but giving cluster ids rather than positions."""
        ids = np.asarray(self.levels[level].ids, dtype=object if level == 0 else np.int64)
        return ids[self.labels(level)]

    def members(self, level: int, index: int) -> np.ndarray:
        """Level-0 indices of the items in one cluster."""
        return np.flatnonzero(self.labels(level) == index)

    def children_indices(self, level: int, index: int) -> np.ndarray:
        if level == 0:
            return np.zeros(0, dtype=np.int64)
        parent = self.levels[level - 1].parent
        assert parent is not None
        return np.flatnonzero(parent == index)

    def node(self, level: int, index: int) -> Cluster:
        self._check_level(level)
        if not 0 <= index < len(self.levels[level]):
            raise IndexError(f"level {level} has {len(self.levels[level])} nodes, not {index + 1}")
        return Cluster(self, level, index)

    def nodes(self, level: int) -> list[Cluster]:
        return [Cluster(self, level, i) for i in range(len(self.levels[level]))]

    def walk(self) -> Iterator[Cluster]:
        """Depth-first from the top level, children by size (largest first)."""
        stack = list(reversed(self.nodes(self.top_level)))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def find(self, cluster_id: Any, level: int | None = None) -> Cluster:
        levels = range(len(self.levels)) if level is None else [level]
        for lvl in levels:
            if lvl == 0 and level is None:
                continue  # upper-level ids first; item ids may collide with them
            ids = self.levels[lvl].ids
            if cluster_id in ids:
                return Cluster(self, lvl, ids.index(cluster_id))
        if level is None and cluster_id in self.levels[0].ids:
            return Cluster(self, 0, self.levels[0].ids.index(cluster_id))
        raise KeyError(
            f"No cluster with id {cluster_id!r}" + (f" at level {level}" if level else "")
        )

    def _check_level(self, level: int) -> None:
        if not 0 <= level <= self.top_level:
            raise IndexError(f"level must be in 0..{self.top_level}, got {level}")


class Cluster:
    """One node of the hierarchy (an item at level 0, a cluster above)."""

    __slots__ = ("_tree", "index", "level")

    def __init__(self, tree: ClusterTree, level: int, index: int) -> None:
        self._tree = tree
        self.level = level
        self.index = index

    @property
    def _data(self) -> Level:
        return self._tree.levels[self.level]

    @property
    def id(self) -> Any:
        return self._data.ids[self.index]

    @property
    def title(self) -> str:
        return self._data.titles[self.index]

    @property
    def faithfulness(self) -> float | None:
        """Share of sampled members whose nearest label among the siblings is this one."""
        values = self._data.faithfulness
        if values is None or not np.isfinite(values[self.index]):
            return None
        return float(values[self.index])

    @property
    def coverage(self) -> float | None:
        """Share of sampled members that the title covers (hercules.title_quality)."""
        values = self._data.coverage
        if values is None or not np.isfinite(values[self.index]):
            return None
        return float(values[self.index])

    @property
    def title_note(self) -> str:
        """Why the title is what it is: "single child", "copied child title", ... or ""."""
        notes = self._data.title_notes
        return notes[self.index] if notes is not None else ""

    @property
    def title_candidates(self) -> tuple[str, ...]:
        """The titles the namer weighed for this cluster, best first by its choice (the title
        it gave among them unless that was taken by another node); () when none was weighed."""
        values = self._data.title_candidates
        return values[self.index] if values is not None else ()

    @property
    def description(self) -> str:
        return self._data.descriptions[self.index]

    @property
    def num_items(self) -> int:
        return int(self._data.num_items[self.index])

    @property
    def representation_vector(self) -> np.ndarray:
        return self._data.representation[self.index]

    @property
    def description_embedding(self) -> np.ndarray | None:
        emb = self._data.description_embedding
        return None if emb is None else emb[self.index]

    @property
    def reductions(self) -> dict[str, np.ndarray]:
        return {name: xy[self.index] for name, xy in self._data.reductions.items()}

    @property
    def summary_failed(self) -> bool:
        failed = self._data.summary_failed
        return bool(failed[self.index]) if failed is not None else False

    @property
    def summary_stale(self) -> bool:
        stale = self._data.summary_stale
        return bool(stale[self.index]) if stale is not None else False

    @property
    def title_edited(self) -> bool:
        """True when a person set this title (:meth:`hercules.Hercules.set_title`)."""
        edited = self._data.title_edited
        return bool(edited[self.index]) if edited is not None else False

    @property
    def parent(self) -> Cluster | None:
        parent = self._data.parent
        return (
            None if parent is None else Cluster(self._tree, self.level + 1, int(parent[self.index]))
        )

    @property
    def children(self) -> list[Cluster]:
        idx = self._tree.children_indices(self.level, self.index)
        return [Cluster(self._tree, self.level - 1, int(i)) for i in idx]

    @property
    def member_indices(self) -> np.ndarray:
        """Positions of this node's level-0 items in the input."""
        return self._tree.members(self.level, self.index)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Cluster)
            and other._tree is self._tree
            and (other.level, other.index) == (self.level, self.index)
        )

    def __hash__(self) -> int:
        return hash((id(self._tree), self.level, self.index))

    def __repr__(self) -> str:
        return (
            f"Cluster(level={self.level}, id={self.id!r}, num_items={self.num_items}, "
            f"title={self.title!r})"
        )
