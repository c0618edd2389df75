"""Callback of the title editor: save a title typed in the summary pane (Hercules.set_title)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dash import Dash, Input, Output, State, html, no_update

from hercules.errors import HerculesError

if TYPE_CHECKING:
    from hercules.app.explorer import Explorer


def register(app: Dash, explorer: Explorer) -> None:
    @app.callback(
        Output("title-save-status", "children"),
        Output("edits", "data"),
        Input("title-save", "n_clicks"),
        Input("title-input", "n_submit"),  # Enter in the title field saves too
        State("title-input", "value"),
        State("description-input", "value"),
        State("selected", "data"),
        State("run-select", "value"),
        State("edits", "data"),
        prevent_initial_call=True,
    )
    def save_title(
        clicks: int | None,
        submits: int | None,
        title: str | None,
        description: str | None,
        selected: str | None,
        run_id: str | None,
        edits: int | None,
    ) -> Any:
        view = explorer.get(run_id)
        if not (clicks or submits) or view is None or not view.has(selected):
            return no_update, no_update
        assert selected is not None
        if explorer.labelling(run_id):
            busy = "This run is still being labelled; edit titles once it has finished."
            return _error(busy), no_update
        node = view.node(selected)
        # An untouched description stays the labeller's, word for word.
        same = description is None or description == node.description
        changed = None if same else description
        try:
            view.set_title(selected, title if title is not None else "", changed)
        except HerculesError as exc:
            return _error(str(exc)), no_update
        # The pane, the tree and the figures redraw from the new count, with the mark.
        return "Saved.", (edits or 0) + 1


def _error(message: str) -> html.Div:
    return html.Div(message, className="error", id="title-save-error")
