"""Callbacks of the 'New run' tab: upload, configure, run in the background, cancel, poll."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dash import Dash, Input, Output, State, html, no_update

from hercules.app.backends import (
    APP_LABELLER,
    Backends,
    check_pairing,
    hercules_options,
    load_embeddings,
    parse_backends,
)
from hercules.app.jobs import Job, job_folder
from hercules.app.layout import NPY_PROMPT
from hercules.app.uploads import (
    IMAGE_SUFFIXES,
    count_items,
    read_labels,
    save_uploads,
    upload_kind,
)
from hercules.errors import HerculesError, InputError
from hercules.params import default, parse_levels

if TYPE_CHECKING:
    from hercules.app.explorer import Explorer


def model_params(
    levels: str | None,
    mode: str | None,
    resample: list[str] | None,
    steps: Any,
    points: Any,
    reps: Any,
    max_levels: Any,
    seed: Any,
    labeller: str | None = APP_LABELLER,
    engine: str | None = "auto",
) -> dict[str, Any]:
    """The form's values as Hercules keyword arguments (validated again by the estimator).

    ``labeller`` "openai" is left out here: :func:`hercules.app.backends.hercules_options`
    turns it into the ``labeller`` name of that server.
    """
    params = {
        "level_cluster_counts": parse_levels(levels),
        "representation_mode": mode or default("representation_mode"),
        "use_resampling": bool(resample),
        "resampling_steps": int(steps) if steps is not None else default("resampling_steps"),
        "resampling_points_per_cluster": int(points) if points else None,
        "n_representatives": int(reps) if reps else default("n_representatives"),
        "max_levels": int(max_levels) if max_levels else default("max_levels"),
        "random_state": int(seed) if seed is not None else default("random_state"),
        "labeller": labeller or APP_LABELLER,
        "engine": engine or default("engine"),
    }
    if labeller == "openai":
        del params["labeller"]
    return params


def register(app: Dash, explorer: Explorer) -> None:
    @app.callback(
        Output("upload-data-text", "children"),
        Output("opt-embedder", "value"),
        Input("upload-data", "filename"),
        State("opt-embedder", "value"),
    )
    def show_files(names: list[str] | None, embedder: str | None) -> Any:
        if not names:
            return "Drop data files here or click to choose", no_update
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        images = all(Path(str(n)).suffix.lower() in IMAGE_SUFFIXES for n in names)
        switch = images and embedder == "minilm" and explorer.images_available
        return f"Selected: {shown}", "efficientnet" if switch else no_update

    @app.callback(
        Output("upload-embeddings-text", "children"),
        Input("upload-embeddings", "filename"),
    )
    def show_embeddings(name: str | None) -> Any:
        return f"Embeddings: {name}" if name else NPY_PROMPT

    @app.callback(
        Output("npy-box", "style"),
        Output("embed-endpoint", "style"),
        Output("llm-endpoint", "style"),
        Input("opt-embedder", "value"),
        Input("opt-labeller", "value"),
    )
    def show_backend_fields(embedder: str | None, labeller: str | None) -> Any:
        def shown(flag: bool) -> dict[str, str]:
            return {} if flag else {"display": "none"}

        return (
            shown(embedder == "precomputed"),
            shown(embedder == "openai"),
            shown(labeller == "openai"),
        )

    @app.callback(
        Output("upload-labels-text", "children"),
        Input("upload-labels", "filename"),
    )
    def show_labels(name: str | None) -> Any:
        return f"Labels: {name}" if name else "Optional ground-truth labels (.txt, one per line)"

    @app.callback(
        Output("job-id", "data"),
        Output("job-poll", "disabled"),
        Output("job-status", "children"),
        Input("run-start", "n_clicks"),
        State("upload-data", "contents"),
        State("upload-data", "filename"),
        State("upload-labels", "contents"),
        State("upload-labels", "filename"),
        State("opt-column", "value"),
        State("opt-topic", "value"),
        State("opt-levels", "value"),
        State("opt-mode", "value"),
        State("opt-resample", "value"),
        State("opt-resample-steps", "value"),
        State("opt-resample-points", "value"),
        State("opt-reps", "value"),
        State("opt-max-levels", "value"),
        State("opt-seed", "value"),
        State("opt-labeller", "value"),
        State("opt-engine", "value"),
        State("opt-embedder", "value"),
        State("opt-embed-url", "value"),
        State("opt-embed-model", "value"),
        State("opt-llm-url", "value"),
        State("opt-llm-model", "value"),
        State("upload-embeddings", "contents"),
        State("upload-embeddings", "filename"),
        prevent_initial_call=True,
    )
    def start(
        clicks: int,
        contents: list[str] | None,
        names: list[str] | None,
        label_contents: str | None,
        label_name: str | None,
        column: str | None,
        topic: str | None,
        *form: Any,
    ) -> Any:
        if not clicks:
            return no_update, no_update, no_update
        *params_form, embedder, embed_url, embed_model, llm_url, llm_model, npy, npy_name = form
        try:
            params = model_params(*params_form)
            backends = parse_backends(
                embedder,
                embed_url,
                embed_model,
                params_form[-2],
                llm_url,
                llm_model,
                with_images=explorer.images_available,
            )
            job = explorer.start_run(
                contents or [],
                names or [],
                labels=(label_contents, label_name or "labels.txt") if label_contents else None,
                params=params,
                column=(column or "").strip() or None,
                topic_seed=(topic or "").strip() or None,
                backends=backends,
                embeddings=(npy, npy_name or "embeddings.npy")
                if npy and backends.embedder == "precomputed"
                else None,
            )
        except HerculesError as exc:
            return no_update, True, html.Div(str(exc), className="error", id="job-error")
        return job.job_id, False, html.Div(f"Run {job.job_id} started", className="running")

    @app.callback(
        Output("job-log", "children", allow_duplicate=True),
        Input("run-cancel", "n_clicks"),
        State("job-id", "data"),
        prevent_initial_call=True,
    )
    def cancel(clicks: int, job_id: str | None) -> Any:
        job = explorer.jobs.get(job_id)
        if not clicks or job is None or job.finished:
            return no_update
        job.cancel()
        return "\n".join(job.snapshot()["log"])

    @app.callback(
        Output("job-status", "children", allow_duplicate=True),
        Output("job-log", "children"),
        Output("job-poll", "disabled", allow_duplicate=True),
        Output("run-select", "options"),
        Output("run-select", "value"),
        Input("job-poll", "n_intervals"),
        State("job-id", "data"),
        prevent_initial_call=True,
    )
    def poll(_n: int, job_id: str | None) -> Any:
        job = explorer.jobs.get(job_id)
        if job is None:
            return no_update, no_update, True, no_update, no_update
        snap = job.snapshot()
        status = _status(snap)
        log = "\n".join(snap["log"])
        if snap["state"] == "done":
            return status, log, True, explorer.options(), snap["run_id"]
        if snap["state"] in {"failed", "cancelled"}:
            return status, log, True, no_update, no_update
        if live_update(explorer, job):  # show the draft, then each level's new titles
            return status, log, False, explorer.options(), snap["draft_run_id"]
        return status, log, False, no_update, no_update


def live_update(explorer: Explorer, job: Job) -> bool:
    """True when the page should (re)show the job's draft run: the first time it exists, and
    each time the run folder was saved again with new titles."""
    run_id = job.draft_run_id
    view = explorer.get(run_id)
    if view is None:
        return False
    first = not job.draft_shown
    job.draft_shown = True
    return view.refresh() or first


def _status(snap: dict[str, Any]) -> html.Div:
    rows = []
    for stage, (done, total) in snap["stages"].items():
        pct = 100 * done / total if total else 100
        eta = snap.get("eta", {}).get(stage)
        left = f", about {_duration(eta)} left" if eta is not None else ""
        rows.append(
            html.Div(
                [
                    html.Span(stage, className="stage"),
                    html.Progress(value=str(done), max=str(max(total, 1))),
                    html.Span(f"{done}/{total} ({pct:.0f}%{left})"),
                ],
                className="stage-row",
            )
        )
    head = f"Run {snap['job_id']}: {snap['state']} after {snap['elapsed']} s"
    data_attrs: Any = {"data-state": snap["state"]}
    children: list[Any] = [html.Div(head, id="job-state", **data_attrs)]
    if snap["error"]:
        children.append(html.Div(snap["error"], className="error", id="job-error"))
    return html.Div(children + rows)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def run_job(explorer: Explorer, job: Job, **kwargs: Any) -> str:
    """Worker body: save uploads, check caps, fit, save the run, register it. Returns run id.

    Uploaded images are kept (in the job folder, beside the run) so the explorer can show
    them; other uploads are deleted once the run is saved.
    """
    from hercules import Hercules

    folder = job_folder(explorer.workdir, job.job_id)
    backends: Backends = kwargs.get("backends") or Backends()
    kept: Path | None = None
    try:
        data_path = save_uploads(
            kwargs["contents"], kwargs["names"], folder / "upload", explorer.limits
        )
        n_items = count_items(data_path)
        if n_items > explorer.limits.max_items:
            raise InputError(
                f"The upload holds about {n_items} items, over this app's limit of "
                f"{explorer.limits.max_items}; upload a sample or use the `hercules run` CLI."
            )
        job.note(f"upload saved: {data_path.name} (~{n_items} items)")
        embeddings = None
        if kwargs.get("embeddings") is not None:
            embeddings = load_embeddings(*kwargs["embeddings"])
            job.note(f"embeddings: {kwargs['embeddings'][1]} {embeddings.shape}")
        kind = upload_kind(data_path)
        names = kwargs["names"]
        check_pairing(
            backends,
            kind=kind,
            n_items=n_items,
            data_name=names[0] if len(names) == 1 else f"{len(names)} files",
            embeddings=embeddings,
            app_image="image_embedding_client" in explorer.model_options,
        )
        if kind == "image":  # keep the images where the saved run will point
            kept = folder / "items"
            data_path = data_path.rename(kept).resolve()
        truth = None
        if kwargs["labels"] is not None:
            truth = read_labels(*kwargs["labels"])
        options = hercules_options(
            backends, explorer.model_options, progress=job.progress, note=job.note
        )
        # The default labeller unless the form (or the app's model_options) picks another.
        params = {"labeller": APP_LABELLER, **kwargs["params"], **options}
        model = Hercules(**params, progress=job.progress)
        job.progress("Reading data", 0, 1)
        out = folder / "run"

        def show_draft(_tree: Any) -> None:
            # Saved already (checkpoint): open it now; the page reloads it as titles land.
            job.draft_run_id = explorer.add_path(
                out, ground_truth=truth, label=f"new run {job.job_id}"
            )
            job.note("hierarchy ready with keyword titles; the LLM's titles follow level by level")

        model.fit(
            str(data_path),
            column=kwargs["column"],
            topic_seed=kwargs["topic_seed"],
            embeddings=embeddings,
            checkpoint=out,
            on_draft=show_draft,
        )
        if truth is not None and len(truth) != model.tree_.n_items:
            raise InputError(
                f"The labels file has {len(truth)} lines but the data has "
                f"{model.tree_.n_items} items; give one label per item, in input order."
            )
        job.progress("Saving", 0, 1)
        model.progress = None
        model.save_model(out)
        job.progress("Saving", 1, 1)
    except BaseException:
        if kept is not None:
            shutil.rmtree(kept, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(folder / "upload", ignore_errors=True)
    view = explorer.get(job.draft_run_id)
    if view is not None and job.draft_run_id is not None:
        view.refresh()  # the draft's entry becomes the finished run
        return job.draft_run_id
    return explorer.add_path(out, ground_truth=truth, label=f"new run {job.job_id}")
