"""A fitted :class:`~hercules.Hercules` to and from a run directory: which fitted attributes a
run holds (the tree, the items, the topic seed, the numeric scaling, the PCA projections, the
map layout, the model-call log and the checkpoint stamp) and how they are put back. Files:
:mod:`.run`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hercules.map_layout import MapLayout
from hercules.store.run import (
    load_run,
    projections_from_info,
    read_layout,
    read_log,
    save_run,
    saved_item_count,
    write_layout,
)
from hercules.tree import ClusterTree


def save_fitted(path: str | os.PathLike[str], model: Any, params: dict[str, Any]) -> None:
    """Save ``model`` (fitted, or loaded) with ``params`` as one run, in one atomic swap."""
    tree: ClusterTree = model.tree_
    extra: dict[str, Any] = {"topic_seed": model.topic_seed_, "numeric_scaler": _scaler(model)}
    fingerprint = getattr(model, "checkpoint_fingerprint_", None)
    if fingerprint:
        # Saved where the run checkpointed: a rerun of the same command reuses it whole.
        extra["checkpoint"] = {
            "fingerprint": fingerprint,
            "level": tree.top_level,
            "complete": True,
        }
    save_run(
        path,
        tree,
        model.corpus_,
        params=params,
        extra=extra,
        projections=model.projections_,
        log=_call_log(model),
        layout=_layout(model),
    )


def _layout(model: Any) -> tuple[np.ndarray, dict[str, Any]] | None:
    layout: MapLayout | None = getattr(model, "layout_", None)
    if layout is None or len(layout) != model.tree_.n_items:
        return None
    return layout.xy, layout.to_info()


def save_layout(model: Any) -> bool:
    """Add ``model.layout_`` to the run it was loaded from, if that run still holds the same
    items (not after ``predict(append=True)``: a later save_model writes it whole). True when
    written."""
    source = getattr(model, "_run_source", None)
    layout = _layout(model)
    if source is None or layout is None:
        return False
    if saved_item_count(source) != model.tree_.n_items:
        return False
    write_layout(source, *layout)
    return True


def _call_log(model: Any) -> list[dict[str, Any]] | None:
    """The calls that built the run: this fit's, or those saved with the run it was loaded
    from (a re-save after ``predict(append=True)`` or ``relabel`` keeps them)."""
    summarizer = getattr(model, "summarizer_", None)
    if summarizer is not None:
        log = getattr(summarizer, "call_log", None)
        return list(log) if log else None
    source = getattr(model, "_run_source", None)
    return (read_log(source) or None) if source is not None else None


def _scaler(model: Any) -> dict[str, list[float]] | None:
    scaler = getattr(model, "numeric_scaler_", None)
    if scaler is None:
        return None
    return {"mean": scaler[0].tolist(), "scale": scaler[1].tolist()}


@dataclass
class SavedRun:
    """A run read back: the saved parameters, and :meth:`restore` for the fitted attributes."""

    path: Path
    params: dict[str, Any]
    tree: ClusterTree
    corpus: Any
    info: dict[str, Any]
    layout: MapLayout | None = None

    def restore(self, model: Any) -> Any:
        """Set the fitted attributes of ``model`` (a new estimator) from this run."""
        tree, info = self.tree, self.info
        model.tree_ = tree
        model.corpus_ = self.corpus
        model.topic_seed_ = info.get("topic_seed")
        if info.get("numeric_scaler"):
            scaler = info["numeric_scaler"]
            model.numeric_scaler_ = (np.asarray(scaler["mean"]), np.asarray(scaler["scale"]))
        model.projections_ = projections_from_info(info)
        model.labels_ = {lvl: tree.cluster_ids(lvl) for lvl in range(1, tree.top_level + 1)}
        model.layout_ = self.layout
        model._run_source = self.path
        return model


def load_fitted(path: str | os.PathLike[str]) -> SavedRun:
    tree, corpus, info = load_run(path)
    saved = read_layout(path)
    layout = MapLayout.from_saved(*saved) if saved is not None else None
    return SavedRun(Path(path), dict(info["params"]), tree, corpus, info, layout)
