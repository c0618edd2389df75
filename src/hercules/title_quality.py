"""How good are the titles? Faithfulness, copied parent titles, duplicates, generic titles.

**Faithfulness** of a cluster's label (title + description) is the share of its members whose
nearest label, among a set of competing labels, is their own cluster's. It is the embedding
proxy of ProxAnn's protocol (ACL 2025: infer a category from a label, then apply it to other
documents): a label that names what its members share picks them out; a vague or copied one
does not. Labels and members are compared in the run's text-embedding space (cosine).
Two competitor sets are scored:

- ``siblings``: the clusters with the same parent (at the top level, the whole level). A
  cluster without siblings scores 1.0 by definition and is counted apart.
- ``level``: every cluster of the level.

Members are a fixed, seeded sample of at most ``sample`` level-0 items per cluster, so the
score costs no model call and is the same on every rerun.

The title checks are plain string rules: a **copy** is a parent whose title is one of its
children's titles word for word (case, punctuation, stop words and plural "s" ignored;
single-child parents excepted);
a **duplicate** is a title that appears on more than one node of the tree (levels >= 1; a
single-child parent, the same cluster as its child, is not counted); a
**generic** title names no subject ("World News", "General Discussion", "Miscellaneous").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from hercules.engine.base import members_by_group
from hercules.topics import TopicTree, topic_tree
from hercules.tree import ClusterTree

FAITHFULNESS_SAMPLE = 64
SINGLE_CHILD = "single child"

_WORD = re.compile(r"[a-z0-9]+")
# Words that name no subject on their own; a title made only of these (and stop words) is
# generic. Kept short on purpose: a false "generic" rejects a good candidate.
_GENERIC_WORDS = frozenset(
    """
    general misc miscellaneous various assorted other others mixed diverse broad wide range
    topics topic subjects subject issues issue matters things stuff content contents news
    world global current daily latest updates update discussion discussions conversation
    conversations talk posts post messages message articles article texts text documents
    document items item information info questions question answers answer comments comment
    miscellany overview summary collection group groups cluster clusters category categories
    interests interest life everyday people community communities online internet web forum
    forums usenet newsgroup newsgroups opinions opinion views thoughts ideas debates debate
    random stuff etc
    """.split()
)
_STOP = frozenset(
    "a an the and or of in on for to with about from by at as its their this that these those "
    "is are be &".split()
)


def is_definition(description: str, title: str) -> bool:
    """True for an encyclopedia line about the subject ("X is a major world religion ...")."""
    head = re.escape(normalize_title(title))
    text = normalize_title(description)
    return (
        bool(head)
        and re.match(rf"(?:the )?{head} (?:is|are|was|were) (?:a|an|the) ", text) is not None
    )


def normalize_title(title: str) -> str:
    """Lower case, words only: ``"Ford  Mustang!"`` and ``"ford mustang"`` are the same title."""
    return " ".join(_WORD.findall(title.lower()))


def title_words(title: str) -> list[str]:
    return _WORD.findall(title.lower())


def is_generic_title(title: str) -> bool:
    """True when every content word of ``title`` is a subject-less word ("World News")."""
    words = [w for w in title_words(title) if w not in _STOP]
    return not words or all(w in _GENERIC_WORDS for w in words)


# "and more" closing a conjunction, as written or as a model echoes it (", more", ",more").
_CONJUNCTION_TAIL = re.compile(r"(?:,\s*|\s+)(?:(?:and|&)\s+)?more\s*$", re.IGNORECASE)


def without_and_more(title: str) -> str:
    """``title`` without a closing "and more" ("Cars, Space and more" -> "Cars, Space")."""
    return _CONJUNCTION_TAIL.sub("", title)


def stem(word: str) -> str:
    """A plural "s" cut ("roses" -> "rose"), but not a double one ("chess")."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def content_stems(title: str) -> set[str]:
    """Content words with a plural "s" cut: "SCSI Card Sales" and "SCSI card sale" match."""
    return {stem(w) for w in title_words(title) if w not in _STOP}


# Terms in brackets closing a title qualify its name ("Short or empty texts (b9r, ahf)").
_BRACKETS_TAIL = re.compile(r"\s*\([^()]*\)\s*$")


