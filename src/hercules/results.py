"""A fitted tree read out for people: one row per item, or an indented outline."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hercules.tree import ClusterTree


def membership_frame(tree: ClusterTree) -> pd.DataFrame:
    """One row per item: its id and, per level, the cluster id and title that hold it."""
    frame = pd.DataFrame({"item_index": np.arange(tree.n_items), "item_id": tree.levels[0].ids})
    frame["item_title"] = tree.levels[0].titles
    for lvl in range(1, tree.top_level + 1):
        labels = tree.labels(lvl)
        frame[f"level_{lvl}_id"] = np.asarray(tree.levels[lvl].ids)[labels]
        frame[f"level_{lvl}_title"] = np.asarray(tree.levels[lvl].titles, dtype=object)[labels]
    return frame


def outline(tree: ClusterTree, *, max_level0: int = 0, indent: str = "  ") -> str:
    """The tree as text, top level first; ``max_level0`` items shown per level-1 cluster."""
    lines = []
    stack = [(node, 0) for node in reversed(tree.nodes(tree.top_level))]
    while stack:
        node, depth = stack.pop()
        lines.append(
            f"{indent * depth}L{node.level} #{node.id} ({node.num_items} items) {node.title}"
        )
        children = node.children
        if node.level == 1:
            children = children[:max_level0]
        stack.extend((c, depth + 1) for c in reversed(children))
    return "\n".join(lines)
