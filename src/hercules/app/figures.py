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

from hercules.app.runview import EDITED_MARK, RunView, level_frame, truncate
from hercules.colours import PALETTE, colour, fade, node_colours

__all__ = ["PALETTE", "colour"]  # the one colour rule (hercules.colours), re-exported

SIZE_MODES = ("sqrt", "linear", "log")
DIM_OPACITY = 0.15
WEBGL_ABOVE = 5_000
# Axis window: Tukey's far-out fences (quartiles -/+ FENCE * IQR). Nodes beyond them are drawn
# on the window's edge as triangles pointing their way, so one far cluster (e.g. the empty
# texts) cannot squeeze all the others into a corner.
FENCE = 3.0
PAD = 0.06
OUTSIDE_SYMBOLS = {
    (-1, 0): "triangle-left",
    (1, 0): "triangle-right",
    (0, -1): "triangle-down",
    (0, 1): "triangle-up",
}


def plain(text: Any, limit: int = 120) -> str:
    """Untrusted text made safe for plotly labels: shortened and HTML-escaped."""
    return html.escape(truncate(str(text), limit), quote=True)


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


def axis_window(values: np.ndarray) -> tuple[float, float] | None:
    """The axis range showing every value inside the far-out fences, padded; None: all fit."""
    v = np.asarray(values, dtype=float)
    if len(v) < 4:
        return None
    q1, q3 = np.percentile(v, [25, 75])
    spread = q3 - q1
    low, high = q1 - FENCE * spread, q3 + FENCE * spread
    if spread <= 0 or (v.min() >= low and v.max() <= high):
        return None
    inside = v[(v >= low) & (v <= high)]
    lo, hi = float(inside.min()), float(inside.max())
    pad = (hi - lo) * PAD or 1.0
    return lo - pad, hi + pad


def fit_to_window(
    x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str], dict[str, Any], dict[str, Any]]:
    """Coordinates clamped into the robust window, a marker symbol per point, axis settings."""
    xs, ys = np.asarray(x, dtype=float).copy(), np.asarray(y, dtype=float).copy()
    symbols = ["circle"] * len(xs)
    axes: list[dict[str, Any]] = []
    for axis, values in enumerate((xs, ys)):
        window = axis_window(values)
        if window is None:
            axes.append({})
            continue
        lo, hi = window
        edge_lo, edge_hi = lo + (hi - lo) * PAD / 3, hi - (hi - lo) * PAD / 3
        for i in np.flatnonzero(values < lo):
            values[i] = edge_lo
            symbols[i] = OUTSIDE_SYMBOLS[(-1, 0) if axis == 0 else (0, -1)]
        for i in np.flatnonzero(values > hi):
            values[i] = edge_hi
            symbols[i] = OUTSIDE_SYMBOLS[(1, 0) if axis == 0 else (0, 1)]
        axes.append({"range": [lo, hi], "autorange": False})
    return xs, ys, symbols, axes[0], axes[1]


def _mark(edited: bool) -> str:
    """The edited mark after a title set by hand (plain text; no markup)."""
    return f" {EDITED_MARK}" if edited else ""


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
    x, y, symbols, xaxis, yaxis = fit_to_window(frame["x"].to_numpy(), frame["y"].to_numpy())
    hover = [
        f"L{level} #{plain(i, 40)}<br>{plain(t)}{_mark(e)}<br>{s} item{'s' if s != 1 else ''}"
        + ("" if m == "circle" else "<br>(far off: drawn at the edge)")
        for i, t, e, s, m in zip(
            frame["id"], frame["title"], frame["edited"], frame["size"], symbols, strict=True
        )
    ]
    trace_type = go.Scattergl if len(frame) > WEBGL_ABOVE else go.Scatter
    fig = go.Figure(
        trace_type(
            x=x,
            y=y,
            mode="markers",
            name=f"level {level}",
            customdata=frame["key"],
            hovertext=hover,
            hoverinfo="text",
            marker={
                "size": marker_sizes(frame["size"].to_numpy(), size_mode),
                "symbol": symbols,
                "color": _level_colours(view, level),
                "opacity": opacity,
                "line": {"width": line_width, "color": "#222"},
            },
        )
    )
    if selected and view.has(selected):
        _add_path_trace(fig, view, selected, reduction, xaxis, yaxis)
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
        xaxis={"showticklabels": False, "zeroline": False, "title": None, **xaxis},
        yaxis={"showticklabels": False, "zeroline": False, "title": None, **yaxis},
        plot_bgcolor="#fafafa",
        uirevision=f"{view.source}:{level}:{reduction}",
    )
    return fig


def _level_colours(view: RunView, level: int) -> list[str]:
    """Each node's colour in the map's scheme (hercules.colours): its top-level hue, shaded."""
    return node_colours(view.tree)[level]


def _add_path_trace(
    fig: go.Figure,
    view: RunView,
    key: str,
    reduction: str,
    xaxis: dict[str, Any],
    yaxis: dict[str, Any],
) -> None:
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
    # Kept inside the scatter's window, like the nodes themselves.
    xs = _clip(xs, xaxis)
    ys = _clip(ys, yaxis)
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


def _clip(values: list[float], axis: dict[str, Any]) -> list[float]:
    if "range" not in axis:
        return values
    lo, hi = axis["range"]
    return [min(max(v, lo), hi) for v in values]


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
            mark = _mark(data.title_edited is not None and bool(data.title_edited[i]))
            labels.append(plain(data.titles[i], 60) + mark)
            values.append(int(data.num_items[i]))
            groups.append(int(top[i]))
            hover.append(f"L{lvl} #{plain(data.ids[i], 40)}<br>{plain(data.titles[i])}{mark}")
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
    colours = node_colours(view.tree)
    out = []
    for key in cols["ids"]:
        lvl, idx = (int(p) for p in key[1:].split(":"))
        base = colours[lvl][idx]
        out.append(base if keep is None or key in keep else fade(base))
    return out


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
    shades = _level_colours(view, level)
    colours = [shades[i] for i in frame.index]
    if mask is not None:
        picked = mask[frame.index.to_numpy()]
        colours = [c if p else fade(c) for c, p in zip(colours, picked, strict=True)]
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
