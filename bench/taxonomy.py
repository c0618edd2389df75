"""Title coverage against the 20 Newsgroups taxonomy (``20ng_taxonomy.json``).

The taxonomy names every node in plain words: areas ("computers"), groups ("cars and
motorcycles") and the newsgroups themselves ("pc hardware"). A cluster's title is split into
the subjects it names, each subject is matched to the nearest node name by the run's embedder,
and the cluster's members (level-0 items, each with its newsgroup) say how well the title fits:

* **coverage**: share of the members whose newsgroup lies under a matched node (a node covers
  itself and its descendants);
* **precision**: 1 if every part matches a node that holds >= 10% of the members, else 0 (a
  title with no part left after the filler is dropped names nothing: precision 0, coverage 0);
* **too broad**: 1 if a matched node has a child node that alone holds >= 80% of the members
  (a more specific name was right);
* **oracle**: the best coverage that any title of at most three node names with precision 1
  reaches (every name holding >= 10% of the members); ``oracle_specific`` adds "not too broad".

Two nodes may carry one name ("items for sale" is both the area and its only newsgroup); a part
is matched to the deepest of them, so the name is never judged too broad because of its twin.

Everything here is a pure function of its arguments; the embedder arrives as ``embed(texts) ->
vectors`` (rows need not be normalised).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from hercules.errors import InputError

FILE_NAME = "20ng_taxonomy.json"
MIN_SHARE = 0.10  # a named node must hold this share of the members (precision)
TOO_BROAD_SHARE = 0.80  # a child holding this share means a more specific name was right
ORACLE_NAMES = 3  # the oracle's titles name at most this many nodes

Embed = Callable[[list[str]], np.ndarray]

# Conjunctions and separators between a title's subjects: ",", ";", "&", "/", "and", "vs".
_SEPARATORS = re.compile(r"\s*(?:[,;&/]|\band\b|\bvs\b\.?|\bversus\b)\s*", re.IGNORECASE)
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
# Words that name no subject ("..., Number Theory and more", "Misc Hardware").
FILLER = frozenset(
    {"more", "misc", "miscellaneous", "other", "others", "etc", "various", "assorted"}
)


@dataclass(frozen=True)
class Taxonomy:
    """Nodes by id: their plain name and their parent's id (None for an area)."""

    names: dict[str, str]
    parents: dict[str, str | None]

    @cached_property
    def children(self) -> dict[str, list[str]]:
        kids: dict[str, list[str]] = {node: [] for node in self.names}
        for node, parent in self.parents.items():
            if parent is not None:
                kids[parent].append(node)
        return kids

    @cached_property
    def leaves(self) -> dict[str, frozenset[str]]:
        """Every node's newsgroups: the leaf ids at or below it."""
        out: dict[str, frozenset[str]] = {}

        def collect(node: str) -> frozenset[str]:
            if node not in out:
                kids = self.children[node]
                out[node] = (
                    frozenset().union(*(collect(k) for k in kids)) if kids else frozenset({node})
                )
            return out[node]

        for node in self.names:
            collect(node)
        return out

    def depth(self, node: str) -> int:
        steps = 0
        while (parent := self.parents[node]) is not None:
            node, steps = parent, steps + 1
        return steps

    @cached_property
    def named_nodes(self) -> list[str]:
        """One node per distinct name (the deepest where a name repeats), in file order."""
        best: dict[str, str] = {}
        for node, name in self.names.items():
            key = name.strip().lower()
            if key not in best or self.depth(node) > self.depth(best[key]):
                best[key] = node
        chosen = set(best.values())
        return [node for node in self.names if node in chosen]


def taxonomy_from_dict(data: dict[str, Any]) -> Taxonomy:
    """A taxonomy from the file's JSON (``{"nodes": {id: {"name", "parent"}}}``), checked."""
    nodes = data.get("nodes") if isinstance(data, dict) else None
    if not isinstance(nodes, dict) or not nodes:
        raise InputError("The taxonomy must hold a non-empty 'nodes' object: {id: {name, parent}}.")
    names = {str(k): str(v["name"]) for k, v in nodes.items()}
    parents = {
        str(k): (None if v.get("parent") is None else str(v["parent"])) for k, v in nodes.items()
    }
    unknown = sorted({p for p in parents.values() if p is not None} - set(names))
    if unknown:
        raise InputError(f"Taxonomy nodes name unknown parents {unknown}; add those nodes.")
    return Taxonomy(names=names, parents=parents)