def copies_a_child(title: str, child_titles: Sequence[str]) -> bool:
    """True when ``title`` is one child's title word for word (case, punctuation, plurals and
    stop words aside): "SCSI Card Sales" over "SCSI card sale", or "Short or empty texts"
    over "Short or empty texts (b9r, ahf)". A shorter, broader title ("Baseball" over
    "Baseball Statistics" and "Pitching") is a parent's name, not a copy."""

    def name(text: str) -> set[str]:
        # A child named by a conjunction ("Cars, Space and more") is copied by "Cars, Space".
        core = without_and_more(text)
        return content_stems(_BRACKETS_TAIL.sub("", core) or core)

    words = name(title)
    return bool(words) and any(words == name(child) for child in child_titles)


def unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    X = np.asarray(X, dtype=np.float32)
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


def sample_members(labels: np.ndarray, k: int, sample: int, seed: int) -> list[np.ndarray]:
    """At most ``sample`` level-0 indices per cluster, seeded, sorted (reproducible)."""
    rng = np.random.default_rng(seed)
    out = []
    for members in members_by_group(labels, k):
        if len(members) > sample:
            members = np.sort(rng.choice(members, size=sample, replace=False))
        out.append(members)
    return out


def faithfulness(
    label_vectors: np.ndarray,
    member_vectors: np.ndarray,
    members: Sequence[np.ndarray],
    competitors: Sequence[np.ndarray],
) -> np.ndarray:
    """Per cluster c: share of ``members[c]`` whose nearest label in ``competitors[c]`` is c.

    ``label_vectors`` (k, d) embed the labels; ``member_vectors`` (n, d) the level-0 items;
    ``competitors[c]`` are cluster indices that include c. NaN for a cluster without members.
    """
    labels = unit_rows(label_vectors)
    scores = np.full(len(labels), np.nan)
    for c, (rows, rivals) in enumerate(zip(members, competitors, strict=True)):
        if len(rows) == 0:
            continue
        rivals = np.asarray(rivals)
        sims = unit_rows(member_vectors[rows]) @ labels[rivals].T
        scores[c] = float(np.mean(rivals[sims.argmax(axis=1)] == c))
    return scores


def member_space(
    tree: ClusterTree, embed: Callable[[list[str]], np.ndarray] | None
) -> np.ndarray | None:
    """Level-0 vectors in the text-embedding space of the labels, or None when there are none.

    Level 0's description vectors are that space (for texts they are the item embeddings).
    Precomputed text vectors (``fit(texts, embeddings=X)``) are taken to come from the same
    model when their width matches the embedder's; a different width means another space,
    and nothing is scored.
    """
    first = tree.levels[0]
    vectors = first.description_embedding
    if vectors is None and tree.modality == "text":
        vectors = first.representation
    if vectors is None or embed is None:
        return vectors
    probe = np.asarray(embed(["probe"]))
    return vectors if probe.shape[-1] == vectors.shape[1] else None


# ---------------------------------------------------------------------------- coverage
#
# A title covers a member when one of its parts is, for that member, about as close as the best
# of the other labels it could be given: the titles of the tree's nodes outside the cluster's
# subtree (RIVAL_SCOPE; the scope and the margin were chosen against a labelled hierarchy,
# docs/titles.md). A part that names a neighbour's subject loses those members to it.
COVERAGE_MARGIN = 0.15  # cosine a part may fall short of the member's best other label
SUPPORT_SHARE = 0.10  # a part must be the covering part of at least this share of members
# A conjunction's separators. Not "/": a keyword title ("orbit / launch / nasa") is read as
# one subject, as a reader reads it; split into its words it would get four tries at each
# member and at each child (the choose step's balance, ``summarize.pipeline.balance``). Each of
# its words must still be there (:func:`keyword_words`).
KEYWORD_SEPARATOR = " / "  # between a keyword title's terms
_PART_SPLIT = re.compile(r"\s*(?:,|;|&|\+|\band\b|\bvs\.?(?=\s|$)|\bversus\b)\s*", re.I)


def title_parts(title: str) -> list[str]:
    """The subjects a title names: a conjunction's parts.

    ``"Hockey, Baseball and more"`` -> ``["Hockey", "Baseball"]``; a keyword title
    ``"space / venus / solar"`` is one subject. Parts without a letter and duplicates are
    dropped; a title that does not split is one part.
    """
    core = without_and_more(title)
    parts: list[str] = []
    seen: set[str] = set()
    for piece in _PART_SPLIT.split(core):
        piece = piece.strip(" .:-\u2013\u2014()\"'")
        key = normalize_title(piece)
        if key and any(ch.isalpha() for ch in key) and key not in seen:
            seen.add(key)
            parts.append(piece)
    return parts or ([title.strip()] if title.strip() else [])


