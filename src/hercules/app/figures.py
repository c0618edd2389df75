"""Plotly figures of a run: scatter, treemap, sunburst and per-level size bars.

Only plotly is imported here, so the static report can reuse these without Dash.
Titles are untrusted (LLM or user data): plotly renders a subset of HTML in labels and hover
text, so every label passes through :func:`plain`, which escapes it to literal text.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import plotly.graph_objects as go

from hercules.app.runview import RunView, level_frame, truncate

SIZE_MODES = ("sqrt", "linear", "log")
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf",
)  # fmt: skip
DIM_OPACITY = 0.15
WEBGL_ABOVE = 5_000


def plain(text: Any, limit: int = 120) -> str:
    """Untrusted text made safe for plotly labels: shortened and HTML-escaped."""
    return html.escape(truncate(str(text), limit), quote=True)


def colour(group: int) -> str:
    return PALETTE[int(group) % len(PALETTE)]


def marker_sizes(sizes: np.ndarray, mode: str, *, low: float = 8.0, high: float = 42.0) -> list:
    """Item counts to marker diameters in [low, high], proportional after ``mode`` scaling."""
    if mode not in SIZE_MODES:
        raise ValueError(f"size mode must be one of {SIZE_MODES}, got {mode!r}")
    values = np.asarray(sizes, dtype=float)
    if mode == "sqrt":
        values = np.sqrt(values)
    elif mode == "log":
        values = np.log1p(values)
    top = values.max() if len(values) else 0.0
    if top <= 0:
        return [float(low)] * len(values)
    # Proportional to the largest node (not min-max), so near-equal sizes look near-equal.
    return [float(v) for v in np.clip(values / top * high, low, high)]


def display_level(view: RunView, level: int, l0_threshold: int) -> int:
    """Level 0 is drawn only when it has at most ``l0_threshold`` items; else level 1."""
    if level == 0 and view.tree.n_items > l0_threshold:
        return 1
    return max(0, min(level, view.top_level))


def scatter_figure(
    view: RunView,
    level: int,
    *,
    selected: str | None = None,
    size_mode: str = "sqrt",
    reduction: str = "representation_pca",
) -> go.Figure:
    """Points are the nodes of ``level``; the selection's lineage stays bright, the rest dims."""
    if reduction not in view.tree.levels[level].reductions:
        reduction = "representation_pca"  # e.g. no description embeddings in this run
    frame = level_frame(view, level, reduction)
    mask = view.lineage_mask(selected, level)
    opacity = [0.85] * len(frame) if mask is None else np.where(mask, 1.0, DIM_OPACITY).tolist()
    line_width = [0.5] * len(frame) if mask is None else np.where(mask, 2.5, 0.5).tolist()
    hover = [
        f"L{level} #{plain(i, 40)}<br>{plain(t)}<br>{s} item{'s' if s != 1 else ''}"
        for i, t, s in zip(frame["id"], frame["title"], frame["size"], strict=True)
    ]
    trace_type = go.Scattergl if len(frame) > WEBGL_ABOVE else go.Scatter
    fig = go.Figure(
        trace_type(
            x=frame["x"],
            y=frame["y"],
            mode="markers",
            name=f"level {level}",
            customdata=frame["key"],
            hovertext=hover,
            hoverinfo="text",
            marker={
                "size": marker_sizes(frame["size"].to_numpy(), size_mode),
                "color": [colour(g) for g in frame["group"]],
                "opacity": opacity,
                "line": {"width": line_width, "color": "#222"},
            },
        )
    )
    if selected and view.has(selected):
        _add_path_trace(fig, view, selected, reduction)
    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        title={
            "text": f"Level {level}: {len(frame)} nodes (2-D PCA of the {reduction.split('_')[0]}"
            " vectors)",
            "font": {"size": 14},
        },
        showlegend=False,
        clickmode="event",
        dragmode="pan",
        xaxis={"showticklabels": False, "zeroline": False, "title": None},
        yaxis={"showticklabels": False, "zeroline": False, "title": None},
        plot_bgcolor="#fafafa",
        uirevision=f"{view.source}:{level}:{reduction}",
    )
    return fig


def _add_path_trace(fig: go.Figure, view: RunView, key: str, reduction: str) -> None:
    """The selected node and its ancestors, drawn as a path of diamonds across levels."""
    node = view.node(key)
    chain = [node, *view.ancestors(node)]
    xs, ys, text = [], [], []
    for n in chain:
        xy = n.reductions.get(reduction, n.reductions.get("representation_pca"))
        if xy is None:
            continue
        xs.append(float(xy[0]))
        ys.append(float(xy[1]) if len(xy) > 1 else 0.0)
        text.append(f"L{n.level} #{plain(n.id, 40)}<br>{plain(n.title)}")
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines+markers",
            name="selected path",
            hovertext=text,
            hoverinfo="text",
            marker={"symbol": "diamond", "size": 12, "color": "#111", "line": {"width": 0}},
            line={"color": "#111", "width": 1, "dash": "dot"},
        )
    )


