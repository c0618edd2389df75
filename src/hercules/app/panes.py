"""Dash components for the tree list, the summary pane and the overview.

Every piece of run content (titles, descriptions, item text, ids) is passed to Dash as a
plain string child, which React renders as text; nothing here builds HTML from strings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dash import dcc, html

from hercules import Cluster
from hercules.app.runview import (
    ALSO_CONSIDERED_HELP,
    EDITED_HELP,
    EDITED_MARK,
    RunView,
    also_considered,
    node_key,
    truncate,
)
from hercules.app.thumbnails import PREVIEW, THUMB

TREE_MAX_CHILDREN = 200
TREE_ITEMS_SHOWN = 50


def node_label(node: Cluster, limit: int = 80) -> str:
    mark = f" {EDITED_MARK}" if node.title_edited else ""
    return f"L{node.level} #{node.id} ({node.num_items}) {truncate(node.title, limit)}{mark}"


FAITH_HELP = "(share of sampled members whose nearest label among the siblings is this one)"
COVERAGE_HELP = (
    "(share of sampled members the title covers: one of its parts is about as close to them "
    "as any other title in the tree)"
)


def faith_badge(node: Cluster) -> html.Span:
    """The title's faithfulness beside it; low scores stand out (class ``faith-low``)."""
    value = node.faithfulness or 0.0
    covered = "" if node.coverage is None else f"; coverage {node.coverage:.2f}"
    return html.Span(
        f"{value:.2f}",
        className="faith faith-low" if value < 0.5 else "faith",
        title=f"faithfulness {FAITH_HELP}{covered}"
        + (f"; {node.title_note}" if node.title_note else ""),
    )


def link(node: Cluster, *, kind: str = "node-link", extra_class: str = "") -> html.Button:
    """A button that selects ``node`` (pattern-matching id; the text is the node's label)."""
    return html.Button(
        node_label(node),
        id={"type": kind, "key": node_key(node)},
        className=f"node-link {extra_class}".strip(),
        title=truncate(node.title, 300),
        n_clicks=0,
    )


# ---------------------------------------------------------------------- tree list
def tree_list(
    view: RunView, expanded: set[str], selected: str | None, *, l0_threshold: int
) -> html.Ul:
    """Top level always shown; children only for expanded nodes (lazy), capped per node."""
    lineage: set[str] = set()
    if selected and view.has(selected):
        node = view.node(selected)
        lineage = {node_key(n) for n in view.ancestors(node)}
    top = view.tree.nodes(view.top_level)
    return html.Ul(
        [_tree_row(view, n, expanded, selected, lineage, l0_threshold) for n in top],
        className="tree",
    )


def _tree_row(
    view: RunView,
    node: Cluster,
    expanded: set[str],
    selected: str | None,
    lineage: set[str],
    l0_threshold: int,
) -> html.Li:
    key = node_key(node)
    items_hidden = node.level == 1 and view.tree.n_items > l0_threshold
    can_expand = node.level >= 1 and not items_hidden
    is_open = can_expand and key in expanded
    classes = ["tree-row"]
    if key == selected:
        classes.append("selected")
    elif key in lineage:
        classes.append("lineage")
    toggle: html.Button | html.Span
    if can_expand:
        toggle = html.Button(
            "▾" if is_open else "▸",
            id={"type": "tree-toggle", "key": key},
            className="tree-toggle",
            title="collapse" if is_open else "expand",
            n_clicks=0,
        )
    else:
        toggle = html.Span("·", className="tree-toggle-placeholder")
    row_parts: list[Any] = [toggle, link(node, kind="tree-select")]
    if node.faithfulness is not None:
        row_parts.append(faith_badge(node))
    row: list[Any] = [html.Div(row_parts, className=" ".join(classes))]
    if items_hidden:
        row.append(
            html.Div(
                f"{node.num_items} items (hidden: run has > {l0_threshold})", className="tree-note"
            )
        )
    if is_open:
        children = node.children
        shown_cap = TREE_ITEMS_SHOWN if node.level == 1 else TREE_MAX_CHILDREN
        kids = [
            _tree_row(view, c, expanded, selected, lineage, l0_threshold)
            for c in children[:shown_cap]
        ]
        if len(children) > shown_cap:
            kids.append(html.Li(f"… {len(children) - shown_cap} more", className="tree-note"))
        row.append(html.Ul(kids, className="tree"))
    return html.Li(row, id=f"tree-{key.replace(':', '-')}")


# ---------------------------------------------------------------------- summary pane
def _table(rows: list[tuple[str, Any]], class_name: str = "kv") -> html.Table:
    return html.Table(
        html.Tbody([html.Tr([html.Th(k), html.Td(str(v))]) for k, v in rows]),
        className=class_name,
    )


ImageUrl = Callable[[Any, int], str]  # (item id, size in px) -> URL of the item's thumbnail


