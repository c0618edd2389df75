"""The state of one explorer app: its loaded runs, its background jobs and its settings.

Nothing here is global, and nothing imports Dash: the callbacks receive this object, and
:func:`hercules.app.server.make_app` builds one per app.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hercules.app.backends import Backends
from hercules.app.jobs import Job, JobRunner
from hercules.app.runview import RunView
from hercules.app.thumbnails import SIZES, ThumbnailCache, pillow_available, thumbnail_url
from hercules.app.uploads import UploadLimits, too_large
from hercules.errors import InputError

# The fit run for an upload: (explorer, job, **request) -> id of the run it added.
RunJob = Callable[..., str]


class Explorer:
    """Runs loaded in this app (by id), the background job runner and the app's settings."""

    def __init__(
        self,
        *,
        workdir: Path,
        limits: UploadLimits,
        l0_threshold: int,
        model_options: Mapping[str, Any],
        run_job: RunJob,
    ) -> None:
        self.workdir = workdir
        self.limits = limits
        self.l0_threshold = l0_threshold
        self.model_options = dict(model_options)
        self.run_job = run_job  # the worker body of start_run (hercules.app.run_callbacks)
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

    def labelling(self, run_id: str | None) -> bool:
        """True while a job of this app is still writing the run ``run_id`` (its draft): a
        title edited now would be overwritten by the job's next save."""
        return run_id is not None and any(j.draft_run_id == run_id for j in self.jobs.running())

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
            lambda job: self.run_job(
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
