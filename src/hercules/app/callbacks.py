"""Dash callbacks: selection, views, tree, search and downloads (runs live in run_callbacks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from dash import ALL, Dash, Input, Output, State, ctx, html, no_update

from hercules import datamap
from hercules.app import figures, panes
from hercules.app.runview import parse_key

if TYPE_CHECKING:
    from hercules.app.explorer import Explorer

GRAPHS = ("scatter", "map", "treemap", "sunburst", "sizes")


def empty_figure(message: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[{"text": message, "showarrow": False, "font": {"size": 14}}],
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    return fig


def clicked_key(click: dict[str, Any] | None) -> str | None:
    """The node key carried by a plotly click event (customdata, or the sector id)."""
    if not click or not click.get("points"):
        return None
    point = click["points"][0]
    key = point.get("customdata")
    if isinstance(key, list):
        key = key[0] if key else None
    if not key:
        key = point.get("id")
    return str(key) if key else None


def annotation_key(click: dict[str, Any] | None) -> str | None:
    """The node key of a clicked map title (its annotation is named ``"L<level>:<index>"``)."""
    if not click:
        return None
    annotation = click.get("annotation") or {}
    name = annotation.get("name")
    return str(name) if name else None


def register(app: Dash, explorer: Explorer) -> None:
    @app.callback(
        Output("selected", "data"),
        Input("run-select", "value"),
        *[Input(g, "clickData") for g in GRAPHS],
        Input("map", "clickAnnotationData"),
        Input({"type": "tree-select", "key": ALL}, "n_clicks"),
        Input({"type": "node-link", "key": ALL}, "n_clicks"),
        Input("clear-selection", "n_clicks"),
        prevent_initial_call=True,
    )
    def select(run_id: str | None, *_: Any) -> Any:
        trigger = ctx.triggered_id
        if trigger in ("run-select", "clear-selection"):
            return None
        view = explorer.get(run_id)
        if view is None:
            return None
        key: str | None
        if isinstance(trigger, dict):
            if not ctx.triggered or not ctx.triggered[0].get("value"):
                return no_update  # a freshly rendered button, not a click
            key = str(trigger.get("key"))
        elif (
            trigger == "map"
            and ctx.triggered
            and ctx.triggered[0]["prop_id"].endswith(".clickAnnotationData")
        ):
            key = annotation_key(ctx.triggered[0].get("value"))
        elif trigger in GRAPHS:
            key = clicked_key(ctx.triggered[0].get("value") if ctx.triggered else None)
        else:
            return no_update
        return key if view.has(key) else no_update

    @app.callback(
        Output("expanded", "data"),
        Input({"type": "tree-toggle", "key": ALL}, "n_clicks"),
        Input("selected", "data"),
        Input("run-select", "value"),
        State("expanded", "data"),
        prevent_initial_call=True,
    )
    def expand(_toggles: Any, selected: str | None, run_id: str | None, expanded: Any) -> Any:
        trigger = ctx.triggered_id
        if trigger == "run-select":
            return []
        current = list(expanded or [])
        view = explorer.get(run_id)
        if view is None:
            return []
        if trigger == "selected":
            if not view.has(selected):
                return no_update
            assert selected is not None
            node = view.node(selected)
            extra = [panes.node_key(a) for a in view.ancestors(node)]
            added = [k for k in extra if k not in current]
            return current + added if added else no_update
        if isinstance(trigger, dict):
            if not ctx.triggered or not ctx.triggered[0].get("value"):
                return no_update
            key = str(trigger.get("key"))
            return [k for k in current if k != key] if key in current else [*current, key]
        return no_update

    @app.callback(
        Output("tree", "children"),
        Input("expanded", "data"),
        Input("selected", "data"),
        Input("run-select", "value"),
        Input("edits", "data"),
    )
    def render_tree(expanded: Any, selected: str | None, run_id: str | None, _edits: Any) -> Any:
        view = explorer.get(run_id)
        if view is None:
            return html.P("No run loaded.", className="hint")
        return panes.tree_list(
            view, set(expanded or []), selected, l0_threshold=explorer.l0_threshold
        )

    @app.callback(
        Output("level", "options"),
        Output("level", "value"),
        Input("run-select", "value"),
        State("level", "value"),
    )
    def level_options(run_id: str | None, current: Any) -> Any:
        view = explorer.get(run_id)
        if view is None:
            return [], None
        lowest = 0 if view.tree.n_items <= explorer.l0_threshold else 1
        levels = list(range(view.top_level, lowest - 1, -1))
        options = [
            {"label": f"L{lvl} ({len(view.tree.levels[lvl])})", "value": lvl} for lvl in levels
        ]
        value = current if current in levels else min(1, view.top_level)
        return options, value

    @app.callback(
        Output("scatter", "figure"),
        Input("run-select", "value"),
        Input("level", "value"),
        Input("size-mode", "value"),
        Input("reduction", "value"),
        Input("selected", "data"),
        Input("edits", "data"),
    )
    def render_scatter(
        run_id: str | None,
        level: Any,
        size_mode: str,
        reduction: str,
        selected: str | None,
        _edits: Any,
    ) -> go.Figure:
        view = explorer.get(run_id)
        if view is None:
            return empty_figure("No run loaded")
        shown = figures.display_level(view, int(level or 1), explorer.l0_threshold)
        return figures.scatter_figure(
            view, shown, selected=selected, size_mode=size_mode or "sqrt", reduction=reduction
        )

    @app.callback(
        Output("treemap", "figure"),
        Output("sunburst", "figure"),
        Input("run-select", "value"),
        Input("selected", "data"),
        Input("tabs", "value"),
        Input("edits", "data"),
    )
    def render_hierarchy(run_id: str | None, selected: str | None, tab: str, _edits: Any) -> Any:
        view = explorer.get(run_id)
        if view is None:
            blank = empty_figure("No run loaded")
            return blank, blank
        if tab == "treemap":
            return figures.treemap_figure(view, selected=selected), no_update
        if tab == "sunburst":
            return no_update, figures.treemap_figure(view, selected=selected, kind="sunburst")
        return no_update, no_update

    @app.callback(
        Output("map", "figure"),
        Input("run-select", "value"),
        Input("selected", "data"),
        Input("tabs", "value"),
    )
    def render_map(run_id: str | None, selected: str | None, tab: str) -> Any:
        view = explorer.get(run_id)
        if view is None:
            return empty_figure("No run loaded")
        if tab != "map":
            return no_update
        layout = datamap.model_layout(view.model)  # drawn once, then saved with the run
        where = parse_key(selected) if selected and view.has(selected) else None
        fig = datamap.map_figure(
            view.tree,
            view.model.corpus_,
            layout,
            selected=where,
            point_keys=True,
            level_buttons=False,
        )
        fig.update_layout(uirevision=f"{view.source}:map")
        return fig

    # Label layers follow the zoom, as in the HTML map (hercules.datamap.ZOOM_JS).
    app.clientside_callback(
        "function (figure) {"
        + datamap.ZOOM_JS
        + "let tries = 0; (function bind() {"
        + "const gd = document.querySelector('#map .js-plotly-plot');"
        + "if (gd && gd.on && gd._fullLayout) { hercLabelZoom(gd); }"
        + "else if (tries++ < 50) { setTimeout(bind, 200); } })();"
        + "return window.dash_clientside.no_update; }",
        Output("map", "className"),
        Input("map", "figure"),
    )

    @app.callback(
        Output("sizes", "figure"),
        Input("run-select", "value"),
        Input("level", "value"),
        Input("selected", "data"),
        Input("tabs", "value"),
    )
    def render_sizes(run_id: str | None, level: Any, selected: str | None, tab: str) -> Any:
        view = explorer.get(run_id)
        if view is None:
            return empty_figure("No run loaded")
        if tab != "sizes":
            return no_update
        return figures.size_bar_figure(view, max(1, int(level or 1)), selected=selected)

    @app.callback(
        Output("summary", "children"),
        Input("run-select", "value"),
        Input("selected", "data"),
        Input("edits", "data"),
    )
    def render_summary(run_id: str | None, selected: str | None, _edits: Any) -> Any:
        view = explorer.get(run_id)
        if view is None:
            return html.P("No run loaded. Upload data in the 'New run' tab.", className="hint")
        if selected and view.has(selected):
            return panes.node_summary(view, selected, image_url=explorer.image_url(run_id))
        return panes.overview(view)

    @app.callback(
        Output("search-results", "children"),
        Input("search", "value"),
        Input("run-select", "value"),
        Input("edits", "data"),
    )
    def render_search(query: str | None, run_id: str | None, _edits: Any) -> Any:
        view = explorer.get(run_id)
        if view is None or not query or not query.strip():
            return []
        hits = view.search(query, limit=50)
        if not hits:
            return html.P(f"No cluster mentions {query!r}.", className="hint")
        return [panes.link(h, extra_class="search-hit") for h in hits]

    downloads = {
        "dl-membership-csv": ("membership.csv", lambda v: v.membership_csv()),
        "dl-membership-parquet": ("membership.parquet", lambda v: v.membership_parquet()),
        "dl-evaluation": ("evaluation.json", lambda v: v.evaluation_json()),
        "dl-hierarchy": ("hierarchy.txt", lambda v: v.hierarchy_text()),
        "dl-archive": ("run.zip", lambda v: v.run_archive()),
    }

    @app.callback(
        Output("download", "data"),
        *[Input(button, "n_clicks") for button in downloads],
        State("run-select", "value"),
        prevent_initial_call=True,
    )
    def download(*args: Any) -> Any:
        run_id = args[-1]
        view = explorer.get(run_id)
        trigger = ctx.triggered_id
        if view is None or trigger not in downloads:
            return no_update
        filename, make = downloads[trigger]
        content = make(view)
        if isinstance(content, bytes):
            return {"content": _b64(content), "filename": filename, "base64": True}
        return {"content": content, "filename": filename}


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")
