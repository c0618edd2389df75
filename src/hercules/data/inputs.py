"""Turn whatever the user hands us into a :class:`Corpus`, or say exactly what is wrong."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hercules.data.chunks import open_vectors, row_blocks
from hercules.data.clean import clean_corpus
from hercules.data.dataset import MODALITIES, Corpus
from hercules.errors import InputError

logger = logging.getLogger(__name__)

CHUNK_ROWS = 65_536  # row blocks for checks on large arrays, so no (n, d) temporaries
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"})
TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson", ".json"})


def load_corpus(
    data: Any,
    *,
    modality: str | None = None,
    column: str | None = None,
    numeric_metadata: Mapping[str, Mapping[str, str]] | None = None,
    validate: bool = True,
) -> Corpus:
    """Read ``data`` (texts, image paths, numbers, a table file or a folder) into a Corpus.

    ``validate=False`` skips the checks that only matter for clustering (at least 2 items, not
    all identical), for routing new items into a fitted tree.
    """
    if modality is not None and modality not in MODALITIES:
        raise InputError(
            f"modality must be one of {', '.join(MODALITIES)} or None (auto), got {modality!r}."
        )
    if isinstance(data, Corpus):  # already read (the CLI reads once to check --out)
        corpus = data
    elif isinstance(data, os.PathLike) or (isinstance(data, str) and _looks_like_path(data)):
        path = Path(data)
        if not path.exists():
            raise InputError(
                f"No such file or folder: {str(path)!r}. Check the path, or pass the texts "
                "themselves as a list."
            )
        corpus = _from_path(path, modality=modality, column=column)
    elif isinstance(data, str):
        raise InputError(
            f"Got one string ({data!r:.60}), which is neither an existing file nor a list of "
            "items; pass a list of texts, or the path of a data file."
        )
    elif isinstance(data, pd.DataFrame):
        corpus = _from_frame(data, modality=modality, column=column, source="DataFrame")
    elif isinstance(data, pd.Series):
        corpus = _from_sequence(list(data.to_numpy()), list(data.index), modality)
    elif isinstance(data, Mapping):
        corpus = _from_sequence(list(data.values()), list(data.keys()), modality)
    elif isinstance(data, np.ndarray):
        corpus = _from_array(data, modality)
    elif isinstance(data, Sequence) and not isinstance(data, str | bytes):
        corpus = _from_sequence(list(data), list(range(len(data))), modality)
    else:
        raise InputError(
            f"Cannot read data of type {type(data).__name__}. Pass a list of texts, image "
            "paths or numbers, a DataFrame, a NumPy array, or a path to a CSV/Parquet/JSONL "
            "file or a folder of .txt or image files."
        )
    if numeric_metadata is not None:
        numeric_metadata = _check_metadata(numeric_metadata)
    if numeric_metadata:
        if corpus.numeric is None:
            raise InputError("numeric_metadata was given but the data is not numeric; drop it.")
        unknown = set(numeric_metadata) - set(corpus.numeric.columns)
        if unknown:
            raise InputError(
                f"numeric_metadata names unknown columns {sorted(unknown)}; the data has "
                f"{list(corpus.numeric.columns)}."
            )
        corpus.numeric_metadata = {k: dict(v) for k, v in numeric_metadata.items()}
    if corpus.texts is not None:
        _check_unicode(corpus.texts, corpus.ids)
    if validate:
        _validate(corpus)
    return corpus


def fit_input(
    data: Any,
    embeddings: Any,
    modality: str | None = None,
    column: str | None = None,
    numeric_metadata: Mapping[str, Mapping[str, str]] | None = None,
    *,
    clean_email: bool = False,
) -> tuple[Corpus, np.ndarray | None]:
    """The items of a fit and their given vectors: ``embeddings`` opened (an array, or a
    ``.npy`` path memory-mapped), ``data`` read by :func:`load_corpus` (with ``data=None`` the
    items are the vectors themselves), then ``clean_email`` applied (:mod:`.clean`)."""
    vectors = open_vectors(embeddings) if embeddings is not None else None
    if data is None:
        if vectors is None:
            raise InputError("fit() needs data X, or embeddings= when X is None; got neither.")
        data = vectors
    corpus = load_corpus(data, modality=modality, column=column, numeric_metadata=numeric_metadata)
    return (clean_corpus(corpus) if clean_email else corpus), vectors


def _looks_like_path(data: str) -> bool:
    """A single short line: a path (there or not). Texts come as lists, never one string."""
    return bool(data) and "\n" not in data and len(data) < 4096


METADATA_KEYS = ("name", "unit", "description")


def _check_metadata(metadata: Any) -> Mapping[str, Mapping[str, str]]:
    """``{'column': {'name': ..., 'unit': ..., 'description': ...}}``, or say what is wrong."""
    example = "numeric_metadata={'x0': {'name': 'weight', 'unit': 'kg'}}"
    if not isinstance(metadata, Mapping):
        raise InputError(
            f"numeric_metadata must be a dict of column -> dict, got {type(metadata).__name__} "
            f"{metadata!r:.80}; for example {example}."
        )
    for col, meta in metadata.items():
        if not isinstance(meta, Mapping):
            raise InputError(
                f"numeric_metadata[{col!r}] must be a dict with keys {METADATA_KEYS}, got "
                f"{meta!r:.80}; for example {example}."
            )
        for key, value in meta.items():
            if key not in METADATA_KEYS or not isinstance(value, str):
                raise InputError(
                    f"numeric_metadata[{col!r}] has {key!r}: {value!r:.60}; the keys may be "
                    f"{METADATA_KEYS} and the values must be strings; for example {example}."
                )
    return metadata


def _check_unicode(texts: list[str], ids: list[Any]) -> None:
    """Lone surrogates (from bad decoding) cannot be written as UTF-8: refuse them now."""
    for i, text in enumerate(texts):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(
                f"Item {ids[i]!r} holds {text[exc.start : exc.end]!r} at position {exc.start}, "
                "which is not valid Unicode (a lone surrogate, from decoding bytes wrongly). "
                "Decode the data as UTF-8, or clean it with "
                "text.encode('utf-8', 'replace').decode()."
            ) from None


def _decode(value: bytes | bytearray | memoryview, index: int) -> str:
    """Bytes items (a Parquet binary column, a list of bytes) are UTF-8 text."""
    raw = bytes(value)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"Item {index} is bytes that are not UTF-8 "
            f"({raw[max(exc.start - 10, 0) : exc.end + 10]!r} at byte {exc.start}); decode "
            "the items to str yourself (e.g. b.decode('latin-1')) before clustering."
        ) from None


DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}
SNIFF_BYTES = 65_536
SNIFF_LINES = 200


def _sample(path: Path) -> list[str]:
    """The first lines of a text file (at most SNIFF_LINES, the cut last line dropped)."""
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        sample = handle.read(SNIFF_BYTES)
    sample = sample.removeprefix("\ufeff")
    lines = sample.splitlines()
    if len(lines) > 1 and len(sample) == SNIFF_BYTES and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line may be cut
    return [line for line in lines[:SNIFF_LINES] if line.strip()]


def _fields(lines: list[str], sep: str) -> int | None:
    """The number of fields every line splits into with ``sep`` (quotes honoured), or None
    where the lines disagree or ``sep`` splits nothing."""
    import csv

    try:
        counts = {len(row) for row in csv.reader(lines, delimiter=sep) if row}
    except csv.Error:
        return None
    if len(counts) != 1:
        return None
    count = counts.pop()
    return count if count > 1 else None


def sniff_delimiter(
    path: Path, candidates: tuple[str, ...] = DELIMITERS, default: str | None = ","
) -> str | None:
    """The delimiter of a delimited text table, or ``default`` when none fits.

    ``csv.Sniffer`` proposes one of ``candidates`` from the first lines; it is kept only if it
    splits every sampled line into the same number (more than one) of fields, quotes honoured.
    Otherwise the first candidate that does so wins (``,`` before ``;``, tab and ``|``).
    """
    import csv

    lines = _sample(path)
    if not lines:
        return default
    try:
        proposed: str | None = csv.Sniffer().sniff("\n".join(lines), "".join(candidates)).delimiter
    except csv.Error:
        proposed = None
    if proposed in candidates and _fields(lines, proposed):
        return proposed
    return next((sep for sep in candidates if _fields(lines, sep)), default)


def txt_delimiter(path: Path) -> str | None:
    """The delimiter of a ``.txt`` file that is a table, or None for one item per line.

    A ``.txt`` is a table when ``;``, tab or ``|`` splits each of at least two sampled lines
    into the same number of fields (commas are left out: prose is full of them).
    """
    lines = _sample(path)
    if len(lines) < 2:
        return None
    return sniff_delimiter(path, candidates=(";", "\t", "|"), default=None)


def read_table(path: Path, delimiter: str | None = None) -> pd.DataFrame:
    """A table file (.csv with its delimiter sniffed, .tsv, .parquet, .jsonl, .json)."""
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        sep = delimiter or sniff_delimiter(path) or ","
        logger.info("Reading %s as a table delimited by %s.", path, DELIMITER_NAMES.get(sep, sep))
        return pd.read_csv(path, sep=sep, encoding="utf-8-sig")
    if suffix == ".tsv":
        return pd.read_csv(path, sep="\t")
    if suffix in {".parquet", ".pq"}:
        return pd.read_parquet(path)
    if suffix in {".jsonl", ".ndjson"}:
        return pd.read_json(path, lines=True)
    if suffix == ".json":
        return pd.read_json(path)
    raise InputError(
        f"Unsupported table type {suffix!r} for {path}. Use .csv, .tsv, .parquet, .jsonl or .json."
    )


def _from_path(path: Path, *, modality: str | None, column: str | None) -> Corpus:
    if path.is_dir():
        return _from_folder(path, modality)
    suffix = path.suffix.lower()
    delimiter: str | None = None
    try:
        if suffix == ".txt":
            delimiter = txt_delimiter(path)
        if suffix == ".csv":
            delimiter = sniff_delimiter(path)
        if suffix in TABLE_SUFFIXES or delimiter is not None:
            frame = read_table(path, delimiter)
        elif suffix == ".txt":
            lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
            texts = [ln for ln in lines if ln]
            return _from_sequence(texts, list(range(len(texts))), modality or "text")
        elif suffix == ".npy":  # memory-mapped: rows are read in blocks, never all at once
            return _from_array(open_vectors(path), modality)
        elif suffix in IMAGE_SUFFIXES:
            return _from_sequence([str(path)], [path.name], "image")
        else:
            raise InputError(
                f"Unsupported file type {suffix!r} for {path}. Use .csv, .tsv, .parquet, "
                ".jsonl, .json, .npy, .txt (one item per line) or a folder."
            )
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path} is not UTF-8 text (byte {exc.object[exc.start : exc.start + 1]!r} at "
            f"offset {exc.start}); re-save it as UTF-8 (e.g. iconv -f latin1 -t utf-8)."
        ) from None
    except (OSError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"Could not read {path}: {exc}. Check that the file is valid.") from exc
    if suffix in {".csv", ".txt"} and column is None:
        _refuse_unsplit_header(path, frame)
    corpus = _from_frame(frame, modality=modality, column=column, source=str(path))
    if delimiter is not None:
        corpus.read_as = (
            f"a table delimited by {DELIMITER_NAMES.get(delimiter, repr(delimiter))} "
            f"(columns: {', '.join(str(c) for c in frame.columns)})"
        )
    return corpus


def _refuse_unsplit_header(path: Path, frame: pd.DataFrame) -> None:
    """One column whose name holds ``;``, tab or ``|``: a delimited table whose rows do not
    split evenly (an unquoted delimiter inside a field). Clustering it would cluster whole rows,
    the other columns included, so stop and name what was seen."""
    if frame.shape[1] != 1:
        return
    header = str(frame.columns[0])
    sep = next((s for s in (";", "\t", "|") if s in header), None)
    if sep is None:
        return
    import csv

    names = header.split(sep)
    lines = _sample(path)
    bad = next(
        (
            (number, len(row))
            for number, row in enumerate(csv.reader(lines, delimiter=sep), start=1)
            if row and len(row) != len(names)
        ),
        None,
    )
    where = f"; line {bad[0]} has {bad[1]} fields" if bad else ""
    raise InputError(
        f"{path} looks delimited by {DELIMITER_NAMES[sep]} (header columns: {names}) but its "
        f"rows do not all split into {len(names)} fields{where}. Quote the fields that hold "
        f"{DELIMITER_NAMES[sep]} (as any CSV writer does), or save the table as .parquet."
    )


def _from_folder(folder: Path, modality: str | None) -> Corpus:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    texts = [p for p in files if p.suffix.lower() in {".txt", ".md"}]
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    if modality == "image" or (modality is None and images and not texts):
        if not images:
            raise InputError(f"No image files ({', '.join(sorted(IMAGE_SUFFIXES))}) in {folder}.")
        return Corpus("image", [str(p.relative_to(folder)) for p in images], image_paths=images)
    if texts and images and modality is None:
        raise InputError(
            f"{folder} holds both text ({len(texts)}) and image ({len(images)}) files; "
            "pass modality='text' or modality='image' to choose."
        )
    if not texts:
        raise InputError(f"No .txt, .md or image files found in {folder}.")
    contents = []
    for p in texts:
        try:
            contents.append(p.read_text(encoding="utf-8", errors="replace"))
        except OSError as exc:
            raise InputError(f"Could not read {p}: {exc}.") from exc
    return Corpus("text", [str(p.relative_to(folder)) for p in texts], texts=contents)


def _from_frame(
    frame: pd.DataFrame, *, modality: str | None, column: str | None, source: str
) -> Corpus:
    if column is not None:
        if column not in frame.columns:
            raise InputError(
                f"Column {column!r} not found in {source}; available columns: "
                f"{[str(c) for c in frame.columns]}."
            )
        values = frame[column].tolist()
        return _from_sequence(values, list(frame.index), modality)
    numeric_cols = frame.select_dtypes(include="number").columns
    if modality in (None, "numeric") and len(numeric_cols) == frame.shape[1] and frame.shape[1]:
        return _numeric(frame, source)
    text_cols = [
        c
        for c in frame.columns
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])
    ]
    if modality != "numeric" and len(text_cols) == 1:
        return _from_sequence(frame[text_cols[0]].tolist(), list(frame.index), modality)
    raise InputError(
        f"Cannot tell which column of {source} to cluster (columns: "
        f"{[str(c) for c in frame.columns]}). Pass column='NAME' (CLI: --column NAME), or "
        "give a table whose columns are all numeric."
    )


def _from_array(array: np.ndarray, modality: str | None) -> Corpus:
    if array.ndim == 1 and array.dtype.kind in "OUS":
        return _from_sequence(array.tolist(), list(range(len(array))), modality)
    if array.dtype.kind not in "biuf":
        raise InputError(f"NumPy array of dtype {array.dtype} is not numeric or text.")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise InputError(f"Numeric arrays must be 1-D or 2-D, got shape {array.shape}.")
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    # No copy: a million-row float32 array stays one block, shared with the caller's array.
    frame = pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])], copy=False)
    return _numeric(frame, "array")


def _from_sequence(values: list[Any], ids: list[Any], modality: str | None) -> Corpus:
    if not values:
        raise InputError("The input is empty: give at least 2 items to cluster.")
    kinds = [_kind(v) for v in values]
    first = kinds[0]
    for i, kind in enumerate(kinds):
        if kind != first:
            raise InputError(
                f"Mixed modalities: item 0 is {first} but item {i} ({values[i]!r:.60}) is "
                f"{kind}. Give items of one kind, or convert them first."
            )
    if first == "number":
        frame = pd.DataFrame(
            [np.atleast_1d(np.asarray(v, dtype=float)) for v in values], index=range(len(values))
        )
        frame.columns = [f"x{i}" for i in range(frame.shape[1])]
        corpus = _numeric(frame, "list")
        corpus.ids = ids
        return corpus
    texts = [
        "" if v is None else _decode(v, i) if isinstance(v, _BYTES) else str(v)
        for i, v in enumerate(values)
    ]
    if modality == "image" or (modality is None and _all_image_paths(texts)):
        paths = [Path(t) for t in texts]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise InputError(f"Image file not found: {missing[0]} ({len(missing)} missing).")
        return Corpus("image", ids, image_paths=paths)
    if modality == "numeric":
        raise InputError("modality='numeric' but the items are text; pass numbers or a table.")
    return Corpus("text", ids, texts=texts)


_BYTES = (bytes, bytearray, memoryview)


def _kind(value: Any) -> str:
    if value is None or isinstance(value, str | bytes | bytearray | memoryview):
        return "text"
    if isinstance(value, os.PathLike):
        return "text"
    if isinstance(value, bool | int | float | np.number):
        return "number"
    if isinstance(value, list | tuple | np.ndarray) and all(
        isinstance(v, int | float | np.number) for v in np.ravel(np.asarray(value, dtype=object))
    ):
        return "number"
    return type(value).__name__


def _all_image_paths(texts: list[str]) -> bool:
    return all(Path(t).suffix.lower() in IMAGE_SUFFIXES and Path(t).is_file() for t in texts)


def _numeric(frame: pd.DataFrame, source: str) -> Corpus:
    non_numeric = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric:
        raise InputError(
            f"Column(s) {non_numeric} of {source} are not numeric; drop them or pass column=."
        )
    if not all(pd.api.types.is_float_dtype(frame[c]) for c in frame.columns):
        frame = frame.astype(np.float64)
    values = frame.to_numpy()
    for start, block in row_blocks(values, CHUNK_ROWS):
        bad = ~np.isfinite(block)
        if bad.any():
            row, col = map(int, np.argwhere(bad)[0])
            row += start
            raise InputError(
                f"Numeric data holds NaN/inf values; the first is at row {row}, column "
                f"{frame.columns[col]!r} (value {values[row, col]}). Impute or drop those rows."
            )
    frame.columns = [str(c) for c in frame.columns]
    return Corpus("numeric", list(frame.index), numeric=frame.reset_index(drop=True))


def _validate(corpus: Corpus) -> None:
    n = len(corpus)
    if n < 2:
        raise InputError(f"Got {n} item(s); clustering needs at least 2.")
    seen: set[str] = set()
    for item_id in corpus.ids:  # ids are saved as text: 1 and "1" would collide
        if str(item_id) in seen:
            raise InputError(
                f"Item id {item_id!r} appears more than once (ids are compared as text, so 1 "
                "and '1' are the same); give unique ids, e.g. reset the index of a DataFrame "
                "with .reset_index(drop=True)."
            )
        seen.add(str(item_id))
    if corpus.texts is not None:
        distinct = len(set(corpus.texts))
        empty = sum(1 for t in corpus.texts if not t.strip())
        if empty:
            logger.warning("%d of %d texts are empty or whitespace-only.", empty, n)
    elif corpus.numeric is not None:
        values = corpus.numeric.to_numpy()
        first = values[0].copy()
        distinct = 1
        for _, block in row_blocks(values):
            if not (block == first).all():
                distinct = 2
                break
    else:
        assert corpus.image_paths is not None
        distinct = len(set(corpus.image_paths))
    if distinct < 2:
        raise InputError(
            f"All {n} items are identical, so there is nothing to cluster; check the input "
            "(a wrong column?)."
        )
