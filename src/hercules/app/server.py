"""The app factory and its Flask routes. All state lives in one
:class:`~hercules.app.explorer.Explorer` per app; nothing is global."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hercules.app.backends import images_available
from hercules.app.explorer import Explorer
from hercules.app.thumbnails import (
    ROUTE,
    SIZES,
    THUMB,
    pillow_available,
)
from hercules.app.uploads import UploadLimits, mib, request_limit
from hercules.errors import HerculesError, require

logger = logging.getLogger(__name__)

ASSETS = Path(__file__).parent / "assets"


def make_app(
    run_dir: str | Path | None = None,
    *,
    workdir: str | Path | None = None,
    l0_threshold: int = 2000,
    limits: UploadLimits | None = None,
    model_options: Mapping[str, Any] | None = None,
) -> Any:
    """Build the Dash app for ``run_dir`` (or none: upload data and run in the app).

    ``model_options`` are passed to every :class:`~hercules.Hercules` the app creates (for
    example ``text_embedding_client=...``). A run directory that cannot be read does not raise:
    the page opens with the error shown, so a browser user sees what is wrong.
    """
    dash = require("dash", "The HERCULES explorer", "hercules-cluster[app]")
    require("plotly", "The HERCULES explorer", "hercules-cluster[app]")
    from hercules.app import callbacks, edit_callbacks, layout, run_callbacks

    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="hercules-app-"))
    explorer = Explorer(
        workdir=Path(workdir),
        limits=limits or UploadLimits(),
        l0_threshold=l0_threshold,
        model_options=model_options or {},
        run_job=run_callbacks.run_job,
    )
    error = None
    if run_dir is not None:
        try:
            explorer.add_path(run_dir)
        except HerculesError as exc:
            logger.error("cannot open %s: %s", run_dir, exc)
            error = f"Cannot open this run: {exc}"

    app = dash.Dash(
        __name__,
        title="HERCULES explorer",
        assets_folder=str(ASSETS),
        suppress_callback_exceptions=True,
        update_title=None,
    )

    explorer.url_prefix = str(app.config.requests_pathname_prefix or "/")
    explorer.images_available = images_available()

    def serve_layout() -> Any:
        return layout.page(
            explorer.options(),
            explorer.first(),
            error,
            explorer.limits.max_bytes,
            with_images=explorer.images_available,
        )

    app.layout = serve_layout
    callbacks.register(app, explorer)
    run_callbacks.register(app, explorer)
    edit_callbacks.register(app, explorer)
    _register_thumbnails(app.server, explorer, str(app.config.routes_pathname_prefix or "/"))
    _limit_requests(app.server, explorer.limits)
    app.explorer = explorer  # for tests and embedding; not read by the callbacks
    return app


def _limit_requests(server: Any, limits: UploadLimits) -> None:
    """Refuse oversized requests (uploads arrive inside callback requests) before reading them:
    Flask answers 413 from the Content-Length header alone, so the body is never buffered."""
    from flask import Response

    server.config["MAX_CONTENT_LENGTH"] = request_limit(limits)

    def refuse(_error: Exception) -> Response:
        message = (
            f"Upload refused: over this app's {mib(limits.max_bytes)} limit. Upload a sample, "
            "or use the `hercules run` CLI for large data."
        )
        return Response(message, 413, mimetype="text/plain")

    server.register_error_handler(413, refuse)


def _register_thumbnails(server: Any, explorer: Explorer, prefix: str) -> None:
    """``GET /_hercules/thumbnail/<run id>?item=<item id>&size=128``: an item's image, downscaled.

    The item id is only ever a key into the run's items (never a path); a run or item that
    does not exist, or an item that is not an image, gives 404.
    """
    from flask import Response, request

    def plain(message: str, status: int) -> Response:
        response = Response(message, status, mimetype="text/plain")
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def thumbnail(run_id: str) -> Response:
        item_id = request.args.get("item", "")
        size_arg = request.args.get("size", str(THUMB))
        size = int(size_arg) if size_arg.isdigit() else -1
        if size not in SIZES:
            return plain(f"size must be one of {sorted(SIZES)}; got {size_arg!r}", 400)
        if not pillow_available():
            return plain("thumbnails need Pillow: pip install 'hercules-cluster[images]'", 501)
        try:
            found = explorer.thumbnail(run_id, item_id, size)
        except (OSError, ValueError) as exc:  # unreadable, damaged or a decompression bomb
            logger.warning("thumbnail of %r in %s failed: %s", item_id, run_id, exc)
            return plain(f"item {item_id!r} could not be read as an image", 404)
        if found is None:
            return plain(f"no image item {item_id!r} in run {run_id!r}", 404)
        data, mimetype = found
        response = Response(data, 200, mimetype=mimetype)
        response.headers["Cache-Control"] = "private, max-age=3600"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    server.add_url_rule(
        f"{prefix}{ROUTE}/<run_id>", "hercules_thumbnail", thumbnail, methods=["GET"]
    )
