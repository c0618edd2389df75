"""The data map as one self-contained HTML file (``hercules map``, ``model.map_html(path)``):
plotly.js inlined, the data as JSON in the page, a Content-Security-Policy that forbids any
network request, a search box, hover and click panels, and the label layers of
:data:`hercules.datamap.ZOOM_JS` following the zoom.

Titles and item texts are untrusted (LLM output, user data): the figure's strings are escaped by
:mod:`hercules.datamap`; the page's own panels set ``textContent`` only, from JSON whose ``<``,
``>`` and ``&`` are ``\\u``-escaped so no string can close its ``<script>`` element.
"""

from __future__ import annotations

import html
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from hercules.data.dataset import Corpus
from hercules.datamap import (
    MAP_EXTRA,
    MAX_POINTS,
    ZOOM_JS,
    map_data,
    map_figure,
    model_layout,
)
from hercules.errors import require
from hercules.map_layout import LayoutProgress, MapLayout
from hercules.tree import ClusterTree

logger = logging.getLogger(__name__)

# Image runs of at most this many drawn items carry a small JPEG per item for the hover tooltip
# (about 2 kB each, inline as data: URIs); larger ones hover the file name and caption only.
MAX_THUMBNAILS = 3_000
THUMBNAIL_PX = 72

# No network at all: everything the page needs is inline.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:"
)


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
