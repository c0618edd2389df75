"""A fitted tree read out for people: one row per item, or an indented outline; and
:class:`Readouts`, the estimator methods that give them."""

from __future__ import annotations

import sys
from typing import TextIO

import numpy as np
import pandas as pd

from hercules.edits import EDITED_MARK
from hercules.errors import InputError
from hercules.tree import ClusterTree


def membership_frame(tree: ClusterTree) -> pd.DataFrame:
    """One row per item: its id and, per level, the cluster id and title that hold it, and
    whether a person set that title (``level_<l>_title_edited``)."""
    frame = pd.DataFrame({"item_index": np.arange(tree.n_items), "item_id": tree.levels[0].ids})
    frame["item_title"] = tree.levels[0].titles
    for lvl in range(1, tree.top_level + 1):
        data = tree.levels[lvl]
        labels = tree.labels(lvl)
        edited = data.title_edited if data.title_edited is not None else np.zeros(len(data), bool)
        frame[f"level_{lvl}_id"] = np.asarray(data.ids)[labels]
        frame[f"level_{lvl}_title"] = np.asarray(data.titles, dtype=object)[labels]
        frame[f"level_{lvl}_title_edited"] = edited[labels]
    return frame


def outline(tree: ClusterTree, *, max_level0: int = 0, indent: str = "  ") -> str:
    """The tree as text, top level first; ``max_level0`` items shown per level-1 cluster.
    A title set by hand is followed by :data:`~hercules.edits.EDITED_MARK`."""
    lines = []
    stack = [(node, 0) for node in reversed(tree.nodes(tree.top_level))]
    while stack:
        node, depth = stack.pop()
        mark = f" {EDITED_MARK}" if node.title_edited else ""
        lines.append(
            f"{indent * depth}L{node.level} #{node.id} ({node.num_items} items) {node.title}{mark}"
        )
        children = node.children
        if node.level == 1:
            children = children[:max_level0]
        stack.extend((c, depth + 1) for c in reversed(children))
    return "\n".join(lines)


class Readouts:
    """The read-outs of a fitted estimator's ``tree_``, and the check that it is fitted: a mixin
    of :class:`~hercules.Hercules`, as scikit-learn's estimators take ``ClusterMixin``."""

    def _check_fitted(self) -> ClusterTree:
        tree: ClusterTree | None = getattr(self, "tree_", None)
        if tree is None:
            raise InputError(
                f"This {type(self).__name__} instance is not fitted yet; call fit() or cluster() "
                "first."
            )
        return tree

    def get_cluster_membership_dataframe(self) -> pd.DataFrame:
        """One row per item: its id and, per level, the cluster id and title that hold it."""
        return membership_frame(self._check_fitted())

    def format_hierarchy(self, *, max_level0: int = 0, indent: str = "  ") -> str:
        """The tree as text, top level first; ``max_level0`` items shown per level-1 cluster."""
        return outline(self._check_fitted(), max_level0=max_level0, indent=indent)

    def print_hierarchy(self, *, max_level0: int = 0, file: TextIO | None = None) -> None:
        """Print :meth:`format_hierarchy` to ``file`` (default: standard output)."""
        print(self.format_hierarchy(max_level0=max_level0), file=file or sys.stdout)
