"""Prompt text for summarizing clusters, one block per cluster, several blocks per call.

Representative level-0 samples come first (closest to the centroid, or a seeded random draw),
then the children's summaries for level >= 2, numeric statistics on the original scale, and the
topic seed as a focus line. Titles are asked for by topic, never by container ("Posts about").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hercules.data.dataset import Corpus
from hercules.summarize.base import ClusterBrief
from hercules.summarize.schema import CANDIDATES, title_words
from hercules.summarize.snippets import shorten
from hercules.summarize.stats import numeric_profile

_KIND = {"text": "texts", "image": "images", "numeric": "records of numeric values"}
# Asked last in a parent's answer (schema.AREA_WORDS): the field its members belong to.
AREA_ASKED = (
    '"area": "the broad subject area nearly all members belong to, in 1-3 words, like a '
    'section of a library or a newspaper"'
)


def asks_area(level: int, modality: str) -> bool:
    """Whether a cluster's answer names its members' broad area: for parents of texts and
    images. Numbers are named by their statistics; a level-1 area ("Sports" over hockey
    posts) is broader than its members and takes the name its parent needs."""
    return level >= 2 and modality != "numeric"


@dataclass(frozen=True)
class ClusterHints:
    """Cheap contrast for one cluster: its c-TF-IDF terms and its most similar siblings' terms."""

    terms: list[str]
    neighbours: list[str]


@dataclass(frozen=True)
class PromptOptions:
    n_samples: int = 4
    sample_chars: int = 160
    sampling: str = "centroid_closest"  # or "random"
    max_children: int = 8
    child_sample_chars: int = 90
    numeric_columns: int = 8
    seed: int = 0


def header(level: int, modality: str, ids: list[int], topic_seed: str | None) -> str:
    kind = _KIND.get(modality, "items")
    many = len(ids) > 1
    if level >= 2:
        lines = [
            f"Title each parent group of {kind} so that the title covers at least 80% of its "
            "members: the field that all its large sub-groups share if there is one, else the "
            'two or three largest subjects joined, largest first ("A, B and C"). Name no '
            "sub-group under 10%, and never reuse one sub-group's title for the whole."
        ]
        what = "theme"
    else:
        lines = [
            f"Title each group of {kind} by what at least 80% of its members share, at their "
            "breadth: the field and subject if one subject runs through them, else the two or "
            'three main subjects joined ("A and B"). Never the story of one example. Key '
            "words are evidence, not titles."
        ]
        what = "field and subject"
    if modality == "numeric":
        lines.append(
            "Name the values that set the group apart, as the statistics show them (high or "
            "low, and which feature)."
        )
    if topic_seed:
        lines.append(f"Focus titles and descriptions on this aspect: {topic_seed}.")
    verb = "discuss" if modality == "text" else "have in common"
    fewest, most = title_words(level)
    label = (
        f'"titles": [{CANDIDATES} different titles of {fewest}-{most} words naming the {what}], '
        f'"description": "one sentence of at most 12 words on what the members {verb}"'
    )
    if asks_area(level, modality):
        label = f"{label}, {AREA_ASKED}"
    if many:
        lines.append(
            f'Answer JSON {{"clusters": [{{"id": <id>, {label}}}]}} with one entry '
            f"for each id in {ids}."
        )
    else:
        lines.append(f"Answer JSON on one line: {{{label}}}.")
    lines.append(
        "Avoid words like posts, texts, group, discussion, topics, news, general, various."
    )
    return "\n".join(lines)


def cluster_block(
    brief: ClusterBrief,
    corpus: Corpus,
    options: PromptOptions,
    *,
    sample_chars: int | None = None,
    n_samples: int | None = None,
    hints: ClusterHints | None = None,
) -> str:
    chars = sample_chars if sample_chars is not None else options.sample_chars
    count = n_samples if n_samples is not None else options.n_samples
    parent = brief.level >= 2 and bool(brief.children)
    lines = [f"Group {brief.cluster_id} ({brief.num_items} members)"]
    if parent:
        kids = sorted(brief.children, key=lambda c: -c.num_items)[: options.max_children]
        more = len(brief.children) - len(kids)
        lines.append(
            "Sub-groups: "
            + "; ".join(
                f'"{child.title}" ({100 * child.num_items / max(brief.num_items, 1):.0f}%)'
                for child in kids
            )
            + (f"; and {more} smaller" if more > 0 else "")
        )
    if hints is not None and hints.terms:
        lines.append("Key words: " + ", ".join(hints.terms))
    if hints is not None and hints.neighbours and not parent:
        lines.append("Unlike: " + "; ".join(f"({n})" for n in hints.neighbours))
    if corpus.numeric is not None:
        lines.append("Statistics (group mean vs overall mean, z-score):")
        lines += _numeric_lines(corpus, brief.member_items, options.numeric_columns)
    if parent:
        # One example per sub-group, not the parent's nearest items: those come from its
        # largest child and lead the model to name that child.
        examples = [c.example_item for c in kids if c.example_item is not None][:count]
        chars = min(chars, options.child_sample_chars)
    else:
        examples = pick_samples(brief, options, count)
    if examples:
        lines.append("Examples:")
        lines += [f"- {shorten(corpus.item_text(item), chars) or '(empty)'}" for item in examples]
    return "\n".join(lines)


def pick_samples(brief: ClusterBrief, options: PromptOptions, count: int) -> list[int]:
    if count <= 0:
        return []
    if options.sampling == "random":
        rng = np.random.default_rng([options.seed, brief.level, int(brief.cluster_id)])
        members = np.asarray(brief.member_items)
        take = min(count, len(members))
        return [int(i) for i in rng.choice(members, size=take, replace=False)]
    return list(brief.representative_items[:count])


def _numeric_lines(corpus: Corpus, members: np.ndarray, top: int) -> list[str]:
    profile = numeric_profile(corpus, np.asarray(members))
    order = profile["z"].abs().sort_values(ascending=False).index[:top]
    lines = []
    for col in order:
        meta = corpus.numeric_metadata.get(col, {})
        name = meta.get("name", col)
        unit = f" {meta['unit']}" if meta.get("unit") else ""
        note = f" ({meta['description']})" if meta.get("description") else ""
        row = profile.loc[col]
        lines.append(
            f"- {name}{note}: {row['mean']:.4g}{unit} vs {row['overall_mean']:.4g}{unit}, "
            f"z={row['z']:+.2f}, range {row['min']:.4g} to {row['max']:.4g}"
        )
    return lines


def fit_block(
    brief: ClusterBrief,
    corpus: Corpus,
    options: PromptOptions,
    budget: int,
    count: Callable[[str], int],
    hints: ClusterHints | None = None,
) -> tuple[str, int]:
    """The richest block whose token count fits ``budget``: shorter samples first, then fewer."""
    chars, samples = options.sample_chars, options.n_samples
    while True:
        block = cluster_block(
            brief, corpus, options, sample_chars=chars, n_samples=samples, hints=hints
        )
        tokens = count(block)
        if tokens <= budget or (chars <= 60 and samples <= 1):
            return block, tokens
        if chars > 60:
            chars = max(60, chars // 2)
        else:
            samples -= 1