def node_summary(view: RunView, key: str, *, image_url: ImageUrl | None = None) -> html.Div:
    """The selected node. ``image_url`` (image runs only) turns samples into thumbnails."""
    node = view.node(key)
    kind = "item" if node.level == 0 else "cluster"
    facts = [
        ("id", node.id),
        ("level", node.level),
        ("type", f"{kind} ({view.tree.modality})"),
        ("items", node.num_items),
    ]
    if node.summary_failed:
        facts.append(("summary", "failed: the labeller gave no summary for this cluster"))
    if node.level >= 1 and node.faithfulness is not None:
        facts.append(("faithfulness", f"{node.faithfulness:.2f} {FAITH_HELP}"))
    if node.level >= 1 and node.coverage is not None:
        facts.append(("coverage", f"{node.coverage:.2f} {COVERAGE_HELP}"))
    if node.level >= 1 and node.title_note:
        facts.append(("title note", node.title_note))
    others = also_considered(node) if node.level >= 1 else []
    if others:
        facts.append(("also considered", f"{'; '.join(others)} ({ALSO_CONSIDERED_HELP})"))
    if node.title_edited:
        facts.append(("title", EDITED_HELP))
    heading = html.H3(node.title or "(untitled)", id="summary-title", className="summary-title")
    parts: list[Any] = [title_editor(node, heading) if node.level >= 1 else heading, _table(facts)]
    ancestors = view.ancestors(node)
    if ancestors:
        parts.append(html.H4("Ancestors"))
        parts.append(
            html.Div(
                [link(a, extra_class="ancestor") for a in reversed(ancestors)],
                id="summary-ancestors",
                className="link-list",
            )
        )
    parts.append(html.H4("Description"))
    parts.append(html.P(node.description, id="summary-description", className="description"))
    kids: list[Any] = []
    children = node.children
    if children:
        kids.append(html.H4(f"Children ({len(children)})"))
        kids.append(
            html.Div(
                [link(c, extra_class="child") for c in children[:TREE_MAX_CHILDREN]],
                id="summary-children",
                className="link-list",
            )
        )
    content = _content(view, node, image_url)
    parts += content + kids if image_url is not None else kids + content  # pictures first
    stats = view.numeric_stats(node)
    if stats is not None:
        parts.append(html.H4("Numeric statistics"))
        header = html.Tr([html.Th(c) for c in stats.columns])
        body = [
            html.Tr(
                [html.Td(row["column"])] + [html.Td(f"{row[c]:.4g}") for c in stats.columns[1:]]
            )
            for _, row in stats.iterrows()
        ]
        parts.append(html.Table([html.Thead(header), html.Tbody(body)], className="stats"))
    data_attrs: Any = {"data-key": key}
    return html.Div(parts, id="node-summary", **data_attrs)


def title_editor(node: Cluster, heading: html.H3) -> html.Details:
    """The cluster's title; a click on it opens a form to write another (saved with the run
    by the ``title-save`` callback). The fields hold the text as values, never as markup."""
    badge: list[Any] = []
    if node.title_edited:
        badge = [
            html.Span(
                f"{EDITED_MARK} edited", id="summary-edited", className="edited", title=EDITED_HELP
            )
        ]
    form = html.Div(
        [
            html.Label("Title", htmlFor="title-input"),
            dcc.Input(id="title-input", type="text", value=node.title, className="title-input"),
            html.Label("Description", htmlFor="description-input"),
            dcc.Textarea(id="description-input", value=node.description, className="desc-input"),
            html.Button("Save title", id="title-save", n_clicks=0),
            html.Span(
                "Kept when the run is relabelled; saved to the run folder.", className="hint"
            ),
            html.Div(id="title-save-status"),
        ],
        className="title-form",
    )
    hint = html.Span("edit", className="edit-hint")
    return html.Details(
        [html.Summary([heading, *badge, hint], title="Click to edit this title"), form],
        id="title-edit",
        className="title-edit",
    )


def _content(view: RunView, node: Cluster, image_url: ImageUrl | None) -> list[Any]:
    """The raw item (level 0) or the representative samples, as text or as pictures."""
    if node.level == 0:
        raw = html.Pre(view.item_text(node.index), id="summary-raw", className="raw")
        if image_url is None:
            return [html.H4("Raw item"), raw]
        preview = _image(image_url(node.id, PREVIEW), node.id, "preview", id="summary-preview")
        return [html.H4("Raw item"), preview, raw]
    reps = view.representatives(node)
    if image_url is None:
        return [
            html.H4("Representative samples"),
            html.Ol(
                [html.Li(f"#{item_id}: {truncate(text, 300)}") for item_id, text in reps],
                id="summary-samples",
            ),
        ]
    figures = [
        html.Figure(
            [_image(image_url(item_id, THUMB), item_id, "thumb"), html.Figcaption(f"#{item_id}")]
        )
        for item_id, _ in reps
    ]
    return [
        html.H4("Representative samples"),
        html.Div(figures, id="summary-thumbs", className="thumbs"),
    ]


def _image(src: str, item_id: Any, class_name: str, **extra: Any) -> html.Img:
    # The URL is built by the app from a run id and an item id (both percent-encoded); the
    # alt text is an attribute set by React, never parsed as HTML.
    return html.Img(src=src, alt=f"item {item_id}", className=class_name, **extra)


def overview(view: RunView) -> html.Div:
    info = view.overview()
    facts = [
        ("source", info["source"]),
        ("modality", info["modality"]),
        ("items", info["items"]),
        ("levels", info["levels"]),
    ]
    facts += [(f"clusters at level {k}", v) for k, v in info["clusters_per_level"].items()]
    if info["topic_seed"]:
        facts.append(("topic seed", info["topic_seed"]))
    metrics = view.metrics()
    names: list[str] = []
    for row in metrics:
        names += [k for k in row if k not in names and k != "level"]
    metric_table = html.Table(
        [
            html.Thead(html.Tr([html.Th("level"), *[html.Th(n) for n in names]])),
            html.Tbody(
                [
                    html.Tr([html.Td(str(r["level"])), *[html.Td(_fmt(r.get(n))) for n in names]])
                    for r in metrics
                ]
            ),
        ],
        className="stats",
        id="metrics-table",
    )
    return html.Div(
        [
            html.H3("Run overview"),
            html.P(
                "Nothing selected: click a point, a tree row or a tile to inspect it.",
                className="hint",
            ),
            _table(facts),
            html.H4("Evaluation per level"),
            html.Div(metric_table, className="scroll-x"),
            html.H4("Configuration"),
            _table(sorted(info["parameters"].items())),
        ],
        id="overview",
    )


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
