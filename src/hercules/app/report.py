"""``hercules report``: one self-contained HTML file (plotly.js inlined) for sharing a run.

The page needs no server and no network: the data map comes first (:mod:`hercules.datamap`,
its layout drawn once and saved with the run), then the tree as nested ``<details>`` elements
and the treemap, sunburst and scatter as plotly figures. Every run-derived string is
HTML-escaped.
"""

from __future__ import annotations

import html
import logging
import os
from pathlib import Path

from hercules.app.runview import (
    ALSO_CONSIDERED_HELP,
    EDITED_HELP,
    EDITED_MARK,
    RunView,
    also_considered,
    truncate,
)
from hercules.errors import require

logger = logging.getLogger(__name__)

MAX_TREE_NODES = 5_000
ITEMS_PER_CLUSTER = 10

# No network at all: everything the page needs is inline.
_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data:; font-src data:"
)
_CSS = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 16px;
       color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; }
details { margin-left: 16px; } summary { cursor: pointer; }
.desc { color: #555; font-size: 13px; margin: 2px 0 4px 18px; white-space: pre-wrap; }
.item { font-size: 12px; color: #444; margin-left: 34px; }
.meta { color: #777; font-size: 12px; }
.faith { color: #2a7a2a; font-size: 11px; } .note { color: #999; font-size: 11px; }
.edited { color: #8a5a00; font-size: 12px; }
"""


def write_report(
    run_dir: str | os.PathLike[str], out: str | os.PathLike[str], *, title: str | None = None
) -> Path:
    """Write ``out`` (HTML) for the run in ``run_dir``; returns the path written."""
    require("plotly", "hercules report", "hercules-cluster[app]")
    view = RunView.open(Path(run_dir))
    text = render_report(view, title=title or f"HERCULES report: {Path(run_dir).name}")
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    logger.info("wrote %s (%d bytes)", target, len(text))
    return target


def render_report(view: RunView, *, title: str) -> str:
    from hercules import datamap
    from hercules.app import figures

    layout = datamap.model_layout(view.model)
    data_map = datamap.map_figure(view.tree, view.model.corpus_, layout, level_buttons=False)
    data_map.update_layout(height=700)
    level = min(1, view.top_level)
    scatter = figures.scatter_figure(view, level)
    treemap = figures.treemap_figure(view)
    sunburst = figures.treemap_figure(view, kind="sunburst")
    for fig in (scatter, treemap, sunburst):
        fig.update_layout(height=600)
    plots = [
        data_map.to_html(full_html=False, include_plotlyjs=True, div_id="datamap"),
        treemap.to_html(full_html=False, include_plotlyjs=False, div_id="treemap"),
        sunburst.to_html(full_html=False, include_plotlyjs=False, div_id="sunburst"),
        scatter.to_html(full_html=False, include_plotlyjs=False, div_id="scatter"),
    ]
    esc = html.escape
    info = view.overview()
    facts = "".join(
        f"<tr><th>{esc(str(k))}</th><td>{esc(str(v))}</td></tr>"
        for k, v in [
            ("source", info["source"]),
            ("modality", info["modality"]),
            ("items", info["items"]),
            ("levels", info["levels"]),
            *[(f"clusters at level {k}", v) for k, v in info["clusters_per_level"].items()],
            ("topic seed", info["topic_seed"] or "none"),
        ]
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<title>{esc(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{esc(title)}</h1>
<table>{facts}</table>
<h2>Data map (every item; zoom in for finer titles)</h2>
{plots[0]}
<script>{datamap.ZOOM_JS}
window.addEventListener('load', function () {{
  const gd = document.getElementById('datamap');
  if (gd && gd.on) {{ hercLabelZoom(gd); }}
}});</script>
<h2>Hierarchy</h2>
<div id="tree">{tree_html(view)}</div>
<h2>Treemap (size = items, colour = top-level cluster, shades below it)</h2>
{plots[1]}
<h2>Sunburst</h2>
{plots[2]}
<h2>Scatter of level {level} (2-D PCA)</h2>
{plots[3]}
<p class="meta">Written by HERCULES. Click a treemap tile to zoom in.</p>
</body></html>
"""


def tree_html(view: RunView) -> str:
    """Nested <details> from the top level down; level-0 items capped per cluster."""
    esc = html.escape
    parts: list[str] = []
    budget = MAX_TREE_NODES

    def emit(node_level: int, index: int) -> None:
        nonlocal budget
        node = view.tree.node(node_level, index)
        budget -= 1
        faith = (
            f' <span class="faith" title="faithfulness: share of sampled members whose nearest '
            f'label among the siblings is this one">{node.faithfulness:.2f}</span>'
            if node.faithfulness is not None
            else ""
        )
        if node.coverage is not None:
            faith += (
                f' <span class="faith" title="coverage: share of sampled members the title '
                f'covers">cov {node.coverage:.2f}</span>'
            )
        note = f' <span class="note">({esc(node.title_note)})</span>' if node.title_note else ""
        edited = (
            f' <span class="edited" title="{EDITED_HELP}">{EDITED_MARK} edited</span>'
            if node.title_edited
            else ""
        )
        head = (
            f"<summary>L{node.level} #{esc(str(node.id))} ({node.num_items} items) "
            f"<b>{esc(truncate(node.title, 140))}</b>{edited}{faith}{note}</summary>"
        )
        parts.append(f"<details{' open' if node.level == view.top_level else ''}>{head}")
        parts.append(f'<div class="desc">{esc(truncate(node.description, 600))}</div>')
        others = also_considered(node)
        if others:
            parts.append(
                f'<div class="desc" title="{ALSO_CONSIDERED_HELP}">Also considered: '
                f"{esc('; '.join(others))}</div>"
            )
        children = node.children
        if node.level == 1:
            for child in children[:ITEMS_PER_CLUSTER]:
                parts.append(
                    f'<div class="item">#{esc(str(child.id))}: '
                    f"{esc(truncate(view.item_text(child.index), 200))}</div>"
                )
            if len(children) > ITEMS_PER_CLUSTER:
                parts.append(
                    f'<div class="item">… {len(children) - ITEMS_PER_CLUSTER} more items</div>'
                )
        else:
            for child in children:
                if budget <= 0:
                    parts.append('<div class="item">… (tree truncated)</div>')
                    break
                emit(child.level, child.index)
        parts.append("</details>")

    for top in view.tree.nodes(view.top_level):
        if budget <= 0:
            break
        emit(top.level, top.index)
    return "\n".join(parts)