def hierarchy_frame(view: RunView, *, include_items: bool = False) -> dict[str, list[Any]]:
    """Columns for treemap/sunburst: ids, parents, labels, values, colours (top-level group)."""
    tree = view.tree
    lowest = 0 if include_items else 1
    ids: list[str] = []
    parents: list[str] = []
    labels: list[str] = []
    values: list[int] = []
    groups: list[int] = []
    hover: list[str] = []
    for lvl in range(view.top_level, lowest - 1, -1):
        data = tree.levels[lvl]
        top = view.ancestor_index(lvl, view.top_level)
        for i in range(len(data)):
            ids.append(f"L{lvl}:{i}")
            parent = data.parent
            parents.append(
                "" if lvl == view.top_level or parent is None else f"L{lvl + 1}:{parent[i]}"
            )
            labels.append(plain(data.titles[i], 60))
            values.append(int(data.num_items[i]))
            groups.append(int(top[i]))
            hover.append(f"L{lvl} #{plain(data.ids[i], 40)}<br>{plain(data.titles[i])}")
    return {
        "ids": ids,
        "parents": parents,
        "labels": labels,
        "values": values,
        "groups": groups,
        "hover": hover,
    }


def _hierarchy_colours(view: RunView, cols: dict[str, list[Any]], selected: str | None) -> list:
    keep: set[str] | None = None
    if selected and view.has(selected):
        keep = set()
        for lvl in range(view.top_level + 1):
            mask = view.lineage_mask(selected, lvl)
            assert mask is not None
            keep.update(f"L{lvl}:{i}" for i in np.flatnonzero(mask))
    out = []
    for key, group in zip(cols["ids"], cols["groups"], strict=True):
        base = colour(group)
        out.append(base if keep is None or key in keep else _fade(base))
    return out


def _fade(hex_colour: str, keep: float = 0.22) -> str:
    """The colour mixed with white, opaque: nested treemap tiles must not show through."""
    r, g, b = (round(255 - (255 - int(hex_colour[i : i + 2], 16)) * keep) for i in (1, 3, 5))
    return f"rgb({r},{g},{b})"


def treemap_figure(
    view: RunView, *, selected: str | None = None, kind: str = "treemap"
) -> go.Figure:
    """Treemap (or sunburst) of levels >= 1; size = items, colour = top-level group."""
    cols = hierarchy_frame(view)
    trace_cls = go.Treemap if kind == "treemap" else go.Sunburst
    fig = go.Figure(
        trace_cls(
            ids=cols["ids"],
            parents=cols["parents"],
            labels=cols["labels"],
            values=cols["values"],
            branchvalues="total",
            customdata=cols["ids"],
            hovertext=cols["hover"],
            hoverinfo="text",
            marker={"colors": _hierarchy_colours(view, cols, selected)},
            maxdepth=3 if kind == "sunburst" else -1,
        )
    )
    fig.update_layout(margin={"l": 5, "r": 5, "t": 5, "b": 5}, uirevision=view.source)
    return fig


def size_bar_figure(view: RunView, level: int, *, selected: str | None = None) -> go.Figure:
    """Cluster sizes of one level, largest first; the selection's lineage is outlined."""
    frame = level_frame(view, level).sort_values("size", ascending=False, kind="stable")
    mask = view.lineage_mask(selected, level)
    colours = [colour(g) for g in frame["group"]]
    if mask is not None:
        picked = mask[frame.index.to_numpy()]
        colours = [c if p else _fade(c) for c, p in zip(colours, picked, strict=True)]
    fig = go.Figure(
        go.Bar(
            x=[f"#{plain(i, 20)}" for i in frame["id"]],
            y=frame["size"],
            customdata=frame["key"],
            hovertext=[
                f"{plain(t)}<br>{s} items"
                for t, s in zip(frame["title"], frame["size"], strict=True)
            ],
            hoverinfo="text",
            marker={"color": colours},
        )
    )
    fig.update_layout(
        margin={"l": 40, "r": 10, "t": 30, "b": 40},
        title={"text": f"Cluster sizes at level {level}", "font": {"size": 14}},
        xaxis={"type": "category", "title": "cluster id"},
        yaxis={"title": "items"},
    )
    return fig