def is_keyword_title(title: str) -> bool:
    """True for a keyword title, its terms joined by :data:`KEYWORD_SEPARATOR`."""
    return KEYWORD_SEPARATOR in title


def keyword_words(title: str) -> list[str]:
    """The words of a keyword title (``"orbit / launch / nasa"``: three), or [] for any other
    title. Words without a letter name nothing and are left out; one word left is no list."""
    if not is_keyword_title(title):
        return []
    words = [w.strip() for w in title.split(KEYWORD_SEPARATOR)]
    words = [w for w in words if any(ch.isalpha() for ch in w)]
    return words if len(words) > 1 else []


def coverage_of(
    part_vectors: np.ndarray,
    member_vectors: np.ndarray,
    rival_vectors: np.ndarray | None,
    *,
    topics: TopicTree | None = None,
    margin: float = COVERAGE_MARGIN,
    named: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """Coverage of one title over one cluster, and the share of the members credited to each
    thing it names (its parts, or a keyword title's words).

    ``part_vectors`` (p, d) embed the title's parts, ``member_vectors`` (m, d) a sample of the
    members, ``rival_vectors`` (r, d) the other labels a member could be given. Coverage is
    the product of two shares of the members:

    * **claimed**: ``max_part cos(member, part) >= max_rival cos(member, rival) - margin`` (no
      other label is clearly closer); a claimed member is credited to its closest part. With
      no rivals every member is claimed.
    * **held**: a part's topic in ``topics`` (:mod:`hercules.topics`) is, or is above, one of
      the member's topics: the title is as broad as the member. Without ``topics``, all are.

    ``named`` (w, d) embeds a keyword title's words (:func:`keyword_words`; its one part is
    the whole title). They are facets of one subject, read side by side, not rival subjects:
    each is credited with the share of the members it would claim on its own.
    """
    members = unit_rows(member_vectors)
    if len(members) == 0 or len(part_vectors) == 0:
        return float("nan"), np.zeros(len(part_vectors if named is None else named))
    parts = unit_rows(part_vectors)
    sims = members @ parts.T
    best = sims.max(axis=1)
    if rival_vectors is not None and len(rival_vectors):
        bar = (members @ unit_rows(rival_vectors).T).max(axis=1) - margin
    else:
        bar = np.full(len(members), -np.inf)
    claimed = best >= bar
    held = 1.0 if topics is None else float(topics.holds(parts, members).any(axis=1).mean())
    if named is None:
        credit = np.bincount(sims.argmax(axis=1)[claimed], minlength=sims.shape[1])
        shares = credit / len(members)
    else:
        shares = ((members @ unit_rows(named).T) >= bar[:, None]).mean(axis=0)
    return float(claimed.mean()) * held, shares


def supported(shares: np.ndarray, support: float = SUPPORT_SHARE) -> bool:
    """True when every thing a title names is credited with at least ``support`` of the
    members (none names a minority that is not there)."""
    return bool(len(shares)) and bool((shares >= support).all())


RIVAL_SCOPES = ("tree", "children", "outside")
RIVAL_SCOPE = "outside"


def tree_rivals(tree: ClusterTree, level: int, index: int, scope: str = RIVAL_SCOPE) -> list[int]:
    """Positions (levels >= 1, in order, nodes in order) of the labels a member of node
    (level, index) could be given instead of its title.

    ``scope``: ``"tree"``, every node but the node and its ancestors (its descendants
    included); ``"children"``, the nodes outside its subtree and its own children;
    ``"outside"``, the nodes outside its subtree only.
    """
    path: dict[int, int] = {}
    i = index
    for lvl in range(level, tree.top_level + 1):
        path[lvl] = i
        parent = tree.levels[lvl].parent
        if parent is None or lvl == tree.top_level:
            break
        i = int(parent[i])
    inside = {lvl: np.zeros(len(tree.levels[lvl]), dtype=bool) for lvl in range(1, level + 1)}
    inside[level][index] = True
    for lvl in range(level - 1, 0, -1):
        parent = tree.levels[lvl].parent
        assert parent is not None
        inside[lvl] = inside[lvl + 1][parent]
    out, pos = [], 0
    for lvl in range(1, tree.top_level + 1):
        for j in range(len(tree.levels[lvl])):
            if path.get(lvl) == j:
                keep = False
            elif lvl < level and inside[lvl][j]:
                keep = scope == "tree" or (scope == "children" and lvl == level - 1)
            else:
                keep = True
            if keep:
                out.append(pos)
            pos += 1
    return out


def tree_coverage(
    tree: ClusterTree,
    embed: Callable[[list[str]], np.ndarray],
    member_vectors: np.ndarray,
    *,
    sample: int = FAITHFULNESS_SAMPLE,
    seed: int = 0,
    scope: str = RIVAL_SCOPE,
    topics: TopicTree | None = None,
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per level: (coverage, supported) per node, every title against the tree's other titles.

    Titles and their parts are embedded once; a node's rivals are the titles of the nodes of
    levels >= 1 that :func:`tree_rivals` gives in ``scope``; ``topics`` (by default the
    taxonomy of :mod:`hercules.topics`, embedded with ``embed``) gives each title's breadth.
    """
    if topics is None:
        topics = topic_tree(embed)
    titles = [t for lvl in tree.levels[1:] for t in lvl.titles]
    parts = [title_parts(t) for t in titles]
    named = [keyword_words(t) for t in titles]
    flat = [p for ps in parts for p in ps]
    words = [w for ws in named for w in ws]
    vectors = unit_rows(np.asarray(embed(titles + flat + words), dtype=np.float32))
    title_vecs = vectors[: len(titles)]
    part_vecs = vectors[len(titles) : len(titles) + len(flat)]
    word_vecs = vectors[len(titles) + len(flat) :]
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    pos = start = at = 0
    for lvl in range(1, tree.top_level + 1):
        k = len(tree.levels[lvl])
        members = sample_members(tree.labels(lvl), k, sample, seed + lvl)
        cov = np.full(k, np.nan)
        ok = np.zeros(k, dtype=bool)
        for c in range(k):
            n_parts = len(parts[pos])
            own = word_vecs[at : at + len(named[pos])] if named[pos] else None
            at += len(named[pos])
            rivals = title_vecs[tree_rivals(tree, lvl, c, scope)]
            cov[c], shares = coverage_of(
                part_vecs[start : start + n_parts],
                member_vectors[members[c]],
                rivals,
                topics=topics,
                named=own,
            )
            ok[c] = supported(shares)
            pos += 1
            start += n_parts
        out[lvl] = (cov, ok)
    return out


def level_quality(
    tree: ClusterTree,
    level: int,
    member_vectors: np.ndarray | None,
    *,
    sample: int = FAITHFULNESS_SAMPLE,
    seed: int = 0,
) -> dict[str, Any]:
    """Per-node arrays (``faithfulness``, ``note``) and per-level figures for one level."""
    data = tree.levels[level]
    k = len(data)
    below = tree.levels[level - 1]
    children: list[list[str]] = [[] for _ in range(k)]
    if level >= 2 and below.parent is not None:
        for child, parent in enumerate(below.parent):
            children[int(parent)].append(below.titles[child])
    single = np.array([level >= 2 and len(kids) == 1 for kids in children])
    copied = np.array(
        [
            not one and copies_a_child(t, kids)
            for t, kids, one in zip(data.titles, children, single, strict=True)
        ]
    )
    generic = np.array([is_generic_title(t) for t in data.titles])
    encyclopedic = sum(
        is_definition(d, t) for t, d in zip(data.titles, data.descriptions, strict=True)
    )
    notes = [
        SINGLE_CHILD if one else "copied child title" if cp else "generic title" if gen else ""
        for one, cp, gen in zip(single, copied, generic, strict=True)
    ]
    out: dict[str, Any] = {
        "level": level,
        "clusters": k,
        "single_child_parents": int(single.sum()),
        "copied_parent_titles": int(copied.sum()),
        "generic_titles": int(generic.sum()),
        "encyclopedic_descriptions": int(encyclopedic),
        "notes": notes,
    }
    if (
        member_vectors is None
        or data.description_embedding is None
        or member_vectors.shape[1] != data.description_embedding.shape[1]
    ):
        out["faithfulness"] = np.full(k, np.nan)
        return out
    labels = tree.labels(level)
    members = sample_members(labels, k, sample, seed + level)
    everyone = np.arange(k)
    parent = data.parent
    if parent is None:  # the top level: its siblings are the whole level
        siblings = [everyone] * k
    else:
        siblings = [np.flatnonzero(parent == parent[c]) for c in range(k)]
    vs_siblings = faithfulness(data.description_embedding, member_vectors, members, siblings)
    vs_level = faithfulness(data.description_embedding, member_vectors, members, [everyone] * k)
    with_rivals = np.array([len(s) > 1 for s in siblings])
    out["faithfulness"] = vs_siblings
    out["faithfulness_siblings"] = _mean(vs_siblings[with_rivals])
    out["faithfulness_level"] = _mean(vs_level)
    out["clusters_without_siblings"] = int((~with_rivals).sum())
    return out


def tree_quality(
    tree: ClusterTree,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    *,
    sample: int = FAITHFULNESS_SAMPLE,
    seed: int = 0,
    topics: Callable[[], TopicTree] | None = None,
) -> dict[str, Any]:
    """:func:`level_quality` for every level plus duplicate titles across the whole tree;
    ``topics`` gives the topic tree of :func:`tree_coverage`, called only where coverage is
    measured (by default that function embeds its own)."""
    vectors = member_space(tree, embed)
    levels = [
        level_quality(tree, lvl, vectors, sample=sample, seed=seed)
        for lvl in range(1, tree.top_level + 1)
    ]
    measured = (
        tree_coverage(
            tree, embed, vectors, sample=sample, seed=seed, topics=topics() if topics else None
        )
        if embed is not None and vectors is not None
        else {}
    )
    for report in levels:
        lvl = tree.levels[report["level"]]
        cov, ok = measured.get(report["level"], (lvl.coverage, lvl.title_supported))
        if cov is None or len(cov) != len(lvl):
            continue
        report["coverage"] = np.asarray(cov, dtype=np.float64)
        report["coverage_mean"] = _mean(report["coverage"])
        if ok is not None and len(ok) == len(lvl):
            report["supported"] = np.asarray(ok, dtype=bool)
            report["supported_share"] = round(float(np.mean(ok)), 4) if len(ok) else None
    # A single-child parent is its child under another id: its title is not a second one.
    counted = [
        [
            normalize_title(t) if note != SINGLE_CHILD else ""
            for t, note in zip(lvl.titles, report["notes"], strict=True)
        ]
        for lvl, report in zip(tree.levels[1:], levels, strict=True)
    ]
    counts = Counter(t for titles in counted for t in titles if t)
    duplicated = {t for t, n in counts.items() if n > 1}
    for report, titles in zip(levels, counted, strict=True):
        dup = [t in duplicated for t in titles]
        report["duplicate_titles"] = int(sum(dup))
        report["notes"] = [
            note or ("duplicate title" if d else "")
            for note, d in zip(report["notes"], dup, strict=True)
        ]
    return {"levels": levels, "duplicate_titles": int(sum(counts[t] for t in duplicated))}


def annotate_tree(tree: ClusterTree, quality: dict[str, Any]) -> None:
    """Store per-node faithfulness and notes on the levels (saved with the run)."""
    for report in quality["levels"]:
        lvl = tree.levels[report["level"]]
        lvl.faithfulness = np.asarray(report["faithfulness"], dtype=np.float64)
        if "coverage" in report:
            lvl.coverage = report["coverage"]
            lvl.title_supported = report.get("supported")
        # A measured flaw first; otherwise what the labeller said ("no candidate passed ...").
        said = lvl.title_notes or [""] * len(lvl)
        lvl.title_notes = [found or note for found, note in zip(report["notes"], said, strict=True)]


def summary_table(quality: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-level figures without the per-node arrays (for printing and results files)."""
    rows = []
    for report in quality["levels"]:
        rows.append(
            {
                k: v
                for k, v in report.items()
                if k not in ("faithfulness", "notes", "coverage", "supported")
            }
        )
    return rows


def _mean(values: np.ndarray) -> float | None:
    values = values[~np.isnan(values)]
    return round(float(values.mean()), 4) if len(values) else None
