"""The page layout: header, tree and search (left), views (middle), summary (right)."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from hercules.app.backends import APP_LABELLER, embedder_options
from hercules.app.figures import SIZE_MODES
from hercules.app.uploads import mib
from hercules.params import ENGINES, MODES, default

GRAPH_CONFIG: Any = {"displaylogo": False, "scrollZoom": True}
NPY_PROMPT = "Precomputed embeddings (.npy, one row per item in input order)"


def page(
    run_options: list[dict[str, str]],
    run_id: str | None,
    error: str | None,
    max_upload_bytes: int,
    *,
    with_images: bool = False,
) -> html.Div:
    return html.Div(
        [
            dcc.Store(id="selected", data=None),
            dcc.Store(id="expanded", data=[]),
            dcc.Store(id="edits", data=0),  # titles saved from this page: views redraw on it
            dcc.Store(id="job-id", data=None),
            dcc.Interval(id="job-poll", interval=700, disabled=True),
            html.Header(
                [
                    html.H1("HERCULES explorer"),
                    dcc.Dropdown(
                        id="run-select",
                        options=run_options,
                        value=run_id,
                        clearable=False,
                        placeholder="No run loaded: upload data in the 'New run' tab",
                        className="run-select",
                    ),
                    html.Button("Clear selection", id="clear-selection", n_clicks=0),
                ],
                className="header",
            ),
            html.Div(
                error or "",
                id="error-banner",
                className="error-banner",
                style={} if error else {"display": "none"},
                role="alert",
            ),
            html.Div(
                [
                    html.Aside(
                        [
                            dcc.Input(
                                id="search",
                                type="search",
                                placeholder="Search titles and descriptions",
                                debounce=True,
                                className="search",
                            ),
                            html.Div(id="search-results", className="link-list"),
                            html.H4("Hierarchy"),
                            html.Div(id="tree", className="tree-box"),
                        ],
                        className="left",
                    ),
                    html.Main(_views(max_upload_bytes, with_images), className="middle"),
                    html.Aside(
                        [html.Div(id="summary"), _downloads()],
                        className="right",
                    ),
                ],
                className="columns",
            ),
        ],
        className="page",
    )


def _views(max_upload_bytes: int, with_images: bool) -> list[Any]:
    controls = html.Div(
        [
            html.Label("Level"),
            dcc.RadioItems(id="level", options=[], value=None, inline=True),
            html.Label("Size"),
            dcc.RadioItems(
                id="size-mode",
                options=[{"label": m, "value": m} for m in SIZE_MODES],
                value="sqrt",
                inline=True,
            ),
            html.Label("View"),
            dcc.RadioItems(
                id="reduction",
                options=[
                    {"label": "representation PCA", "value": "representation_pca"},
                    {"label": "description PCA", "value": "description_pca"},
                ],
                value="representation_pca",
                inline=True,
            ),
        ],
        className="controls",
    )
    tabs = dcc.Tabs(
        id="tabs",
        value="scatter",
        children=[
            dcc.Tab(
                label="Scatter",
                value="scatter",
                children=dcc.Graph(id="scatter", config=GRAPH_CONFIG, className="graph"),
            ),
            dcc.Tab(
                label="Map",
                value="map",
                children=dcc.Graph(id="map", config=GRAPH_CONFIG, className="graph"),
            ),
            dcc.Tab(
                label="Treemap",
                value="treemap",
                children=dcc.Graph(id="treemap", config=GRAPH_CONFIG, className="graph"),
            ),
            dcc.Tab(
                label="Sunburst",
                value="sunburst",
                children=dcc.Graph(id="sunburst", config=GRAPH_CONFIG, className="graph"),
            ),
            dcc.Tab(
                label="Sizes",
                value="sizes",
                children=dcc.Graph(id="sizes", config=GRAPH_CONFIG, className="graph"),
            ),
            dcc.Tab(
                label="New run", value="new-run", children=_run_form(max_upload_bytes, with_images)
            ),
        ],
    )
    return [controls, tabs]


def _downloads() -> html.Div:
    buttons = [
        ("dl-membership-csv", "Membership CSV"),
        ("dl-membership-parquet", "Membership Parquet"),
        ("dl-evaluation", "Evaluation JSON"),
        ("dl-hierarchy", "Hierarchy text"),
        ("dl-archive", "Run archive (zip)"),
    ]
    return html.Div(
        [
            html.H4("Downloads"),
            *[
                html.Button(label, id=bid, n_clicks=0, className="download")
                for bid, label in buttons
            ],
            dcc.Download(id="download"),
        ],
        className="downloads",
    )


def _run_form(max_upload_bytes: int, with_images: bool) -> html.Div:
    def field(label: str, component: Any) -> html.Div:
        return html.Div([html.Label(label), component], className="field")

    return html.Div(
        [
            html.P(
                "Upload .txt (one item per line), .csv/.tsv/.parquet/.jsonl, text or image files, "
                f"or a .zip of them (at most {mib(max_upload_bytes)} in all). "
                "Titles come from the labeller picked below (auto: the local LLM when the llm "
                "extra is installed, else keywords).",
                className="hint",
            ),
            dcc.Upload(
                html.Div("Drop data files here or click to choose", id="upload-data-text"),
                id="upload-data",
                max_size=max_upload_bytes,  # the browser refuses larger files
                multiple=True,
                className="upload",
            ),
            dcc.Upload(
                html.Div(
                    "Optional ground-truth labels (.txt, one per line)", id="upload-labels-text"
                ),
                id="upload-labels",
                max_size=max_upload_bytes,  # the browser refuses larger files
                multiple=False,
                className="upload",
            ),
            html.Div(
                [
                    field(
                        "Levels (k per level, bottom-up, or auto)",
                        dcc.Input(id="opt-levels", value="auto", type="text"),
                    ),
                    field("Column of a table", dcc.Input(id="opt-column", type="text")),
                    field(
                        "Representation mode",
                        dcc.RadioItems(
                            id="opt-mode",
                            options=[{"label": m, "value": m} for m in MODES],
                            value=default("representation_mode"),
                            inline=True,
                        ),
                    ),
                    field("Topic seed", dcc.Input(id="opt-topic", type="text")),
                    field(
                        "Resampling (Vo et al. 2024)",
                        dcc.Checklist(
                            id="opt-resample", options=[{"label": "on", "value": "on"}], value=[]
                        ),
                    ),
                    field(
                        "Resampling steps",
                        dcc.Input(
                            id="opt-resample-steps",
                            type="number",
                            value=default("resampling_steps"),
                            min=0,
                        ),
                    ),
                    field(
                        "Resampling points per cluster (empty: auto)",
                        dcc.Input(id="opt-resample-points", type="number", min=2),
                    ),
                    field(
                        "Representative samples per cluster",
                        dcc.Input(
                            id="opt-reps", type="number", value=default("n_representatives"), min=1
                        ),
                    ),
                    field(
                        "Maximum levels (auto)",
                        dcc.Input(
                            id="opt-max-levels", type="number", value=default("max_levels"), min=1
                        ),
                    ),
                    field(
                        "Random seed",
                        dcc.Input(
                            id="opt-seed", type="number", value=default("random_state"), min=0
                        ),
                    ),
                    field(
                        "k-means engine",
                        dcc.RadioItems(
                            id="opt-engine",
                            options=[{"label": e, "value": e} for e in ENGINES],
                            value=default("engine"),
                            inline=True,
                        ),
                    ),
                    html.Div(
                        [
                            html.Label("Embeddings"),
                            dcc.RadioItems(
                                id="opt-embedder",
                                options=embedder_options(with_images),
                                value="minilm",
                                inline=True,
                            ),
                            html.Div(
                                dcc.Upload(
                                    html.Div(NPY_PROMPT, id="upload-embeddings-text"),
                                    id="upload-embeddings",
                                    max_size=max_upload_bytes,  # the browser refuses larger files
                                    multiple=False,
                                    accept=".npy",
                                    className="upload",
                                ),
                                id="npy-box",
                                style={"display": "none"},
                            ),
                            _endpoint("embed", "http://localhost:11434/v1", "nomic-embed-text"),
                        ],
                        className="field wide",
                    ),
                    html.Div(
                        [
                            html.Label("Labeller"),
                            dcc.RadioItems(
                                id="opt-labeller",
                                options=[
                                    {"label": "keywords (fast)", "value": "keywords"},
                                    {"label": "auto (local LLM if installed)", "value": "auto"},
                                    {"label": "OpenAI-compatible server", "value": "openai"},
                                ],
                                value=APP_LABELLER,
                                inline=True,
                            ),
                            _endpoint("llm", "http://localhost:8080/v1", "qwen2.5-7b-instruct"),
                        ],
                        className="field wide",
                    ),
                ],
                className="form-grid",
            ),
            html.Button("Run", id="run-start", n_clicks=0, className="primary"),
            html.Button("Cancel", id="run-cancel", n_clicks=0),
            html.Div(id="job-status", className="job-status"),
            html.Pre(id="job-log", className="job-log"),
        ],
        className="run-form",
    )


def _endpoint(prefix: str, url_example: str, model_example: str) -> html.Div:
    """Base URL and model inputs of an OpenAI-compatible server (shown when it is chosen)."""
    return html.Div(
        [
            html.Span("Base URL"),
            dcc.Input(id=f"opt-{prefix}-url", type="url", placeholder=url_example),
            html.Span("Model"),
            dcc.Input(id=f"opt-{prefix}-model", type="text", placeholder=model_example),
            html.Span("No API key is sent to this URL.", className="hint"),
        ],
        id=f"{prefix}-endpoint",
        className="endpoint",
        style={"display": "none"},
    )
