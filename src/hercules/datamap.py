"""Data maps of a run: every item a point on its 2-D layout, the cluster titles of every level
as label layers that change with zoom, and the hierarchy as a treemap or sunburst.

:func:`map_figure` and :func:`hierarchy_figure` return plotly figures (a notebook displays
them; ``model.plot_map()`` / ``model.plot_tree()``); :func:`map_page` writes the map as one
self-contained HTML file (``hercules map``, ``model.map_html(path)``): plotly.js inlined, the
data as JSON in the page, a Content-Security-Policy that forbids any network request, a search
box, hover and click panels, and :data:`ZOOM_JS` switching the label layer as the reader zooms
(top level at the initial zoom, one level finer per doubling of the zoom).

Titles and item texts are untrusted (LLM output, user data). Plotly renders a subset of HTML in
text and hover labels, so every string that plotly draws is HTML-escaped here; the page's own
panels set ``textContent`` only, from JSON whose ``<``, ``>`` and ``&`` are ``\\u``-escaped so
no string can close its ``<script>`` element.

Colours come from :mod:`hercules.colours`. plotly is imported when a figure is made, with the
install hint of the ``map`` extra.
"""

from __future__ import annotations

import html
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
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
# Image runs of at most this many drawn items carry a small JPEG per item for the hover tooltip
# (about 2 kB each, inline as data: URIs); larger ones hover the file name and caption only.
MAX_THUMBNAILS = 3_000
THUMBNAIL_PX = 72
ITEMS_TRACE = 0  # the points; trace 1 rings a found item

# No network at all: everything the page needs is inline.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:"
)

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


