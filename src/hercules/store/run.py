"""The run directory: how a fitted run is written and read (not one giant JSON).

Layout (schema 1)::

    RUN/manifest.json               format, schema_version, hercules_version and the name of
                                    the current payload folder
    RUN/data-<id>/run.json          parameters, modality, per-level sizes, item id type, numeric
                                    metadata and scaling, PCA projections, topic seed, and for
                                    a checkpointed run ``checkpoint`` (fingerprint, level,
                                    labelled or complete: :mod:`hercules.store.checkpoint`)
    RUN/data-<id>/nodes.parquet     one row per node of every level (titles, parents, sizes,
                                    summary flags, title faithfulness, coverage and
                                    notes: hercules.title_quality, runs saved without
                                    coverage load with none; ``title_edited``, true where
                                    a person set the title: hercules.edits)
    RUN/data-<id>/items.parquet     level-0 items: id and raw content (text, path or values)
    RUN/data-<id>/L<l>.<space>.npy  vectors per level: representation, description, reductions
    RUN/data-<id>/llm_log.jsonl     one JSON record per model call of the run (empty if none)
    RUN/data-<id>/layout.npz        optional: the 2-D map of the level-0 items
                                    (:mod:`hercules.map_layout`): ``xy`` (n, 2) float32 in item
                                    order, and ``info``, the UTF-8 bytes of a JSON object
                                    (method, n_items, seed, ...); read without pickle
    RUN/llm_log.jsonl               the same file, hard-linked (or copied) beside the manifest
                                    for reading by hand; HERCULES reads the payload's copy

A save writes every file of the run into a fresh staging folder and fsyncs each file and the
folder, renames it to ``data-<id>``, then swaps ``manifest.json`` atomically (``os.replace``)
and fsyncs the run folder; only then are older payloads deleted and the log beside the
manifest refreshed. A crash or kill at any point leaves either the old run or the new one
readable, never a mix, and the next save removes what the kill left. Runs saved before the
log moved into the payload (their only log is ``RUN/llm_log.jsonl``) load unchanged, and runs
whose ``nodes.parquet`` has no ``title_edited`` column load with no title marked edited.

``layout.npz`` is the one file that may be added to a published payload: a run saved without
a map gets one the first time a map is drawn (:func:`write_layout`: written under a temporary
name in the payload, fsynced, then renamed in), so it is either whole or absent. A layout whose
length is not the run's item count is ignored (and drawn again), never trusted.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hercules._version import __version__
from hercules.data.dataset import MODALITIES, Corpus
from hercules.errors import RunDirectoryError
from hercules.reduce import PCAProjection
from hercules.store.durable import fsync_dir, json_default, save_npy, write_bytes, write_parquet
from hercules.tree import ClusterTree, Level

logger = logging.getLogger(__name__)

FORMAT = "hercules-run"
SCHEMA_VERSION = 1
LOG_FILE = "llm_log.jsonl"
LAYOUT_FILE = "layout.npz"
# What an interrupted save can leave behind; the next save into the folder removes it.
_LEFTOVER = re.compile(
    r"(\.staging-)?data-[0-9a-f]{12}|\.manifest-data-[0-9a-f]{12}\.json|\.llm_log\.jsonl\.tmp"
)


def save_run(
    path: str | os.PathLike[str],
    tree: ClusterTree,
    corpus: Corpus,
    *,
    params: dict[str, Any],
    extra: dict[str, Any],
    projections: dict[str, PCAProjection],
    log: list[dict[str, Any]] | None = None,
    layout: tuple[np.ndarray, dict[str, Any]] | None = None,
) -> Path:
    """Write the run (its model-call ``log``, its map ``layout`` as ``(xy, info)`` when it
    has one) to ``path`` in one atomic swap."""
    root = Path(path)
    _check_target(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        payload = f"data-{uuid.uuid4().hex[:12]}"
        staging = root / f".staging-{payload}"
        staging.mkdir()
    except OSError as exc:
        raise _unwritable(root, exc) from exc
    try:
        _write_payload(staging, tree, corpus, params, extra, projections)
        # Always, even empty: a payload without one is a run from before the log moved into
        # it, whose log is the one beside the manifest (read_log), and a save killed before
        # _publish_log leaves the previous run's log there.
        write_log(staging, log or [])
        if layout is not None:
            _write_layout_file(staging / LAYOUT_FILE, *layout)
        fsync_dir(staging)
        os.rename(staging, root / payload)
        manifest = {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "payload": payload,
            "hercules_version": __version__,
        }
        tmp = root / f".manifest-{payload}.json"
        write_bytes(tmp, json.dumps(manifest, indent=2).encode())
        os.replace(tmp, root / "manifest.json")
        fsync_dir(root)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            raise _unwritable(root, exc) from exc
        raise
    for old in root.iterdir():
        if old.name != payload and _LEFTOVER.fullmatch(old.name):
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    old.unlink()
    _publish_log(root, root / payload / LOG_FILE)
    return root


def _publish_log(root: Path, source: Path) -> None:
    """Put the payload's call log beside the manifest (a hard link, else a copy), atomically.

    Only a convenience for reading by hand: a kill before this leaves the previous log there,
    while the run itself (and :func:`read_log`) is already complete.
    """
    target = root / LOG_FILE
    if not source.is_file() or source.stat().st_size == 0:  # no calls: no log to read by hand
        with contextlib.suppress(OSError):
            target.unlink(missing_ok=True)  # a log of an earlier save would mislead
        return
    tmp = root / f".{LOG_FILE}.tmp"
    try:
        tmp.unlink(missing_ok=True)
        try:
            os.link(source, tmp)
        except OSError:  # a file system without hard links
            shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        logger.warning("Could not put %s beside %s: %s", LOG_FILE, root, exc)


def read_log(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The model-call log of the run in ``path`` (``[]`` if none): the payload's copy, else a
    ``llm_log.jsonl`` in the folder itself (runs saved before the log moved into the payload:
    every later save puts one in its payload, so a stale log beside the manifest is not read)."""
    root = Path(path)
    file = root / LOG_FILE
    if (root / "manifest.json").is_file():
        with contextlib.suppress(RunDirectoryError):
            payload, _ = read_manifest(root)
            if (payload / LOG_FILE).is_file():
                file = payload / LOG_FILE
    if not file.is_file():
        return []
    records = []
    for line in file.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            break  # a torn last line after a kill
    return records


