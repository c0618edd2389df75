"""A read-only view of one saved run, shaped for the explorer (no web code, no clustering).

Everything here goes through the library's public API: :meth:`hercules.Hercules.load_model`,
``model.tree_`` and its :class:`~hercules.Cluster` objects, ``model.corpus_``,
:meth:`~hercules.Hercules.evaluate_level`,
:meth:`~hercules.Hercules.get_cluster_membership_dataframe`, and for a title set by hand
:meth:`~hercules.Hercules.set_title` and :meth:`~hercules.Hercules.save_model`.

Nodes are addressed by a *key* ``"L<level>:<index>"`` (index within the level), which is
stable for a saved run and safe to put in HTML ids and URLs.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hercules import Cluster, ClusterTree, Hercules, ParameterError
from hercules.edits import EDITED_SYMBOL
from hercules.errors import HerculesError, RunDirectoryError
from hercules.params import to_saved

logger = logging.getLogger(__name__)

_KEY = re.compile(r"^L(\d{1,3}):(\d{1,12})$")
# Beside a title set by hand, wherever the explorer and the report show one.
EDITED_MARK = EDITED_SYMBOL
EDITED_HELP = "title edited by hand"


ALSO_CONSIDERED = 4  # other titles the namer weighed, shown beside a cluster's title
ALSO_CONSIDERED_HELP = "other titles the namer weighed, best first"


def also_considered(node: Cluster, limit: int = ALSO_CONSIDERED) -> list[str]:
    """Up to ``limit`` titles the namer weighed for ``node`` besides the one it has."""
    return [t for t in node.title_candidates if t != node.title][:limit]


def node_key(node: Cluster) -> str:
    return f"L{node.level}:{node.index}"


def parse_key(key: str) -> tuple[int, int]:
    """``"L2:5"`` -> ``(2, 5)``; raises ValueError naming the bad key."""
    match = _KEY.match(str(key))
    if match is None:
        raise ValueError(f"not a node key: {key!r}; expected 'L<level>:<index>' such as 'L1:0'")
    return int(match.group(1)), int(match.group(2))


@dataclass
class RunView:
    """A loaded run plus cached, display-ready summaries of it."""

    model: Hercules
    source: str
    ground_truth: list[Any] | None = None
    _metrics: list[dict[str, Any]] | None = field(default=None, repr=False)
    _metrics_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _item_index: dict[str, int] | None = field(default=None, repr=False)
    _payload: str | None = field(default=None, repr=False)
    _edit_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # ------------------------------------------------------------------ loading
    @classmethod
    def open(cls, path: str | Path) -> RunView:
        """Load ``path`` as a run; a foreign or damaged folder raises RunDirectoryError."""
        try:
            model = Hercules.load_model(path)
        except HerculesError:
            raise
        except Exception as exc:  # parquet/npy decoding errors surface as many types
            raise RunDirectoryError(
                f"{path} could not be read as a HERCULES run ({type(exc).__name__}: {exc}); "
                "give a folder written by `hercules run --out` or save_model()."
            ) from exc
        if model.tree_.top_level < 1:
            raise RunDirectoryError(f"{path} holds no cluster level above the items; re-run it.")
        return cls(model=model, source=str(path), _payload=_saved_payload(path))

    def refresh(self) -> bool:
        """Reload the run if its folder was saved again since it was opened (a run whose
        titles the LLM is still writing); True when it changed. The structure of such a run
        stays the same, so cached metrics are kept."""
        payload = _saved_payload(self.source)
        if payload is None or payload == self._payload:
            return False
        try:
            model = Hercules.load_model(self.source)
        except Exception as exc:  # mid-write or damaged: keep showing what we have
            logger.info("Could not reload %s yet: %s", self.source, exc)
            return False
        self.model, self._payload, self._item_index = model, payload, None
        return True

    def set_title(self, key: str, title: str, description: str | None = None) -> Cluster:
        """Title node ``key`` by hand (:meth:`hercules.Hercules.set_title`) and save the run
        in its folder. A bad title raises :class:`~hercules.ParameterError`; a save that fails
        raises and leaves the run as it was on disk, reloaded."""
        with self._edit_lock:
            node = self.node(key)
            if node.level < 1:
                raise ParameterError(
                    f"{key} is an item; only clusters have titles to edit. Select a cluster."
                )
            edited = self.model.set_title(node.id, title, description)
            try:
                self.model.save_model(self.source)
            except Exception:
                try:  # drop the unsaved edit: show what the folder holds
                    self.model = Hercules.load_model(self.source)
                except Exception as exc:
                    logger.warning("Could not reload %s after a failed save: %s", self.source, exc)
                raise
            self._payload = _saved_payload(self.source)
            return edited

    @property
    def tree(self) -> ClusterTree:
        return self.model.tree_

    @property
    def top_level(self) -> int:
        return self.tree.top_level

    def node(self, key: str) -> Cluster:
        level, index = parse_key(key)
        return self.tree.node(level, index)

    def has(self, key: str | None) -> bool:
        if not key:
            return False
        try:
            self.node(key)
        except (ValueError, IndexError):
            return False
        return True

    # ------------------------------------------------------------------ structure
    def ancestors(self, node: Cluster) -> list[Cluster]:
        """Parent first, top level last."""
        out = []
        parent = node.parent
        while parent is not None:
            out.append(parent)
            parent = parent.parent
        return out

    def lineage_mask(self, key: str | None, level: int) -> np.ndarray | None:
        """Boolean mask over ``level``'s nodes: the selected node, its ancestors, descendants."""
        if not self.has(key):
            return None
        assert key is not None
        node = self.node(key)
        n = len(self.tree.levels[level])
        mask = np.zeros(n, dtype=bool)
        if level == node.level:
            mask[node.index] = True
        elif level > node.level:
            for anc in self.ancestors(node):
                if anc.level == level:
                    mask[anc.index] = True
        else:
            # Descendants at a lower level: nodes whose ancestor at node.level is this node.
            mask[:] = self.ancestor_index(level, node.level) == node.index
        return mask

    def ancestor_index(self, level: int, upper: int) -> np.ndarray:
        """For each node of ``level``, the index of its ancestor at ``upper`` (>= level)."""
        idx = np.arange(len(self.tree.levels[level]))
        for lvl in range(level, upper):
            parent = self.tree.levels[lvl].parent
            assert parent is not None
            idx = parent[idx]
        return idx

    def group_of(self, level: int) -> np.ndarray:
        """Colour group of each node of ``level``: its ancestor at level 1 (the finest)."""
        if level >= 1:
            return np.arange(len(self.tree.levels[level]))
        return self.ancestor_index(0, 1)

    # ------------------------------------------------------------------ search
    def search(self, query: str, *, limit: int = 50) -> list[Cluster]:
        """Clusters (level >= 1) whose title or description contains every word of ``query``."""
        words = [w for w in query.lower().split() if w]
        if not words:
            return []
        hits: list[Cluster] = []
        for lvl in range(self.top_level, 0, -1):
            data = self.tree.levels[lvl]
            for i, (title, desc) in enumerate(zip(data.titles, data.descriptions, strict=True)):
                text = f"{title}\n{desc}".lower()
                if all(w in text for w in words):
                    hits.append(self.tree.node(lvl, i))
                    if len(hits) >= limit:
                        return hits
        return hits

    # ------------------------------------------------------------------ summaries
    def representatives(self, node: Cluster, count: int = 5) -> list[tuple[Any, str]]:
        """(item id, text) of the items nearest the node's vector, nearest first."""
        members = node.member_indices
        if len(members) == 0:
            return []
        vectors = self.tree.levels[0].representation[members]
        dist = ((vectors - node.representation_vector) ** 2).sum(axis=1)
        best = members[np.argsort(dist, kind="stable")[:count]]
        return [(self.tree.levels[0].ids[i], self.item_text(int(i))) for i in best]

    def item_text(self, index: int, limit: int = 2000) -> str:
        text = self.model.corpus_.item_text(index)
        return text if len(text) <= limit else text[:limit] + " …"

    @property
    def is_image_run(self) -> bool:
        return self.model.corpus_.image_paths is not None

    def item_index(self, item_id: str) -> int | None:
        """Position of the level-0 item whose id is ``item_id`` (as text), or None."""
        if self._item_index is None:
            index: dict[str, int] = {}
            for i, value in enumerate(self.tree.levels[0].ids):
                index.setdefault(str(value), i)
            self._item_index = index
        return self._item_index.get(str(item_id))

    def image_path(self, index: int) -> Path | None:
        """The image file of item ``index`` of an image run; None for other runs."""
        paths = self.model.corpus_.image_paths
        if paths is None or not 0 <= index < len(paths):
            return None
        return Path(paths[index])

    def numeric_stats(self, node: Cluster) -> pd.DataFrame | None:
        """Per numeric column: cluster mean/std/min/max next to the overall mean."""
        frame = self.model.corpus_.numeric
        if frame is None:
            return None
        part = frame.iloc[node.member_indices]
        return pd.DataFrame(
            {
                "column": [str(c) for c in frame.columns],
                "mean": part.mean().to_numpy(),
                "std": part.std(ddof=0).to_numpy(),
                "min": part.min().to_numpy(),
                "max": part.max().to_numpy(),
                "overall mean": frame.mean().to_numpy(),
            }
        )

    def overview(self) -> dict[str, Any]:
        tree = self.tree
        saved = to_saved(self.model.get_params(deep=False))  # what the run directory holds
        params = {k: v for k, v in saved.items() if v is not None}
        return {
            "source": self.source,
            "modality": tree.modality,
            "items": tree.n_items,
            "levels": self.top_level,
            "clusters_per_level": {
                lvl: len(tree.levels[lvl]) for lvl in range(1, self.top_level + 1)
            },
            "topic_seed": getattr(self.model, "topic_seed_", None),
            "parameters": params,
        }

    def metrics(self) -> list[dict[str, Any]]:
        """``evaluate_level`` for every level (cached); topic alignment is left out."""
        with self._metrics_lock:
            return self._compute_metrics()

    def _compute_metrics(self) -> list[dict[str, Any]]:
        if self._metrics is None:
            out: list[dict[str, Any]] = []
            for lvl in range(1, self.top_level + 1):
                try:
                    # topic_seed="" skips topic alignment, which would load a text embedder.
                    out.append(
                        dict(self.model.evaluate_level(lvl, self.ground_truth, topic_seed=""))
                    )
                except HerculesError as exc:
                    logger.warning("metrics for level %d failed: %s", lvl, exc)
                    out.append({"level": lvl, "error": str(exc)})
            self._metrics = out
        return self._metrics

    # ------------------------------------------------------------------ exports
    def membership(self) -> pd.DataFrame:
        return self.model.get_cluster_membership_dataframe()

    def membership_csv(self) -> str:
        return self.membership().to_csv(index=False)

    def membership_parquet(self) -> bytes:
        buffer = io.BytesIO()
        frame = self.membership()
        frame["item_id"] = frame["item_id"].astype(str)
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()

    def evaluation_json(self) -> str:
        return json.dumps(self.metrics(), indent=2, default=_json_default)

    def hierarchy_text(self) -> str:
        return self.model.format_hierarchy(max_level0=0)

    def run_archive(self) -> bytes:
        """The run directory as a zip, re-saved from the loaded model (same format)."""
        import tempfile

        buffer = io.BytesIO()
        with tempfile.TemporaryDirectory(prefix="hercules-export-") as tmp:
            out = Path(tmp) / "run"
            self.model.save_model(out)
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(out.rglob("*")):
                    if path.is_file():
                        archive.write(path, Path("run") / path.relative_to(out))
        return buffer.getvalue()


def _saved_payload(path: str | Path) -> str | None:
    """The payload folder the run's manifest points at (it changes on every save)."""
    try:
        return str(json.loads((Path(path) / "manifest.json").read_text())["payload"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def level_frame(view: RunView, level: int, reduction: str = "representation_pca") -> pd.DataFrame:
    """One row per node of ``level``: key, id, title, size and 2-D coordinates."""
    data = view.tree.levels[level]
    xy = data.reductions.get(reduction)
    if xy is None:
        xy = data.reductions.get("representation_pca")
    if xy is None:
        xy = np.zeros((len(data), 2), dtype=np.float32)
    return pd.DataFrame(
        {
            "key": [f"L{level}:{i}" for i in range(len(data))],
            "id": [str(i) for i in data.ids],
            "title": list(data.titles),
            "edited": (
                np.zeros(len(data), dtype=bool)
                if data.title_edited is None
                else np.asarray(data.title_edited, dtype=bool)
            ),
            "size": np.asarray(data.num_items, dtype=np.int64),
            "x": xy[:, 0].astype(float),
            "y": xy[:, 1].astype(float) if xy.shape[1] > 1 else np.zeros(len(data)),
            "group": view.group_of(level),
        }
    )


def truncate(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer | np.floating):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
