"""The app factory. All state lives in one :class:`Explorer` per app; nothing is global."""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hercules.app.backends import Backends, images_available
from hercules.app.jobs import Job, JobRunner
from hercules.app.runview import RunView
from hercules.app.thumbnails import (
    ROUTE,
    SIZES,
    THUMB,
    ThumbnailCache,
    pillow_available,
    thumbnail_url,
)
from hercules.app.uploads import UploadLimits, mib, request_limit, too_large
from hercules.errors import HerculesError, InputError, require

logger = logging.getLogger(__name__)

ASSETS = Path(__file__).parent / "assets"


class Explorer:
    """Runs loaded in this app (by id), the background job runner and the app's settings."""

    def __init__(
        self,
        *,
        workdir: Path,
        limits: UploadLimits,
        l0_threshold: int,
        model_options: Mapping[str, Any],
    ) -> None:
        self.workdir = workdir
        self.limits = limits
        self.l0_threshold = l0_threshold
        self.model_options = dict(model_options)
        self.jobs = JobRunner()
        self.thumbnails = ThumbnailCache()
        self.url_prefix = "/"
        self.images_available = False  # set by make_app: the images extra is importable
        self._runs: dict[str, tuple[str, RunView]] = {}
        self._lock = threading.Lock()

    def add(self, view: RunView, label: str | None = None) -> str:
        with self._lock:
            run_id = f"run-{len(self._runs) + 1}"
            items = view.tree.n_items
            name = Path(view.source).name or view.source
            self._runs[run_id] = (label or f"{name} ({items} items)", view)
        # Silhouettes take seconds on large runs: start them now, not when the page asks.
        threading.Thread(target=view.metrics, name=f"metrics-{run_id}", daemon=True).start()
        return run_id

    def add_path(
        self, path: str | Path, *, ground_truth: list[Any] | None = None, label: str | None = None
    ) -> str:
        view = RunView.open(path)
        view.ground_truth = ground_truth
        return self.add(view, label)

    def get(self, run_id: str | None) -> RunView | None:
        if not run_id:
            return None
        with self._lock:
            entry = self._runs.get(run_id)
        return entry[1] if entry else None

    def options(self) -> list[dict[str, str]]:
        with self._lock:
            return [{"label": label, "value": rid} for rid, (label, _) in self._runs.items()]

    def first(self) -> str | None:
        with self._lock:
            return next(iter(self._runs), None)

    def image_url(self, run_id: str | None) -> Any:
        """``(item id, size) -> URL`` for the summary pane of an image run, else None."""
        view = self.get(run_id)
        if run_id is None or view is None or not view.is_image_run or not pillow_available():
            return None
        return lambda item_id, size: thumbnail_url(self.url_prefix, run_id, item_id, size)

    def thumbnail(self, run_id: str, item_id: str, size: int) -> tuple[bytes, str] | None:
        """A loaded run's item image, downscaled; None when there is no such image item."""
        view = self.get(run_id)
        if view is None or size not in SIZES:
            return None
        index = view.item_index(item_id)
        path = view.image_path(index) if index is not None else None
        if index is None or path is None:
            return None
        return self.thumbnails.get(run_id, index, size, path)

    def start_run(
        self,
        contents: list[str],
        names: list[str],
        *,
        labels: tuple[str, str] | None,
        params: dict[str, Any],
        column: str | None,
        topic_seed: str | None,
        backends: Backends | None = None,
        embeddings: tuple[str, str] | None = None,
    ) -> Job:
        """Check the request cheaply here (so errors show at once), then fit in a worker."""
        from hercules.app.run_callbacks import run_job

        if not contents:
            raise InputError("No data uploaded yet: drop files on the upload area first.")
        if backends is not None and backends.embedder == "precomputed" and embeddings is None:
            raise InputError(
                "Precomputed embeddings chosen but no .npy file uploaded; drop one on the "
                "embeddings upload area, or pick another embedder."
            )
        approx = sum(len(c) * 3 // 4 for c in [*contents, *(embeddings or ())[:1]])
        if approx > self.limits.max_bytes:
            raise too_large(approx, self.limits)
        return self.jobs.start(
            lambda job: run_job(
                self,
                job,
                contents=contents,
                names=names,
                labels=labels,
                params=params,
                column=column,
                topic_seed=topic_seed,
                backends=backends or Backends(),
                embeddings=embeddings,
            )
        )


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
    from hercules.app import callbacks, layout, run_callbacks

    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="hercules-app-"))
    explorer = Explorer(
        workdir=Path(workdir),
        limits=limits or UploadLimits(),
        l0_threshold=l0_threshold,
        model_options=model_options or {},
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
