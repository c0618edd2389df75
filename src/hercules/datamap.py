"""Data maps of a run: every item a point on its 2-D layout, the cluster titles of every level
as label layers that change with zoom, and the hierarchy as a treemap or sunburst.

:func:`map_figure` and :func:`hierarchy_figure` return plotly figures (a notebook displays
them; ``model.plot_map()`` / ``model.plot_tree()``); :mod:`hercules.map_page` writes the map as
one self-contained HTML page. :data:`ZOOM_JS` switches the label layer as the reader zooms (top
level at the initial zoom, one level finer per doubling of the zoom), in that page and in the
explorer.

Titles and item texts are untrusted (LLM output, user data). Plotly renders a subset of HTML in
text and hover labels, so every string that plotly draws is HTML-escaped here.

Colours come from :mod:`hercules.colours`. plotly is imported when a figure is made, with the
install hint of the ``map`` extra.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hercules.colours import fade, node_colours
from hercules.data.dataset import Corpus
from hercules.edits import EDITED_SYMBOL
from hercules.errors import ParameterError, require
from hercules.map_layout import LayoutProgress, MapLayout, cluster_positions, compute_layout
from hercules.store.model import save_layout
from hercules.tree import ClusterTree, Level

if TYPE_CHECKING:
    import plotly.graph_objects as go

logger = logging.getLogger(__name__)

MAP_EXTRA = "hercules-cluster[map]"
# Above this many items the map shows a seeded random sample of them, and says so on the map.
MAX_POINTS = 200_000
LABEL_CHARS = 48
ITEMS_TRACE = 0  # the points; trace 1 rings a found item

# One label layer visible at a time: the top level at the initial zoom, one level finer per
# doubling of the zoom. Used by the HTML map, the report and the explorer's map tab.
ZOOM_JS = """
function hercLabelZoom(gd) {
  if (gd.__hercZoom) { return; }
  gd.__hercZoom = true;
  let full = null;
  function levelOf(a) {
    const m = /^L(\\d+):/.exec(String(a.name || ''));
    return m ? parseInt(m[1], 10) : null;
  }
  function apply() {
    const anns = (gd.layout && gd.layout.annotations) || [];
    const levels = [];
    anns.forEach(function (a) {
      const l = levelOf(a);
      if (l !== null && levels.indexOf(l) < 0) { levels.push(l); }
    });
    if (!levels.length || !gd._fullLayout || !gd._fullLayout.xaxis) { return; }
    levels.sort(function (a, b) { return b - a; });
    const xr = gd._fullLayout.xaxis.range;
    const span = Math.abs(xr[1] - xr[0]);
    if (full === null || gd._fullLayout.xaxis.autorange) { full = span; }
    const zoom = full / Math.max(span, 1e-12);
    const step = Math.max(0, Math.min(levels.length - 1, Math.floor(Math.log2(zoom) + 1e-6)));
    const update = {};
    let changed = false;
    anns.forEach(function (a, i) {
      const l = levelOf(a);
      if (l === null) { return; }
      const want = l === levels[step];
      if ((a.visible !== false) !== want) {
        update['annotations[' + i + '].visible'] = want;
        changed = true;
      }
    });
    gd.dataset.labelLevel = String(levels[step]);
    if (changed) { Plotly.relayout(gd, update); }
  }
  gd.on('plotly_relayout', apply);
  gd.on('plotly_afterplot', function () { if (full === null) { apply(); } });
  apply();
}
"""


@dataclass
class MapData:
    """What a map draws: the shown items (all, or a sample) and a label layer per level."""

    shown: np.ndarray  # level-0 indices of the drawn items
    xy: np.ndarray  # (len(shown), 2)
    colours: list[str]  # per shown item
    snippets: list[str]  # raw (unescaped) text per shown item
    level1: np.ndarray  # level-1 index of each shown item (zeros when the run has no level 1)
    labels: list[dict[str, Any]]  # per level >= 1, top first: titles, positions, sizes, ...
    n_items: int
    method: str

    @property
    def left_out(self) -> str | None:
        if len(self.shown) == self.n_items:
            return None
        return (
            f"Showing {len(self.shown):,} of {self.n_items:,} items (a seeded random sample); "
            "cluster titles, sizes and positions count every item."
        )


# ---------------------------------------------------------------------- layout of a model
def model_layout(
    model: Any, *, method: str = "auto", progress: LayoutProgress | None = None
) -> MapLayout:
    """``model.layout_``, computed now when missing (and added to the run it was loaded from:
    a run saved before maps existed gets one the first time it is drawn)."""
    tree: ClusterTree = model._check_fitted()
    layout: MapLayout | None = getattr(model, "layout_", None)
    if layout is not None and len(layout) == tree.n_items:
        return layout
    logger.info("Drawing the map layout of %d items (once per run).", tree.n_items)
    layout = compute_layout(
        tree.levels[0].representation,
        method=method,
        seed=int(getattr(model, "random_state", 0) or 0),
        progress=progress,
    )
    model.layout_ = layout
    try:
        if save_layout(model):
            logger.info("Saved the map layout with the run in %s.", model._run_source)
    except OSError as exc:  # a read-only run still draws; it is computed again next time
        logger.warning("Could not save the map layout with the run: %s", exc)
    return layout


# ---------------------------------------------------------------------- what a map shows
def map_data(
    tree: ClusterTree,
    corpus: Corpus,
    layout: MapLayout,
    *,
    max_points: int = MAX_POINTS,
    seed: int = 0,
) -> MapData:
    if max_points < 1:
        raise ParameterError(f"max_points must be >= 1 (items drawn on the map); got {max_points}.")
    n = tree.n_items
    if len(layout) != n:
        raise ValueError(f"the layout has {len(layout)} positions for {n} items; draw it again")
    if n > max_points:
        shown = np.sort(np.random.default_rng(seed).choice(n, max_points, replace=False))
    else:
        shown = np.arange(n)
    colours = node_colours(tree)
    level1 = tree.labels(1)[shown] if tree.top_level >= 1 else np.zeros(len(shown), np.int64)
    limit = 160 if len(shown) <= 50_000 else 80
    labels = []
    for lvl in range(tree.top_level, 0, -1):
        data = tree.levels[lvl]
        pos = cluster_positions(layout.xy, tree.labels(lvl), len(data))
        labels.append(
            {
                "level": lvl,
                "titles": [
                    str(t) + (f" {EDITED_SYMBOL}" if edited else "")
                    for t, edited in zip(data.titles, _edited(data), strict=True)
                ],
                "descriptions": [_short(d, 600) for d in data.descriptions],
                "sizes": [int(s) for s in data.num_items],
                "parent": None if data.parent is None else [int(p) for p in data.parent],
                "colours": colours[lvl],
                "x": pos[:, 0],
                "y": pos[:, 1],
            }
        )
    return MapData(
        shown=shown,
        xy=np.asarray(layout.xy)[shown],
        colours=[colours[0][i] for i in shown],
        snippets=item_snippets(corpus, shown, limit),
        level1=np.asarray(level1, dtype=np.int64),
        labels=labels,
        n_items=n,
        method=layout.method,
    )


def item_snippets(corpus: Corpus, rows: np.ndarray, limit: int) -> list[str]:
    """One short line per item: its text, its file name (and caption), or its values."""
    if corpus.numeric is not None and corpus.texts is None and corpus.image_paths is None:
        frame = corpus.numeric.iloc[rows]
        columns = [(f"{col}=" + frame[col].map(_value)).tolist() for col in frame.columns]
        return [_short(", ".join(parts), limit) for parts in zip(*columns, strict=True)]
    return [_short(corpus.item_text(int(i)), limit) for i in rows]


def _value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _short(text: Any, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _esc(text: Any, limit: int = LABEL_CHARS) -> str:
    """Text plotly may draw: shortened, then HTML-escaped."""
    return html.escape(_short(text, limit), quote=True)


# ---------------------------------------------------------------------- figures
def _plotly() -> Any:
    return require("plotly.graph_objects", "Data maps and tree figures", MAP_EXTRA)


def map_figure(
    tree: ClusterTree,
    corpus: Corpus,
    layout: MapLayout,
    *,
    selected: tuple[int, int] | None = None,
    max_points: int = MAX_POINTS,
    hover: bool = True,
    point_keys: bool = False,
    level_buttons: bool = True,
    data: MapData | None = None,
) -> go.Figure:
    """The data map: items coloured by cluster, one layer of title annotations per level,
    named ``"L<level>:<index>"``: the top level shown; the others switched by zoom
    (:data:`ZOOM_JS`) in the HTML page, the report and the explorer, or by the
    ``level_buttons`` in a notebook.

    ``selected=(level, index)`` keeps that cluster's items bright and dims the rest;
    ``hover=False`` leaves item hover to the page's own tooltip; ``point_keys`` gives each
    point its level-1 cluster key ``"L1:<index>"`` as customdata (the explorer's clicks).
    """
    go = _plotly()
    data = data if data is not None else map_data(tree, corpus, layout, max_points=max_points)
    n_shown = len(data.shown)
    size = 6 if n_shown <= 2_000 else 4 if n_shown <= 20_000 else 3 if n_shown <= 120_000 else 2
    points: dict[str, Any] = {
        "x": data.xy[:, 0],
        "y": data.xy[:, 1],
        "mode": "markers",
        "name": f"items ({n_shown:,})",
        "marker": {"size": size, "color": data.colours, "opacity": 0.75, "line": {"width": 0}},
        "showlegend": False,
    }
    if hover:
        points["hovertext"] = [_esc(s, 160) for s in data.snippets]
        points["hoverinfo"] = "text"
    else:
        points["hoverinfo"] = "none"
    if point_keys:
        points["customdata"] = [f"L1:{int(i)}" for i in data.level1]
    if selected is not None:
        members = _members_shown(tree, data, *selected)
        points["selectedpoints"] = members.tolist()
        points["selected"] = {"marker": {"opacity": 1.0}}
        points["unselected"] = {"marker": {"opacity": 0.08}}
    fig = go.Figure(go.Scattergl(**points))
    fig.add_trace(
        go.Scatter(
            x=[],
            y=[],
            mode="markers",
            name="found",
            marker={"size": 16, "color": "rgba(0,0,0,0)", "line": {"width": 3, "color": "#000"}},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    annotations: list[dict[str, Any]] = []
    buttons: list[tuple[str, int, int]] = []
    for j, layer in enumerate(data.labels):
        lvl = layer["level"]
        first = len(annotations)
        for i in np.flatnonzero(np.isfinite(layer["x"])):
            annotations.append(
                {
                    "x": float(layer["x"][i]),
                    "y": float(layer["y"][i]),
                    "text": _esc(layer["titles"][i]),
                    "name": f"L{lvl}:{i}",
                    "hovertext": f"L{lvl} · {layer['sizes'][i]:,} items<br>"
                    + _esc(layer["titles"][i], 160),
                    "showarrow": False,
                    "captureevents": True,
                    "font": {"size": max(11, 18 - 3 * j), "color": "#111"},
                    "bgcolor": "rgba(255,255,255,0.72)",
                    "bordercolor": layer["colours"][i],
                    "borderwidth": 1 if selected != (lvl, int(i)) else 3,
                    "borderpad": 2,
                    "visible": j == 0,
                }
            )
        buttons.append((f"level {lvl} titles", first, len(annotations)))
    n_ann = len(annotations)
    menu = [
        {
            "label": label,
            "method": "relayout",
            "args": [{f"annotations[{a}].visible": lo <= a < hi for a in range(n_ann)}],
        }
        for label, lo, hi in buttons
    ]
    note = data.left_out
    method = {"umap": "UMAP", "pca": "PCA"}.get(data.method, data.method)
    title = f"{data.n_items:,} items · {method} map · zoom in for finer titles"
    fig.update_layout(
        title={
            "text": _esc(title, 400) + (f"<br>{_esc(note, 400)}" if note else ""),
            "font": {"size": 13},
        },
        margin={"l": 10, "r": 10, "t": 60 if note else 40, "b": 10},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        plot_bgcolor="#ffffff",
        dragmode="pan",
        hovermode="closest",
        clickmode="event",
        annotations=annotations,
        updatemenus=(
            [
                {
                    "type": "buttons",
                    "direction": "right",
                    "x": 0,
                    "y": 0,
                    "xanchor": "left",
                    "yanchor": "bottom",
                    "buttons": menu,
                    "showactive": True,
                }
            ]
            if level_buttons and len(menu) > 1
            else []
        ),
    )
    if note:  # said on the map itself, not only in the title
        fig.add_annotation(
            text=_esc(note, 300),
            xref="paper",
            yref="paper",
            x=1,
            y=1,
            xanchor="right",
            yanchor="top",
            showarrow=False,
            font={"size": 11, "color": "#a33"},
            bgcolor="rgba(255,255,255,0.85)",
        )
    return fig


def _members_shown(tree: ClusterTree, data: MapData, level: int, index: int) -> np.ndarray:
    """Positions (in the shown points) of the items inside cluster ``(level, index)``."""
    if level == 0:
        return np.flatnonzero(data.shown == index)
    return np.flatnonzero(tree.labels(level)[data.shown] == index)


def hierarchy_figure(
    tree: ClusterTree, *, kind: str = "treemap", selected: tuple[int, int] | None = None
) -> go.Figure:
    """Treemap (or sunburst) of levels >= 1: size = items, colour = the map's colours; outside
    the selected cluster's lineage the colours fade."""
    if kind not in ("treemap", "sunburst"):
        raise ValueError(f"kind must be 'treemap' or 'sunburst', got {kind!r}")
    go = _plotly()
    cols = hierarchy_columns(tree)
    colours = node_colours(tree)
    keep = lineage_keys(tree, selected) if selected is not None else None
    marker = []
    for key in cols["ids"]:
        lvl, idx = (int(p) for p in key[1:].split(":"))
        base = colours[lvl][idx]
        marker.append(base if keep is None or key in keep else fade(base))
    trace = go.Treemap if kind == "treemap" else go.Sunburst
    fig = go.Figure(
        trace(
            ids=cols["ids"],
            parents=cols["parents"],
            labels=cols["labels"],
            values=cols["values"],
            branchvalues="total",
            customdata=cols["ids"],
            hovertext=cols["hover"],
            hoverinfo="text",
            marker={"colors": marker},
            maxdepth=3 if kind == "sunburst" else -1,
        )
    )
    fig.update_layout(margin={"l": 5, "r": 5, "t": 5, "b": 5})
    return fig


def hierarchy_columns(tree: ClusterTree) -> dict[str, list[Any]]:
    """Columns for treemap/sunburst: ids ``L<level>:<index>``, parents, escaped labels, sizes."""
    cols: dict[str, list[Any]] = {k: [] for k in ("ids", "parents", "labels", "values", "hover")}
    top = tree.top_level
    for lvl in range(top, 0, -1):
        data = tree.levels[lvl]
        for i in range(len(data)):
            cols["ids"].append(f"L{lvl}:{i}")
            parent = data.parent
            cols["parents"].append(
                "" if lvl == top or parent is None else f"L{lvl + 1}:{parent[i]}"
            )
            cols["labels"].append(_esc(data.titles[i], 60))
            cols["values"].append(int(data.num_items[i]))
            cols["hover"].append(f"L{lvl} #{_esc(data.ids[i], 40)}<br>{_esc(data.titles[i], 120)}")
    return cols


def lineage_keys(tree: ClusterTree, selected: tuple[int, int]) -> set[str]:
    """Keys of the selected node, its ancestors and its descendants (levels >= 1)."""
    level, index = selected
    keys = {f"L{level}:{index}"}
    up = index
    for lvl in range(level, tree.top_level):
        parent = tree.levels[lvl].parent
        assert parent is not None
        up = int(parent[up])
        keys.add(f"L{lvl + 1}:{up}")
    below = np.array([index])
    for lvl in range(level - 1, 0, -1):
        parent = tree.levels[lvl].parent
        assert parent is not None
        below = np.flatnonzero(np.isin(parent, below))
        keys.update(f"L{lvl}:{i}" for i in below)
    return keys


def _edited(data: Level) -> list[bool]:
    """Whether each node's title was set by hand."""
    if data.title_edited is None:
        return [False] * len(data)
    return [bool(e) for e in data.title_edited]