def thumbnails(corpus: Corpus, rows: np.ndarray) -> list[str] | None:
    """``data:image/jpeg;base64,...`` previews of an image run's items (None: not an image
    run, too many items, or Pillow missing); an unreadable image gets ``""``."""
    import importlib.util

    paths = corpus.image_paths
    if paths is None or len(rows) > MAX_THUMBNAILS or importlib.util.find_spec("PIL") is None:
        return None
    import base64
    import io

    from PIL import Image, ImageOps

    out = []
    for i in rows:
        try:
            with Image.open(paths[int(i)]) as opened:
                opened.draft("RGB", (THUMBNAIL_PX, THUMBNAIL_PX))
                image = ImageOps.exif_transpose(opened).convert("RGB")
                image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
                buffer = io.BytesIO()
                image.save(buffer, format="JPEG", quality=70)
            out.append("data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode())
        except (OSError, ValueError) as exc:
            logger.info("No thumbnail for %s: %s", paths[int(i)], exc)
            out.append("")
    return out


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


# ---------------------------------------------------------------------- the HTML page
def script_json(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>``, ``&`` or line separators."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, code)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return [None if not np.isfinite(v) else round(float(v), 4) for v in obj.ravel()]
    if isinstance(obj, np.integer | np.floating):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def map_page(
    tree: ClusterTree,
    corpus: Corpus,
    layout: MapLayout,
    *,
    title: str,
    max_points: int = MAX_POINTS,
) -> str:
    """The map as one HTML document that loads nothing from the network."""
    require("plotly", "hercules map", MAP_EXTRA)
    from plotly.offline import get_plotlyjs

    data = map_data(tree, corpus, layout, max_points=max_points)
    fig = map_figure(tree, corpus, layout, hover=False, level_buttons=False, data=data)
    fig.update_layout(showlegend=False, autosize=True)
    page_data = {
        "items": {
            "id": [str(tree.levels[0].ids[i]) for i in data.shown],
            "text": data.snippets,
            "l1": data.level1.tolist(),
            "thumb": thumbnails(corpus, data.shown),
        },
        "levels": {
            str(layer["level"]): {
                k: layer[k] for k in ("titles", "descriptions", "sizes", "parent", "x", "y")
            }
            for layer in data.labels
        },
        "top": tree.top_level,
        "n_items": data.n_items,
        "left_out": data.left_out,
    }
    esc = html.escape
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>{_PAGE_CSS}</style></head>
<body>
<header><h1>{esc(title)}</h1>
<input id="search" type="search" placeholder="Search items and titles" autocomplete="off">
<span id="note">{esc(data.left_out or "")}</span></header>
<div id="wrap"><div id="map"></div>
<aside id="panel"><p class="hint">Hover a point to read it; click a point or a title.
Zoom in (scroll) for finer titles.</p><ol id="results"></ol><div id="detail"></div></aside></div>
<div id="tip"></div>
<script type="application/json" id="map-figure">{script_json(fig.to_plotly_json())}</script>
<script type="application/json" id="map-data">{script_json(page_data)}</script>
<script>{get_plotlyjs()}</script>
<script>{ZOOM_JS}
{_PAGE_JS}</script>
</body></html>
"""


def write_map(
    model: Any,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    max_points: int = MAX_POINTS,
    progress: LayoutProgress | None = None,
) -> Path:
    """Write the HTML map of a fitted (or loaded) model to ``path``; returns the path."""
    layout = model_layout(model, progress=progress)
    source = getattr(model, "_run_source", None)
    name = title or (f"HERCULES map: {Path(source).name}" if source else "HERCULES map")
    text = map_page(model.tree_, model.corpus_, layout, title=name, max_points=max_points)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    logger.info("wrote %s (%d bytes)", target, len(text))
    return target


_PAGE_CSS = """
html, body { margin: 0; height: 100%; font-family: system-ui, sans-serif; color: #222; }
header { display: flex; gap: 14px; align-items: center; padding: 6px 12px;
         border-bottom: 1px solid #ddd; }
h1 { font-size: 16px; margin: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#search { width: 280px; padding: 4px 6px; font-size: 14px; }
#note { color: #a33; font-size: 12px; }
#wrap { display: flex; height: calc(100% - 46px); }
#map { flex: 1; min-width: 0; }
#panel { width: 340px; overflow-y: auto; border-left: 1px solid #ddd; padding: 8px 12px;
         font-size: 13px; }
#panel h2 { font-size: 15px; margin: 6px 0; }
.hint, .meta { color: #777; font-size: 12px; }
#results li, #detail li { cursor: pointer; margin: 3px 0; }
#results li:hover, #detail li:hover { text-decoration: underline; }
.desc { color: #555; white-space: pre-wrap; }
#tip img { display: block; margin-bottom: 4px; }
#tip { position: fixed; display: none; max-width: 360px; background: #fff; border: 1px solid #999;
       padding: 4px 6px; font-size: 12px; pointer-events: none; z-index: 10; }
"""

# The page's behaviour. Every string from the run is set with textContent, never innerHTML.
_PAGE_JS = """
(function () {
  const F = JSON.parse(document.getElementById('map-figure').textContent);
  const D = JSON.parse(document.getElementById('map-data').textContent);
  const gd = document.getElementById('map');
  const tip = document.getElementById('tip');
  const results = document.getElementById('results');
  const detail = document.getElementById('detail');
  const items = D.items;
  const n = items.text.length;
  const found = 1;
  const ancestors = {};
  function ancestorsAt(level) {
    if (level === 1) { return items.l1; }
    if (!ancestors[level]) {
      const below = ancestorsAt(level - 1);
      const parent = D.levels[String(level - 1)].parent;
      const out = new Int32Array(n);
      for (let j = 0; j < n; j++) { out[j] = parent[below[j]]; }
      ancestors[level] = out;
    }
    return ancestors[level];
  }
  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function path(j) {
    const out = [];
    for (let level = D.top; level >= 1; level--) {
      const idx = ancestorsAt(level)[j];
      out.push('L' + level + ': ' + D.levels[String(level)].titles[idx]);
    }
    return out;
  }
  function showItem(j, zoom) {
    clear(detail);
    detail.appendChild(el('h2', 'Item ' + items.id[j]));
    detail.appendChild(el('p', items.text[j], 'desc'));
    const ul = el('ul');
    path(j).forEach(function (p) { ul.appendChild(el('li', p)); });
    detail.appendChild(ul);
    const x = F.data[0].x[j], y = F.data[0].y[j];
    Plotly.restyle(gd, {x: [[x]], y: [[y]]}, [found]);
    document.body.dataset.found = items.id[j];
    if (zoom) {
      const xr = gd._fullLayout.xaxis.range, yr = gd._fullLayout.yaxis.range;
      const w = Math.abs(xr[1] - xr[0]) / 4, h = Math.abs(yr[1] - yr[0]) / 4;
      Plotly.relayout(gd, {'xaxis.range': [x - w, x + w], 'yaxis.range': [y - h, y + h]});
    }
  }
  function selectCluster(level, index) {
    const layer = D.levels[String(level)];
    const anc = ancestorsAt(level);
    const members = [];
    for (let j = 0; j < n; j++) { if (anc[j] === index) { members.push(j); } }
    Plotly.restyle(gd, {selectedpoints: [members], 'selected.marker.opacity': 1,
                        'unselected.marker.opacity': 0.08}, [0]);
    clear(detail);
    detail.appendChild(el('h2', layer.titles[index]));
    detail.appendChild(el('p', 'Level ' + level + ' · ' + layer.sizes[index].toLocaleString() +
                               ' items', 'meta'));
    detail.appendChild(el('p', layer.descriptions[index], 'desc'));
    const shown = members.length < layer.sizes[index] ?
      ' (' + members.length.toLocaleString() + ' on the map)' : '';
    detail.appendChild(el('p', 'Members' + shown + ':', 'meta'));
    const ol = el('ol');
    ol.id = 'members';
    members.slice(0, 200).forEach(function (j) {
      const li = el('li', items.text[j]);
      li.addEventListener('click', function () { showItem(j, true); });
      ol.appendChild(li);
    });
    detail.appendChild(ol);
    document.body.dataset.selected = 'L' + level + ':' + index;
  }
  function search(query) {
    clear(results);
    const q = query.trim().toLowerCase();
    if (q.length < 2) { return; }
    let count = 0;
    for (let level = D.top; level >= 1 && count < 10; level--) {
      const titles = D.levels[String(level)].titles;
      for (let i = 0; i < titles.length && count < 10; i++) {
        if (titles[i].toLowerCase().indexOf(q) >= 0) {
          const li = el('li', 'L' + level + ': ' + titles[i], 'hit-cluster');
          li.addEventListener('click', function () { selectCluster(level, i); });
          results.appendChild(li);
          count++;
        }
      }
    }
    let hits = 0;
    for (let j = 0; j < n && hits < 30; j++) {
      if (items.text[j].toLowerCase().indexOf(q) >= 0 || items.id[j].toLowerCase() === q) {
        const li = el('li', items.text[j], 'hit-item');
        li.dataset.item = items.id[j];
        li.addEventListener('click', function () { showItem(j, true); });
        results.appendChild(li);
        hits++;
      }
    }
    if (!results.firstChild) { results.appendChild(el('li', 'Nothing matches.', 'hint')); }
  }
  let timer = null;
  document.getElementById('search').addEventListener('input', function (e) {
    clearTimeout(timer);
    const value = e.target.value;
    timer = setTimeout(function () { search(value); }, 150);
  });
  Plotly.newPlot(gd, F.data, F.layout,
                 {responsive: true, scrollZoom: true, displaylogo: false}).then(function () {
    hercLabelZoom(gd);
    gd.on('plotly_hover', function (e) {
      const p = e.points[0];
      if (p.curveNumber !== 0) { return; }
      tip.textContent = items.text[p.pointNumber];
      const thumb = items.thumb ? items.thumb[p.pointNumber] : '';
      if (thumb && thumb.indexOf('data:image/jpeg;base64,') === 0) {
        const img = document.createElement('img');
        img.src = thumb;
        tip.insertBefore(img, tip.firstChild);
      }
      tip.style.left = (e.event.clientX + 12) + 'px';
      tip.style.top = (e.event.clientY + 12) + 'px';
      tip.style.display = 'block';
    });
    gd.on('plotly_unhover', function () { tip.style.display = 'none'; });
    gd.on('plotly_click', function (e) {
      const p = e.points[0];
      if (p.curveNumber === 0) { showItem(p.pointNumber, false); }
    });
    gd.on('plotly_clickannotation', function (e) {
      const m = /^L(\\d+):(\\d+)$/.exec(String(e.annotation.name || ''));
      if (m) { selectCluster(parseInt(m[1], 10), parseInt(m[2], 10)); }
    });
    window.hercules = {selectCluster: selectCluster, showItem: showItem, search: search};
    document.body.dataset.ready = '1';
  });
})();
"""


def _edited(data: Level) -> list[bool]:
    """Whether each node's title was set by hand."""
    if data.title_edited is None:
        return [False] * len(data)
    return [bool(e) for e in data.title_edited]