def default_path() -> Path | None:
    """``20ng_taxonomy.json`` beside the 20NG file (``$HERCULES_20NG`` or ../shared/data)."""
    from hercules.data.newsgroups import default_path as corpus_path

    env = os.environ.get("HERCULES_20NG_TAXONOMY")
    if env:
        return Path(env)
    corpus = corpus_path()
    candidates = [corpus.parent / FILE_NAME] if corpus is not None else []
    here = Path(__file__).resolve()
    candidates += [p / "shared" / "data" / FILE_NAME for p in here.parents]
    return next((c for c in candidates if c.is_file()), None)


def load_taxonomy(path: str | os.PathLike[str] | None = None) -> Taxonomy:
    resolved = Path(path) if path is not None else default_path()
    if resolved is None or not resolved.is_file():
        raise InputError(
            f"20NG taxonomy not found ({resolved or FILE_NAME}). Put {FILE_NAME} in "
            "../shared/data beside the checkout or set HERCULES_20NG_TAXONOMY=/path/to/"
            + FILE_NAME
            + "."
        )
    return taxonomy_from_dict(json.loads(resolved.read_text(encoding="utf-8")))


def split_title(title: str) -> list[str]:
    """The subjects a title names, in order, lower-cased.

    Bracketed remarks are dropped; the rest is split on ",", ";", "&", "/", "and", "vs"
    (a keyword title "space / venus / solar" is its words); filler words ("more", "misc",
    "other", ...) are removed and a part left empty is dropped.
    """
    text = _BRACKETS.sub(" ", title)
    parts = []
    for raw in _SEPARATORS.split(text):
        words = [w for w in raw.split() if w.lower().strip(".:") not in FILLER]
        part = " ".join(words).strip(" .:-").lower()
        if part:
            parts.append(part)
    return parts


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


class NodeMatcher:
    """Matches title parts to the nearest taxonomy node name (cosine of ``embed``'s vectors).

    The node names are embedded once, here; each call embeds only the parts not seen before.
    """

    def __init__(self, taxonomy: Taxonomy, embed: Embed) -> None:
        self.taxonomy = taxonomy
        self.embed = embed
        self.nodes = taxonomy.named_nodes
        self._node_vectors = _unit(embed([taxonomy.names[n] for n in self.nodes]))
        self._seen: dict[str, str] = {}

    def match(self, parts: Sequence[str]) -> list[str]:
        new = [p for p in dict.fromkeys(parts) if p not in self._seen]
        if new:
            sims = _unit(self.embed(new)) @ self._node_vectors.T
            for part, row in zip(new, sims, strict=True):
                self._seen[part] = self.nodes[int(np.argmax(row))]
        return [self._seen[p] for p in parts]


def shares(taxonomy: Taxonomy, groups: Sequence[str]) -> dict[str, float]:
    """Share of the members (one newsgroup each) under every node."""
    if not groups:
        return {node: 0.0 for node in taxonomy.names}
    values, counts = np.unique(np.asarray(groups, dtype=object), return_counts=True)
    per_group = dict(zip(values.tolist(), (counts / len(groups)).tolist(), strict=True))
    return {
        node: float(sum(per_group.get(g, 0.0) for g in leaves))
        for node, leaves in taxonomy.leaves.items()
    }


def covered(taxonomy: Taxonomy, nodes: Iterable[str], groups: Sequence[str]) -> float:
    """Share of the members whose newsgroup lies under any of ``nodes``."""
    if not groups:
        return 0.0
    under = frozenset().union(*(taxonomy.leaves[n] for n in nodes))
    return sum(g in under for g in groups) / len(groups)


def too_broad(taxonomy: Taxonomy, nodes: Iterable[str], share: dict[str, float]) -> bool:
    """Whether a node has a child that alone holds >= TOO_BROAD_SHARE of the members."""
    return any(
        share[child] >= TOO_BROAD_SHARE for node in nodes for child in taxonomy.children[node]
    )


def score_nodes(taxonomy: Taxonomy, nodes: Sequence[str], groups: Sequence[str]) -> dict[str, Any]:
    """Coverage, precision and too broad of a title whose parts matched ``nodes``."""
    share = shares(taxonomy, groups)
    if not nodes:
        return {"coverage": 0.0, "precision": 0, "too_broad": 0}
    return {
        "coverage": covered(taxonomy, nodes, groups),
        "precision": int(all(share[n] >= MIN_SHARE for n in nodes)),
        "too_broad": int(too_broad(taxonomy, nodes, share)),
    }


