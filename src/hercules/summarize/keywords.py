"""A fast non-LLM labeller: distinctive terms per cluster (class-based TF-IDF).

Each cluster's member texts are pooled into one "class document"; a term scores
``tf(term, class) * log(1 + mean_words_per_class / total_count(term))``, which favours terms
frequent in this cluster and rare elsewhere (Grootendorst's c-TF-IDF). Titles join the top
terms; descriptions add the size, more terms and, above level 1, the children's titles.
Numeric clusters are named by their most distinctive features instead.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from hercules.data.dataset import Corpus
from hercules.summarize.base import LevelRequest, Summary
from hercules.summarize.stats import describe_profile, numeric_profile
from hercules.title_quality import KEYWORD_SEPARATOR

logger = logging.getLogger(__name__)

_TOKEN = r"(?u)\b[a-zA-Z][a-zA-Z0-9]{2,}\b"
# Beyond English stop words: the chat of forums ("don", "just", "think") and the residue of
# mail headers and addresses ("edu", "writes", "organization"), which c-TF-IDF otherwise
# ranks high in raw exports because they are frequent in some clusters only.
EXTRA_STOP_WORDS = frozenset(
    """
    don doesn didn isn aren wasn weren haven hasn hadn won wouldn shouldn couldn ain
    just like know think did does got get gets getting say says said going want wants
    really actually probably maybe anyway sure yes yeah okay thing things lot lots way
    ways make makes made good better best bad time times people person right well let
    need needs seen use used using want wanted mean means tell told look looks looking
    thanks thank hello hey dear sorry please try tried trying come came goes went
    edu com org net gov writes wrote write written article articles subject lines
    organization organisation nntp posting host reply replies distribution newsgroups
    sender path http https www html cc fax tel ext
    """.split()
)
MMR_DIVERSITY = 0.4  # weight of redundancy against relevance (BERTopic's default is 0.1-0.5)
MMR_POOL = 3  # candidates per kept term
# The name of a cluster with little content: empty or near-empty items, one-line replies,
# encoded data (the LLM labeller adds the two terms that set it apart, when there are any).
NO_TERMS_TITLE = "Short or empty texts"
KEYWORD_TITLE_TERMS = 4  # terms joined into a keyword title: "space / venus / solar / earth"


def keyword_title(terms: list[str], n_terms: int = KEYWORD_TITLE_TERMS) -> str:
    """The first ``n_terms`` distinctive terms joined: "space / venus / solar / earth"."""
    return KEYWORD_SEPARATOR.join(terms[:n_terms]) if terms else NO_TERMS_TITLE


def terms_description(num_items: int, terms: list[str]) -> str:
    return f"{num_items} items; distinctive terms: {', '.join(terms) or 'none'}."


class KeywordSummarizer:
    """Names clusters by their most distinctive terms; deterministic and fast."""

    def __init__(
        self, *, title_terms: int = KEYWORD_TITLE_TERMS, description_terms: int = 12
    ) -> None:
        self.title_terms = title_terms
        self.description_terms = description_terms

    def summarize_level(self, request: LevelRequest) -> list[Summary]:
        corpus = request.corpus
        if corpus.numeric is not None:
            return [self._numeric(corpus, brief.member_items, brief) for brief in request.clusters]
        terms = distinctive_terms(request, self.description_terms)
        summaries = []
        for brief, top in zip(request.clusters, terms, strict=True):
            title = keyword_title(top, self.title_terms)
            text = terms_description(brief.num_items, top)
            if brief.children:
                kids = "; ".join(c.title for c in brief.children[:8])
                text += f" Sub-clusters: {kids}."
            summaries.append(Summary(title=title, description=text))
        return summaries

    def _numeric(self, corpus: Corpus, members: np.ndarray, brief: object) -> Summary:
        title, description = describe_profile(corpus, numeric_profile(corpus, members))
        return Summary(title=title, description=description)


def term_scores(request: LevelRequest) -> tuple[np.ndarray, np.ndarray]:
    """c-TF-IDF scores (one row per cluster of ``request``) and the vocabulary.

    Items outside the request's clusters (a relabel of a few clusters) form one extra class,
    so a term common to the rest of the corpus still counts as common.
    """
    corpus = request.corpus
    matrix, vocab = corpus.cached("keyword_terms", lambda: _term_matrix(corpus))
    k = len(request.clusters)
    labels = np.full(len(corpus), k, dtype=np.int64)
    for pos, brief in enumerate(request.clusters):
        labels[brief.member_items] = pos
    rest = int(np.any(labels == k))
    scores = _ctfidf(matrix, labels, k + rest)[:k]
    return scores, vocab


def distinctive_terms(
    request: LevelRequest,
    n_terms: int,
    scored: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[list[str]]:
    """The ``n_terms`` best c-TF-IDF terms of each cluster, diversified when it can embed.

    With the run's text embedder (``request.embed``) the terms are picked by maximal
    marginal relevance among the top ``MMR_POOL * n_terms``, so "car, cars, auto" does not
    fill three of the slots. ``scored`` is :func:`term_scores` of the request when the caller
    has it already.
    """
    scores, vocab = scored if scored is not None else term_scores(request)
    if request.embed is None or n_terms <= 1:
        return [top_terms(row, vocab, n_terms) for row in scores]
    pools = [top_terms(row, vocab, MMR_POOL * n_terms) for row in scores]
    words = sorted({w for pool in pools for w in pool})
    if not words:
        return [[] for _ in pools]
    vectors = np.asarray(request.embed(words), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    where = {w: i for i, w in enumerate(words)}
    return [diverse(pool, vectors[[where[w] for w in pool]], n_terms) for pool in pools]


def diverse(pool: list[str], vectors: np.ndarray, n_terms: int) -> list[str]:
    """Maximal marginal relevance over ``pool`` (best first; relevance falls with the rank)."""
    if len(pool) <= 1:
        return pool[:n_terms]
    relevance = 1.0 - np.arange(len(pool)) / len(pool)
    chosen = [0]
    while len(chosen) < min(n_terms, len(pool)):
        redundancy = (vectors @ vectors[chosen].T).max(axis=1)
        gain = (1 - MMR_DIVERSITY) * relevance - MMR_DIVERSITY * redundancy
        gain[chosen] = -np.inf
        chosen.append(int(gain.argmax()))
    return [pool[i] for i in chosen]


def top_terms(row: np.ndarray, vocab: np.ndarray, n_terms: int) -> list[str]:
    return [str(vocab[i]) for i in np.argsort(-row, kind="stable")[:n_terms] if row[i] > 0]


def _documents(corpus: Corpus) -> list[str]:
    if corpus.texts is not None:
        return corpus.texts
    assert corpus.image_paths is not None
    # File and folder names are the only words images carry without a captioner.
    names = [" ".join([p.parent.name, re.sub(r"[_\-.]+", " ", p.stem)]) for p in corpus.image_paths]
    if corpus.captions is not None:
        return [f"{caption} {name}" for caption, name in zip(corpus.captions, names, strict=True)]
    return names


def _term_matrix(corpus: Corpus) -> tuple[sp.csr_matrix, np.ndarray]:
    docs = _documents(corpus)
    n = len(docs)
    for min_df in (2 if n >= 50 else 1, 1):
        vectorizer = CountVectorizer(
            token_pattern=_TOKEN,
            lowercase=True,
            stop_words=sorted(ENGLISH_STOP_WORDS | EXTRA_STOP_WORDS),
            min_df=min_df,
            # Words in over half of all items name no cluster; only meaningful on enough items.
            max_df=0.5 if n >= 200 else 1.0,
            max_features=60_000,
            dtype=np.float32,
        )
        try:
            matrix = vectorizer.fit_transform(docs)
            return matrix.tocsr(), vectorizer.get_feature_names_out()
        except ValueError:
            continue  # empty vocabulary at this min_df
    logger.warning("No words found in the items; keyword titles will be empty.")
    return sp.csr_matrix((n, 1), dtype=np.float32), np.array([""])


def _ctfidf(matrix: sp.csr_matrix, labels: np.ndarray, k: int) -> np.ndarray:
    rows = np.flatnonzero((labels >= 0) & (labels < k))
    indicator = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (labels[rows], rows)), shape=(k, matrix.shape[0])
    )
    counts = np.asarray((indicator @ matrix).todense())
    class_sizes = counts.sum(axis=1, keepdims=True)
    tf = counts / np.maximum(class_sizes, 1.0)
    total = counts.sum(axis=0)
    idf = np.log1p(class_sizes.mean() / np.maximum(total, 1.0))
    return tf * idf[None, :]