def write_log(folder: Path, log: list[dict[str, Any]]) -> None:
    """Write ``folder/llm_log.jsonl``, one JSON record a line, fsynced."""
    data = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in log)
    write_bytes(folder / LOG_FILE, data.encode("utf-8"))


def write_layout(path: str | os.PathLike[str], xy: np.ndarray, info: dict[str, Any]) -> Path:
    """Add (or replace) the map layout of the saved run in ``path``, atomically."""
    payload, _ = read_manifest(path)
    target = payload / LAYOUT_FILE
    tmp = payload / f".{LAYOUT_FILE}.tmp"
    try:
        _write_layout_file(tmp, xy, info)
        os.replace(tmp, target)
        fsync_dir(payload)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise _unwritable(Path(path), exc) from exc
    return target


def read_layout(path: str | os.PathLike[str]) -> tuple[np.ndarray, dict[str, Any]] | None:
    """The saved map layout ``(xy, info)`` of the run in ``path``; None when it has none, or
    one that does not fit its items (logged: it is drawn again)."""
    payload, _ = read_manifest(path)
    file = payload / LAYOUT_FILE
    if not file.is_file():
        return None
    try:
        with np.load(file, allow_pickle=False) as archive:
            xy = np.asarray(archive["xy"], dtype=np.float32)
            info = json.loads(bytes(archive["info"]).decode("utf-8"))
        n_items = json.loads((payload / "run.json").read_text())["level_sizes"][0]
    except (OSError, KeyError, ValueError, TypeError, IndexError) as exc:
        logger.warning("Ignoring the unreadable map layout %s (%s); it is drawn again.", file, exc)
        return None
    if xy.ndim != 2 or xy.shape != (n_items, 2) or not isinstance(info, dict):
        logger.warning(
            "Ignoring the map layout %s: shape %s for %d items; it is drawn again.",
            file,
            xy.shape,
            n_items,
        )
        return None
    return xy, info