def oracle(
    taxonomy: Taxonomy, groups: Sequence[str], *, max_names: int = ORACLE_NAMES
) -> dict[str, Any]:
    """The best coverage of a title of <= ``max_names`` node names, each holding >= 10%.

    ``coverage``/``names``: the best such title; ``specific_coverage``/``specific_names``: the
    best one that is also not too broad. Ties go to fewer names, then to the file's order.
    Nodes sharing a name count once (the deepest), as in matching.
    """
    share = shares(taxonomy, groups)
    candidates = [n for n in taxonomy.named_nodes if share[n] >= MIN_SHARE]
    best: tuple[float, tuple[str, ...]] = (0.0, ())
    specific: tuple[float, tuple[str, ...]] = (0.0, ())
    for size in range(1, max_names + 1):
        for combo in itertools.combinations(candidates, size):
            value = covered(taxonomy, combo, groups)
            if value > best[0] + 1e-12:
                best = (value, combo)
            if value > specific[0] + 1e-12 and not too_broad(taxonomy, combo, share):
                specific = (value, combo)
    return {
        "coverage": best[0],
        "names": [taxonomy.names[n] for n in best[1]],
        "specific_coverage": specific[0],
        "specific_names": [taxonomy.names[n] for n in specific[1]],
    }


def score_title(matcher: NodeMatcher, title: str, groups: Sequence[str]) -> dict[str, Any]:
    """One cluster: its title's parts, the nodes they matched, and the three measures."""
    parts = split_title(title)
    nodes = matcher.match(parts)
    scores = score_nodes(matcher.taxonomy, nodes, groups)
    return {"parts": parts, "matched": [matcher.taxonomy.names[n] for n in nodes], **scores}


def score_levels(
    matcher: NodeMatcher,
    titles: dict[int, list[str]],
    members: dict[int, list[np.ndarray]],
    groups: Sequence[str],
    *,
    with_oracle: bool = True,
) -> dict[str, Any]:
    """Per level: every cluster's scores and the means.

    ``titles[level][i]`` is cluster i's title, ``members[level][i]`` its level-0 item indices,
    ``groups[item]`` each item's newsgroup. Means are plain means over clusters.
    """
    out: dict[str, Any] = {}
    group_array = np.asarray(groups, dtype=object)
    for level in sorted(titles):
        if len(titles[level]) != len(members[level]):
            raise InputError(
                f"level {level}: {len(titles[level])} titles for {len(members[level])} clusters"
            )
        rows = []
        for title, items in zip(titles[level], members[level], strict=True):
            member_groups = group_array[np.asarray(items, dtype=np.int64)].tolist()
            row = {"title": title, "size": len(member_groups)}
            row |= score_title(matcher, title, member_groups)
            if with_oracle:
                row["oracle"] = oracle(matcher.taxonomy, member_groups)
            rows.append(row)
        out[str(level)] = {"means": level_means(rows), "clusters": rows}
    return out


def best_titles(
    matcher: NodeMatcher,
    weighed: Mapping[int, Sequence[Sequence[str]]],
    members: dict[int, list[np.ndarray]],
    groups: Sequence[str],
) -> dict[int, list[str]]:
    """Per level, each cluster's title of highest coverage x precision among ``weighed[level][i]``
    (the first of equals; "" where none was weighed): how well a perfect choice among the
    titles the namer weighed would score."""
    group_array = np.asarray(groups, dtype=object)
    out: dict[int, list[str]] = {}
    for level in sorted(weighed):
        out[level] = []
        for titles, items in zip(weighed[level], members[level], strict=True):
            member_groups = group_array[np.asarray(items, dtype=np.int64)].tolist()
            scores = [score_title(matcher, t, member_groups) for t in titles]
            products = [s["coverage"] * s["precision"] for s in scores]
            out[level].append(titles[int(np.argmax(products))] if titles else "")
    return out


def mean_se(values: Sequence[float]) -> tuple[float, float]:
    """The mean of ``values`` and its standard error (0 for fewer than two)."""
    n = len(values)
    mean = sum(values) / n if n else 0.0
    if n < 2:
        return mean, 0.0
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(variance / n)


def level_means(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Mean coverage, precision, coverage x precision, too broad (and oracle) over clusters."""
    if not rows:
        return {}
    means = {
        "coverage": float(np.mean([r["coverage"] for r in rows])),
        "precision": float(np.mean([r["precision"] for r in rows])),
        "coverage_x_precision": float(np.mean([r["coverage"] * r["precision"] for r in rows])),
        "too_broad": float(np.mean([r["too_broad"] for r in rows])),
    }
    if all("oracle" in r for r in rows):
        means["oracle_coverage"] = float(np.mean([r["oracle"]["coverage"] for r in rows]))
        means["oracle_specific_coverage"] = float(
            np.mean([r["oracle"]["specific_coverage"] for r in rows])
        )
    return means
