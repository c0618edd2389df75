"""Contrast hints for cluster prompts: what sets a cluster apart from its closest siblings.

Clio names clusters by contrast with their neighbours; here the contrast is computed without
any model call. Each cluster gets its own c-TF-IDF terms (frequent in it, rare in the other
clusters of the level) and the term titles of the clusters whose term profiles are most like
its own, which are the ones a reader would confuse it with.
"""

from __future__ import annotations

import numpy as np

from hercules.summarize.base import LevelRequest
from hercules.summarize.keywords import distinctive_terms, term_scores, top_terms
from hercules.summarize.prompt import ClusterHints

NEIGHBOUR_TERMS = 3


def contrast_hints(request: LevelRequest, n_terms: int, n_neighbours: int) -> list[ClusterHints]:
    """One :class:`ClusterHints` per cluster of ``request`` (empty lists for numeric data)."""
    k = len(request.clusters)
    if request.corpus.numeric is not None or (n_terms <= 0 and n_neighbours <= 0):
        return [ClusterHints([], []) for _ in range(k)]
    scores, vocab = term_scores(request)
    own = (
        distinctive_terms(request, n_terms, (scores, vocab))
        if n_terms > 0
        else [[] for _ in scores]
    )
    if n_neighbours <= 0 or k < 2:
        return [ClusterHints(terms, []) for terms in own]
    # Comma lists, not "a / b / c" titles: a small model copies the style of what it is shown.
    names = [", ".join(top_terms(row, vocab, NEIGHBOUR_TERMS)) for row in scores]
    unit = scores / np.maximum(np.linalg.norm(scores, axis=1, keepdims=True), 1e-12)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    hints = []
    for i, terms in enumerate(own):
        nearest = np.argsort(-similarity[i], kind="stable")[: min(n_neighbours, k - 1)]
        hints.append(ClusterHints(terms, [names[j] for j in nearest if names[j]]))
    return hints