def saved_item_count(path: str | os.PathLike[str]) -> int | None:
    """The number of level-0 items of the saved run in ``path`` (None when unreadable)."""
    try:
        payload, _ = read_manifest(path)
        return int(json.loads((payload / "run.json").read_text())["level_sizes"][0])
    except (RunDirectoryError, OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def _write_layout_file(path: Path, xy: np.ndarray, info: dict[str, Any]) -> None:
    meta = json.dumps(info, default=json_default).encode("utf-8")
    with open(path, "wb") as handle:
        np.savez(
            handle,
            xy=np.ascontiguousarray(xy, dtype=np.float32),
            info=np.frombuffer(meta, dtype=np.uint8),
        )
        handle.flush()
        os.fsync(handle.fileno())


def _check_target(root: Path) -> None:
    """A run goes into a new folder, an empty one or an earlier run, never anywhere else."""
    if root.exists() and not root.is_dir():
        raise RunDirectoryError(f"{root} exists and is a file; choose a directory path to save to.")
    if (
        root.is_dir()
        and not (root / "manifest.json").exists()
        and any(not _LEFTOVER.fullmatch(p.name) for p in root.iterdir())
    ):
        raise RunDirectoryError(
            f"{root} is a non-empty directory that is not a HERCULES run; refusing to write into "
            "it. Choose a new or empty directory."
        )


def _unwritable(root: Path, exc: OSError) -> RunDirectoryError:
    return RunDirectoryError(
        f"Cannot write the run to {str(root)!r}: {exc.strerror or exc}. Choose a folder you can "
        "write to (with free space), e.g. --out ./runs/NAME."
    )


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Fail now, before any work, if a run cannot be saved at ``path``.

    Creates the missing folders, writes a probe file in the last one, then removes all that it
    made: nothing is left behind when the run later fails for another reason.
    """
    root = Path(path)
    _check_target(root)
    made = [p for p in (root, *root.parents) if not p.exists()]
    probe = root / f".write-test-{uuid.uuid4().hex[:8]}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        write_bytes(probe, b"hercules")
    except OSError as exc:
        raise _unwritable(root, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
        for folder in made:  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()
    return root


def read_manifest(path: str | os.PathLike[str]) -> tuple[Path, dict[str, Any]]:
    root = Path(path)
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise RunDirectoryError(
            f"{root} is not a HERCULES run directory (no manifest.json). Give the folder that "
            "`hercules run --out` or `save_model()` wrote."
        )
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as exc:
        raise RunDirectoryError(f"{manifest_path} is unreadable: {exc}.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RunDirectoryError(f"{manifest_path} is not a HERCULES manifest.")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise RunDirectoryError(
            f"{root} uses schema version {version!r}; this HERCULES {__version__} reads version "
            f"{SCHEMA_VERSION}. Upgrade hercules-cluster or re-run the clustering."
        )
    name = str(manifest.get("payload", ""))
    if not re.fullmatch(r"data-[0-9a-f]{12}", name):  # never a path out of the run folder
        raise RunDirectoryError(
            f"{manifest_path} names {name!r} as its payload folder, which is not a data-<id> "
            "name; the file was edited or damaged. Re-run or restore it."
        )
    payload = root / name
    if not payload.is_dir():
        raise RunDirectoryError(f"{root}: the payload folder {payload.name!r} is missing.")
    return payload, manifest


def load_run(path: str | os.PathLike[str]) -> tuple[ClusterTree, Corpus, dict[str, Any]]:
    payload, _ = read_manifest(path)
    try:
        info = json.loads((payload / "run.json").read_text())
        nodes = pd.read_parquet(payload / "nodes.parquet")
        items = pd.read_parquet(payload / "items.parquet")
        levels = []
        for lvl in range(info["n_levels"]):
            rows = nodes[nodes["level"] == lvl].sort_values("index")
            levels.append(_read_level(payload, lvl, rows, info, items))
        corpus = _read_corpus(items, info)
        _check_consistent(levels, corpus)
        tree = ClusterTree(levels, info["modality"])
    except (OSError, KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise RunDirectoryError(
            f"{path} is damaged or incomplete ({exc!r:.300}); re-run or restore it."
        ) from exc
    return tree, corpus, info


def read_items(path: str | os.PathLike[str]) -> Corpus:
    """Only the level-0 items of a saved run (to compare data without loading the tree)."""
    payload, _ = read_manifest(path)
    try:
        info = json.loads((payload / "run.json").read_text())
        return _read_corpus(pd.read_parquet(payload / "items.parquet"), info)
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise RunDirectoryError(
            f"{path} is damaged or incomplete ({exc!r:.300}); re-run or restore it."
        ) from exc


def edited_titles(path: str | os.PathLike[str]) -> int:
    """How many titles of a saved run were set by hand (reads one column, not the tree)."""
    payload, _ = read_manifest(path)
    try:
        nodes = pd.read_parquet(payload / "nodes.parquet")
    except (OSError, ValueError) as exc:
        raise RunDirectoryError(f"{path} is damaged or incomplete ({exc!r:.300}).") from exc
    return int(nodes["title_edited"].sum()) if "title_edited" in nodes else 0


def _check_consistent(levels: list[Level], corpus: Corpus) -> None:
    """Sizes and parent links agree across files: a hand-edited run fails here, by name."""
    if not levels or len(levels[0].representation) != len(corpus):
        raise ValueError(
            f"items.parquet has {len(corpus)} rows but level 0 has a different number of vectors"
        )
    for below, above in itertools.pairwise(levels):
        parent = below.parent
        if parent is None or len(parent) != len(below) or len(parent) == 0:
            raise ValueError(f"level {below.level} has no parent link for every node")
        if parent.min() < 0 or parent.max() >= len(above):
            raise ValueError(f"level {below.level} names parents outside level {above.level}")
    for level in levels:
        n = len(level.ids)
        sizes = [len(level.representation), len(level.num_items), len(level.titles)]
        if (
            any(size != n for size in [*sizes, len(level.descriptions)])
            or level.representation.ndim != 2
        ):
            raise ValueError(f"level {level.level}: vectors, sizes and titles disagree in length")
        if level.description_embedding is not None and len(level.description_embedding) != n:
            raise ValueError(f"level {level.level}: description vectors have the wrong length")


def _write_payload(
    folder: Path,
    tree: ClusterTree,
    corpus: Corpus,
    params: dict[str, Any],
    extra: dict[str, Any],
    projections: dict[str, PCAProjection],
) -> None:
    first = tree.levels[0]
    shares_l0 = first.description_embedding is first.representation
    info = {
        "modality": tree.modality,
        "n_levels": len(tree.levels),
        "level_sizes": [len(lvl) for lvl in tree.levels],
        "params": params,
        "l0_description_is_representation": shares_l0,
        "item_id_type": _id_type(corpus.ids),
        "numeric_metadata": corpus.numeric_metadata,
        "projections": {
            name: {"mean": p.mean.tolist(), "components": p.components.tolist()}
            for name, p in projections.items()
        },
        **extra,
    }
    write_bytes(folder / "run.json", json.dumps(info, indent=2, default=json_default).encode())
    frames = []
    for lvl in tree.levels:
        frames.append(
            pd.DataFrame(
                {
                    "level": lvl.level,
                    "index": np.arange(len(lvl)),
                    "id": [str(i) for i in lvl.ids],
                    "parent_index": lvl.parent if lvl.parent is not None else -1,
                    "num_items": lvl.num_items,
                    "title": lvl.titles,
                    "description": lvl.descriptions,
                    "summary_failed": lvl.summary_failed
                    if lvl.summary_failed is not None
                    else False,
                    "summary_stale": lvl.summary_stale if lvl.summary_stale is not None else False,
                    "faithfulness": lvl.faithfulness if lvl.faithfulness is not None else np.nan,
                    "title_note": lvl.title_notes if lvl.title_notes is not None else "",
                    "title_candidates": (
                        [json.dumps(list(c)) for c in lvl.title_candidates]
                        if lvl.title_candidates is not None
                        else "[]"
                    ),
                    "coverage": lvl.coverage if lvl.coverage is not None else np.nan,
                    "title_supported": (
                        lvl.title_supported if lvl.title_supported is not None else False
                    ),
                    "title_edited": lvl.title_edited if lvl.title_edited is not None else False,
                }
            )
        )
        save_npy(folder / f"L{lvl.level}.representation.npy", lvl.representation)
        if lvl.description_embedding is not None and not (lvl.level == 0 and shares_l0):
            save_npy(folder / f"L{lvl.level}.description.npy", lvl.description_embedding)
        for name, xy in lvl.reductions.items():
            save_npy(folder / f"L{lvl.level}.{name}.npy", xy)
    write_parquet(folder / "nodes.parquet", pd.concat(frames, ignore_index=True))
    write_parquet(folder / "items.parquet", _items_frame(corpus))


def _items_frame(corpus: Corpus) -> pd.DataFrame:
    frame = pd.DataFrame({"item_id": [str(i) for i in corpus.ids]})
    if corpus.texts is not None:
        frame["text"] = corpus.texts
    elif corpus.image_paths is not None:
        frame["path"] = [str(p) for p in corpus.image_paths]
    else:
        assert corpus.numeric is not None
        for col in corpus.numeric.columns:
            frame[f"value:{col}"] = corpus.numeric[col].to_numpy()
    return frame


def _read_corpus(items: pd.DataFrame, info: dict[str, Any]) -> Corpus:
    ids = _restore_ids(items["item_id"].tolist(), info["item_id_type"])
    modality = info["modality"]
    if modality not in MODALITIES:
        raise ValueError(f"unknown modality {modality!r} in run.json")
    if modality == "text":
        return Corpus("text", ids, texts=items["text"].tolist())
    if modality == "image":
        return Corpus("image", ids, image_paths=[Path(p) for p in items["path"]])
    cols = [c for c in items.columns if c.startswith("value:")]
    numeric = items[cols].rename(columns=lambda c: c[len("value:") :]).reset_index(drop=True)
    return Corpus(
        "numeric", ids, numeric=numeric, numeric_metadata=info.get("numeric_metadata", {})
    )


def _read_level(
    payload: Path, lvl: int, rows: pd.DataFrame, info: dict[str, Any], items: pd.DataFrame
) -> Level:
    representation = np.load(payload / f"L{lvl}.representation.npy")
    desc_path = payload / f"L{lvl}.description.npy"
    if lvl == 0 and info["l0_description_is_representation"]:
        description = representation
    else:
        description = np.load(desc_path) if desc_path.exists() else None
    ids: list[Any] = (
        _restore_ids(items["item_id"].tolist(), info["item_id_type"])
        if lvl == 0
        else [int(i) for i in rows["id"]]
    )
    # copy=True: pandas hands out read-only views, and append/relabel update these arrays.
    parent = rows["parent_index"].to_numpy(dtype=np.int64, copy=True)
    reductions = {
        name: np.load(payload / f"L{lvl}.{name}.npy")
        for name in info["projections"]
        if (payload / f"L{lvl}.{name}.npy").exists()
    }
    return Level(
        level=lvl,
        ids=ids,
        representation=representation,
        num_items=rows["num_items"].to_numpy(dtype=np.int64, copy=True),
        titles=rows["title"].tolist(),
        descriptions=rows["description"].tolist(),
        description_embedding=description,
        parent=None if lvl == info["n_levels"] - 1 else parent,
        summary_failed=rows["summary_failed"].to_numpy(dtype=bool, copy=True) if lvl > 0 else None,
        summary_stale=(
            rows["summary_stale"].to_numpy(dtype=bool, copy=True)
            if lvl > 0 and "summary_stale" in rows
            else None
        ),
        reductions=reductions,
        faithfulness=(
            rows["faithfulness"].to_numpy(dtype=np.float64, copy=True)
            if lvl > 0 and "faithfulness" in rows
            else None
        ),
        title_notes=rows["title_note"].tolist() if lvl > 0 and "title_note" in rows else None,
        title_candidates=(
            [tuple(str(t) for t in json.loads(c)) for c in rows["title_candidates"]]
            if lvl > 0 and "title_candidates" in rows
            else None
        ),
        coverage=(
            rows["coverage"].to_numpy(dtype=np.float64, copy=True)
            if lvl > 0 and "coverage" in rows
            else None
        ),
        title_supported=(
            rows["title_supported"].to_numpy(dtype=bool, copy=True)
            if lvl > 0 and "title_supported" in rows
            else None
        ),
        title_edited=(
            rows["title_edited"].to_numpy(dtype=bool, copy=True)
            if lvl > 0 and "title_edited" in rows
            else None
        ),
    )


def projections_from_info(info: dict[str, Any]) -> dict[str, PCAProjection]:
    return {
        name: PCAProjection(
            np.asarray(p["mean"], dtype=np.float32), np.asarray(p["components"], dtype=np.float32)
        )
        for name, p in info["projections"].items()
    }


def _id_type(ids: list[Any]) -> str:
    return "int" if all(isinstance(i, int | np.integer) for i in ids) else "str"


def _restore_ids(ids: list[str], kind: str) -> list[Any]:
    return [int(i) for i in ids] if kind == "int" else ids
