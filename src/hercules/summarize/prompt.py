"""Prompt text for summarising clusters, one block per cluster, several blocks per call.

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
from hercules.summarize.level0 import shorten
from hercules.summarize.stats import numeric_profile

_KIND = {"text": "texts", "image": "images", "numeric": "records of numeric values"}


@dataclass(frozen=True)
class ClusterHints:
    """Cheap contrast for one cluster: its c-TF-IDF terms and its most similar siblings' terms."""

    terms: list[str]
    neighbours: list[str]


@dataclass(frozen=True)
class PromptOptions:
    n_samples: int = 5
    sample_chars: int = 300
    sampling: str = "centroid_closest"  # or "random"
    max_children: int = 15
    numeric_columns: int = 8
    seed: int = 0


def header(level: int, modality: str, ids: list[int], topic_seed: str | None) -> str:
    kind = _KIND.get(modality, "items")
    lines = [
        f"You name groups of {kind} in a topic hierarchy. These groups are at level {level} "
        "(level 1 is the most specific; higher levels merge the ones below).",
    ]
    if topic_seed:
        lines.append(f"Focus every title and description on this aspect: {topic_seed}.")
    broader = (
        " It must be broader than the sub-group titles and cover all of them; do not reuse one "
        "sub-group's title."
        if level >= 2
        else ""
    )
    lines += [
        "For each group below write:",
        '- "title": 2 to 6 words naming the subject its members share, specific enough to tell '
        "it apart from the other groups, like a section heading."
        + broader
        + ' Never use container words such as "posts", "documents", "texts", "messages", '
        '"articles", "discussion", "cluster", "group" or "collection" in a title.',
        '- "description": one or two sentences saying what the members have in common and what '
        "sets them apart.",
        'Answer with JSON only, no markdown: {"clusters": [{"id": <id>, "title": "...", '
        f'"description": "..."}}]}} with exactly one entry for each id in {ids}.',
    ]
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
    if brief.level >= 2 and brief.children:
        count = min(count, 3)
    lines = [f"## Group id={brief.cluster_id}", f"Size: {brief.num_items} members."]
    if brief.children:
        lines.append(f"Its {len(brief.children)} sub-groups:")
        kids = sorted(brief.children, key=lambda c: -c.num_items)[: options.max_children]
        for child in kids:
            lines.append(
                f'- "{child.title}" ({child.num_items} items): {shorten(child.description, 160)}'
            )
    if hints is not None and hints.terms:
        lines.append(
            "Words that set it apart (hints for the subject, not a title to copy): "
            + ", ".join(hints.terms)
        )
    if hints is not None and hints.neighbours:
        others = "; ".join(f"({n})" for n in hints.neighbours)
        lines.append(f"Similar groups it must not be confused with, by their top words: {others}")
    if corpus.numeric is not None:
        lines.append("Statistics (group mean vs overall mean, z-score):")
        lines += _numeric_lines(corpus, brief.member_items, options.numeric_columns)
    samples = pick_samples(brief, options, count)
    if samples:
        lines.append("Example members:")
        for i, item in enumerate(samples, 1):
            lines.append(f"{i}. {shorten(corpus.item_text(item), chars) or '(empty)'}")
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
