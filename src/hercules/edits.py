"""Titles set by hand: a person's title (and description) for one cluster.

:func:`set_title` checks the text, writes it on the tree and marks the node in
``Level.title_edited``; the mark is saved with the run (:mod:`hercules.store.run`). An edited
title is the analyst's word over the model's:

- ``relabel`` (:func:`hercules.incremental.relabel_clusters`) skips edited clusters, stale or
  not; ``predict(..., append=True)`` may flag one stale (its membership grew since) but never
  changes its title;
- a parent named again reads its children's titles from the tree, so it reads the edited one;
- every read-out marks it: :func:`hercules.results.outline` and the membership frame, the CLI's
  tree, the explorer and the HTML report.

The description vector of an edited cluster is left as it was (re-embedding would need the
run's own text embedder, which a loaded run may not have); its faithfulness score, which
measured the old label, is cleared, and its title note is redone by the string rules of
:mod:`hercules.title_quality`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np

from hercules.errors import ParameterError
from hercules.title_quality import level_quality
from hercules.tree import Cluster, ClusterTree

TITLE_MAX_CHARS = 120
DESCRIPTION_MAX_CHARS = 2000
# Shown after an edited title in plain-text read-outs (outline, CLI tree).
EDITED_MARK = "(edited)"
# The same mark where a view draws it beside a title (the explorer, the report, the data map).
EDITED_SYMBOL = "\u270e"

LIST_IDS_HINT = "list them with model.print_hierarchy() or `hercules show RUN`"

# Bidirectional overrides and isolates reorder the text around them on screen.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def set_title(
    tree: ClusterTree, cluster_id: Any, title: str, description: str | None = None
) -> Cluster:
    """Set the title (and the description, when given) of cluster ``cluster_id`` and mark it
    edited; returns the node. Raises :class:`~hercules.errors.ParameterError` naming the bad
    value: an id that is not a cluster of ``tree``, an empty title, text over the length caps
    (:data:`TITLE_MAX_CHARS`, :data:`DESCRIPTION_MAX_CHARS`). Control characters are removed;
    whitespace in a title becomes single spaces."""
    node = find_cluster(tree, cluster_id)
    new_title = clean_title(title)
    new_description = None if description is None else clean_description(description)
    data = tree.levels[node.level]
    k, i = len(data), node.index
    data.titles[i] = new_title
    if new_description is not None:
        data.descriptions[i] = new_description
    data.title_edited = _flags(data.title_edited, k)
    data.title_edited[i] = True
    # The labeller's verdicts were about its own summary, not this one.
    if data.summary_failed is not None:
        data.summary_failed[i] = False
    if data.summary_stale is not None:
        data.summary_stale[i] = False
    if data.faithfulness is not None:
        data.faithfulness[i] = np.nan
    notes = level_quality(tree, node.level, None)["notes"]
    data.title_notes = list(data.title_notes) if data.title_notes is not None else [""] * k
    data.title_notes[i] = notes[i]
    return node


def find_cluster(tree: ClusterTree, cluster_id: Any) -> Cluster:
    """The cluster (level >= 1) whose id is ``cluster_id`` (an int, or its digits as text)."""
    wanted = _as_id(cluster_id)
    for level in range(1, tree.top_level + 1):
        ids = tree.levels[level].ids
        if wanted in ids:
            return tree.node(level, ids.index(wanted))
    every = [int(i) for lvl in tree.levels[1:] for i in lvl.ids]
    span = f"ids {min(every)} to {max(every)}" if every else "no clusters"
    item = wanted in tree.levels[0].ids or str(wanted) in map(str, tree.levels[0].ids)
    what = " (that is an item id; only clusters have titles to edit)" if item else ""
    raise ParameterError(
        f"No cluster with id {cluster_id!r} in this run{what}; it has {span} at levels "
        f"1..{tree.top_level}: {LIST_IDS_HINT}."
    )


def clean_title(title: Any) -> str:
    """``title`` on one line, without control characters; refused when empty or too long."""
    text = " ".join(_printable(_check_str(title, "title")).split())
    if not text:
        raise ParameterError(
            f"The title {title!r} is empty once whitespace and control characters are removed; "
            "give the words the cluster should be called by."
        )
    _check_length(text, "title", TITLE_MAX_CHARS)
    return text


def clean_description(description: Any) -> str:
    """``description`` without control characters (line breaks kept); may be empty."""
    text = _check_str(description, "description").replace("\r\n", "\n").replace("\r", "\n")
    lines = [" ".join(_printable(line).split()) for line in text.split("\n")]
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    _check_length(cleaned, "description", DESCRIPTION_MAX_CHARS)
    return cleaned


def _as_id(cluster_id: Any) -> int:
    if isinstance(cluster_id, int | np.integer) and not isinstance(cluster_id, bool):
        return int(cluster_id)
    if isinstance(cluster_id, str) and cluster_id.strip().isdigit():
        return int(cluster_id.strip())
    raise ParameterError(
        f"cluster_id must be a cluster's whole-number id, got {cluster_id!r}; {LIST_IDS_HINT}."
    )


def _check_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ParameterError(f"The {what} must be a string, got {type(value).__name__} {value!r}.")
    return value


def _printable(text: str) -> str:
    """Whitespace characters become spaces; other control characters and bidirectional
    overrides are removed."""
    return "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or (unicodedata.category(ch) != "Cc" and ch not in _BIDI)
    )


def _check_length(text: str, what: str, limit: int) -> None:
    if len(text) > limit:
        raise ParameterError(
            f"The {what} has {len(text)} characters; at most {limit} are kept. Shorten it "
            f"(it starts {text[:40]!r})."
        )


def _flags(flags: np.ndarray | None, k: int) -> np.ndarray:
    if flags is None or len(flags) != k:
        return np.zeros(k, dtype=bool)
    return np.asarray(flags, dtype=bool).copy() if not flags.flags.writeable else flags
