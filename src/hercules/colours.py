"""The one colour rule of every figure: a hue per top-level cluster, shades of it below.

Each top-level cluster takes a colour of :data:`PALETTE`; its children take shades of it (lighter
to darker in sibling order), their children shades of those, down to level 1; a level-0 item
takes its level-1 cluster's colour. The map, the treemap, the sunburst, the tree figure and the
explorer's scatter all colour through :func:`node_colours`, so one cluster looks the same in all.
"""

from __future__ import annotations

import colorsys

import numpy as np

from hercules.tree import ClusterTree

PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf",
)  # fmt: skip
# Lightness range spread across siblings, halved at each level down so shades stay near their
# parent's hue and lightness.
SPREAD = 0.36
FADED = 0.22  # share of the colour kept when a node is outside the selection


def colour(group: int) -> str:
    """The palette colour of top-level cluster ``group`` (cycling past the palette's end)."""
    return PALETTE[int(group) % len(PALETTE)]


def shade(base: str, rank: int, count: int, spread: float = SPREAD) -> str:
    """Sibling ``rank`` of ``count``: ``base`` with its lightness moved within ``spread``."""
    if count <= 1:
        return base
    r, g, b = (int(base[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, light, sat = colorsys.rgb_to_hls(r, g, b)
    light = float(np.clip(light + spread * (rank / (count - 1) - 0.5), 0.18, 0.85))
    return _hex(colorsys.hls_to_rgb(hue, light, sat))


def fade(base: str, keep: float = FADED) -> str:
    """``base`` mixed with white, opaque (nested treemap tiles must not show through)."""
    r, g, b = (round(255 - (255 - int(base[i : i + 2], 16)) * keep) for i in (1, 3, 5))
    return f"rgb({r},{g},{b})"


def node_colours(tree: ClusterTree) -> list[list[str]]:
    """``out[level][index]``: the colour of every node, top level first assigned."""
    top = tree.top_level
    out: list[list[str]] = [[] for _ in tree.levels]
    out[top] = [colour(i) for i in range(len(tree.levels[top]))]
    for lvl in range(top - 1, 0, -1):
        parent = tree.levels[lvl].parent
        assert parent is not None
        colours = [""] * len(parent)
        depth_spread = SPREAD / 2 ** (top - 1 - lvl)
        for p in np.unique(parent):
            children = np.flatnonzero(parent == p)
            for rank, child in enumerate(children):
                colours[child] = shade(out[lvl + 1][p], rank, len(children), depth_spread)
        out[lvl] = colours
    if top >= 1:
        parent0 = tree.levels[0].parent
        assert parent0 is not None
        out[0] = [out[1][p] for p in parent0] if len(parent0) else []
    else:
        out[0] = [colour(0)] * len(tree.levels[0])
    return out


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(float(np.clip(c, 0, 1)) * 255):02x}" for c in rgb)
