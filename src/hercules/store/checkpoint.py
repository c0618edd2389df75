"""Checkpoint a run after each level and resume it after a crash or ``kill -9``.

The checkpoint is an ordinary run directory (written atomically by :mod:`hercules.store.run`)
whose ``run.json`` carries ``checkpoint.fingerprint``: a hash of the data, the level-0 vectors,
the parameters, the topic seed and the labeller. A rerun with the same fingerprint continues
from the last finished level; anything else starts over. k-means seeds depend only on the level
number and the LLM answers come from the call cache, so a resumed run equals an uninterrupted one.
``checkpoint.labelled`` counts the levels (from 1) whose titles are final: in ``direct`` mode the
whole hierarchy is saved first with keyword titles, then again after each level the LLM titles
(so the saved run is a readable draft from the start). Its ``llm_log.jsonl`` holds every model
call of the run so far, written in the same atomic save as the tree.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hercules.data.dataset import Corpus
from hercules.errors import RunDirectoryError
from hercules.params import to_saved
from hercules.reduce import add_reductions
from hercules.store.run import edited_titles, load_run, read_items, read_log, save_run
from hercules.tree import ClusterTree, Level

logger = logging.getLogger(__name__)


def fingerprint(
    corpus: Corpus, level0: Level, params: dict[str, Any], topic_seed: str | None, labeller: str
) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(params, sort_keys=True, default=str).encode())
    digest.update(json.dumps([topic_seed, labeller]).encode())
    digest.update(data_digest(corpus).encode())
    digest.update(np.ascontiguousarray(level0.representation).tobytes())
    return digest.hexdigest()


def data_digest(corpus: Corpus) -> str:
    """A hash of the items alone (modality, ids, contents): "is this run of the same data?"."""
    digest = hashlib.sha256()
    digest.update(json.dumps(corpus.modality).encode())
    digest.update(json.dumps([str(i) for i in corpus.ids]).encode())
    for i in range(len(corpus)):
        digest.update(corpus.item_text(i).encode("utf-8", errors="surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


def refuse_other_data(path: str | os.PathLike[str], corpus: Corpus, what: str = "--out") -> None:
    """Raise if ``path`` holds a saved run of other items, or one with titles set by hand,
    which a new run would replace (pass ``--overwrite`` to replace it)."""
    root = Path(path)
    if not (root / "manifest.json").is_file():
        return
    try:
        saved = read_items(root)
        edited = edited_titles(root)
    except RunDirectoryError:
        saved, edited = None, 0
    if saved is not None and data_digest(saved) == data_digest(corpus) and not edited:
        return
    if saved is None:
        held = "a damaged run"
    elif edited:
        held = f"a run with {edited} title(s) edited by hand, which a new run would replace"
    else:
        held = f"a run of other data ({len(saved)} items)"
    raise RunDirectoryError(
        f"{what} {str(root)!r} already holds {held}; pass --overwrite to replace it, or choose "
        f"another {what}."
    )


class Checkpoint:
    def __init__(self, path: str | os.PathLike[str], fingerprint: str) -> None:
        self.path = Path(path)
        self.fingerprint = fingerprint

    def load(self) -> tuple[ClusterTree | None, list[dict[str, Any]], int]:
        """The last checkpointed tree of this very run, its call log and its count of levels
        with final titles; else ``(None, [], 0)``."""
        if not (self.path / "manifest.json").is_file():
            return None, [], 0
        try:
            tree, _, info = load_run(self.path)
        except RunDirectoryError as exc:
            logger.warning("Ignoring unreadable checkpoint in %s: %s", self.path, exc)
            return None, [], 0
        state = info.get("checkpoint") or {}
        if state.get("fingerprint") != self.fingerprint:
            logger.info("Checkpoint in %s is for another run; starting over.", self.path)
            return None, [], 0
        labelled = int(state.get("labelled", tree.top_level))
        logger.info(
            "Resuming from the checkpoint in %s at level %d (%d titled)",
            self.path,
            tree.top_level,
            labelled,
        )
        return tree, read_log(self.path), labelled

    def save(
        self,
        tree: ClusterTree,
        corpus: Corpus,
        params: dict[str, Any],
        extra: dict[str, Any],
        log: list[dict[str, Any]],
        labelled: int | None = None,
        projections: dict[str, Any] | None = None,
    ) -> None:
        state = {
            "fingerprint": self.fingerprint,
            "level": tree.top_level,
            "labelled": tree.top_level if labelled is None else labelled,
        }
        save_run(
            self.path,
            tree,
            corpus,
            params=params,
            extra=extra | {"checkpoint": state},
            projections=projections or {},
            log=log,
        )


@dataclass(frozen=True)
class Resume:
    """What :func:`hercules.builder.build_tree` takes from a checkpoint: ``on_level`` saves after
    each level, ``start`` is the tree to resume with ``labelled`` levels titled (all ``None``
    without a checkpoint), ``fingerprint`` stamps the run."""

    on_level: Callable[[ClusterTree, int], None] | None = None
    start: ClusterTree | None = None
    labelled: int | None = None
    fingerprint: str | None = None


def checkpointing(
    path: str | os.PathLike[str] | None,
    corpus: Corpus,
    level0: Level,
    params: Mapping[str, Any],
    topic_seed: str | None,
    summarizer: Any,
) -> Resume:
    """Open the checkpoint of this run in ``path`` (``None``: no checkpoint, nothing to resume).
    ``params`` are the model's (``get_params()``); those of the ``"model"`` role are
    fingerprinted and saved. The old call log is put back in front of ``summarizer.call_log``.

    ``on_level(tree, titled)`` saves the run; the first save of a whole keyword-titled draft adds
    its 2-D views (seeded by ``random_state``), so the draft opens in the explorer."""
    if path is None:
        return Resume()
    seed = int(params["random_state"])
    shaping = to_saved(params, roles=("model",))
    label_id = str(getattr(summarizer, "model_id", type(summarizer).__name__))
    point = Checkpoint(path, fingerprint(corpus, level0, shaping, topic_seed, label_id))
    start, old_log, labelled = point.load()
    log = getattr(summarizer, "call_log", None)
    if isinstance(log, list) and old_log:
        log[:0] = old_log
    views: dict[str, Any] = {}

    def save(tree: ClusterTree, titled: int) -> None:
        if not views and tree.top_level > titled:  # the draft: views make it openable
            views.update(add_reductions(tree, seed=seed))
        extra = {"topic_seed": topic_seed}
        point.save(tree, corpus, shaping, extra, list(log or []), titled, views)

    return Resume(save, start, labelled, point.fingerprint)
