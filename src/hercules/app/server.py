"""The app factory. All state lives in one :class:`Explorer` per app; nothing is global."""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hercules.app.jobs import Job, JobRunner
from hercules.app.runview import RunView
from hercules.app.uploads import UploadLimits
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

    def start_run(
        self,
        contents: list[str],
        names: list[str],
        *,
        labels: tuple[str, str] | None,
        params: dict[str, Any],
        column: str | None,
        topic_seed: str | None,
    ) -> Job:
        """Check the request cheaply here (so errors show at once), then fit in a worker."""
        from hercules.app.run_callbacks import run_job

        if not contents:
            raise InputError("No data uploaded yet: drop files on the upload area first.")
        approx = sum(len(c) * 3 // 4 for c in contents)
        if approx > self.limits.max_bytes:
            raise InputError(
                f"The upload is about {approx / 1e6:.1f} MB, over this app's "
                f"{self.limits.max_bytes / 1e6:.0f} MB limit; upload a sample, or use the "
                "`hercules run` CLI for large data."
            )
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

    def serve_layout() -> Any:
        return layout.page(explorer.options(), explorer.first(), error, explorer.limits.max_bytes)

    app.layout = serve_layout
    callbacks.register(app, explorer)
    run_callbacks.register(app, explorer)
    app.explorer = explorer  # for tests and embedding; not read by the callbacks
    return app
