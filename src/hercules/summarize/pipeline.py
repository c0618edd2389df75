"""How a cluster gets its title: evidence -> ask -> clean -> check -> choose -> fallback.

Each step is one function with its contract in its docstring:

1. **evidence** (:func:`hercules.summarize.evidence.gather`): the prompt block, distinctive
   terms, the evidence titles (keyword or statistics title; for a parent, its covering
   conjunction, its sub-groups' shared words and topic-taxonomy fields), or a name settled
   without a model (a single child, a cluster with little content).
2. **ask** (:class:`hercules.summarize.llm.LLMSummarizer`, through
   :class:`hercules.summarize.asking.Asker`): a few candidate titles and one description per
   cluster, schema-constrained, batched, cached; a parent's answer (texts and images) also
   names the broad area its members belong to, one more candidate title.
3. **clean** (:func:`clean`): quotes, container words and meta prefixes stripped.
4. **check** (:func:`check`): the rules of :data:`hercules.summarize.rules.RULES`.
5. **choose** (:func:`choose`): among the candidates that pass, the one that **covers** the
   members best (:func:`hercules.title_quality.coverage_of`: every part of the title against
   the titles outside the cluster's subtree, and within the breadth of its topic in a public
   taxonomy, :mod:`hercules.topics`; a parent's candidate also by its
   :func:`balance` over its children). The evidence titles are candidates too, and a model
   title replaces them only where it covers as well, within the measure's noise
   (:func:`tolerance`): the model makes a correct title readable; it is not trusted to guess
   a new one. At level 1, among the model's titles within that noise of its best, the
   model's own order decides: it read the members' texts.
6. **fallback** (:func:`fallback`): where nothing passes, the best evidence title, and the
   note says why.

Nothing here calls a model or reads the environment; every input arrives as an argument.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from hercules.summarize.base import ClusterBrief, LevelRequest, Summary
from hercules.summarize.evidence import FIELD_NOTE, Evidence, child_centroids, sample_of
from hercules.summarize.rules import RuleContext, reject_reason
from hercules.summarize.schema import clean_description, clean_title, is_meta_title
from hercules.summarize.stats import numeric_profile
from hercules.title_quality import (
    RIVAL_SCOPE,
    coverage_of,
    keyword_words,
    normalize_title,
    supported,
    title_parts,
    title_words,
    unit_rows,
)
from hercules.topics import corpus_topic_tree

MODEL = "model"
UNSUPPORTED_PENALTY = 0.5  # a title with a part that names under 10% of the members
# A model title covers "as well" as an evidence title when its score is lower by at most this
# many standard errors of the evidence title's score, a share of the sampled members (see
# :func:`tolerance`): a smaller difference is sampling noise, and the model's title reads better.
NOISE_Z = 2.0


@dataclass(frozen=True)
class Candidate:
    """One title a cluster may get: where it comes from, why it was rejected ("" when it
    passed), and how well it covers the members (NaN when not measured)."""

    title: str
    description: str
    source: str  # MODEL, or the evidence title's note ("keyword title", ...)
    reason: str = ""
    coverage: float = math.nan
    supported: bool = True
    balance: float = 1.0
    sampled: int = 0  # members the coverage was measured on (0: not a sampled share)

    @property
    def score(self) -> float:
        """Coverage, halved when a part names a minority that is not there, times balance."""
        if math.isnan(self.coverage):
            return -math.inf
        return self.coverage * (1.0 if self.supported else UNSUPPORTED_PENALTY) * self.balance


def clean(answer: Summary) -> list[tuple[str, str]]:
    """The model's candidate titles, cleaned, each with the answer's description; titles that
    are empty or only name the container are dropped."""
    description = clean_description(answer.description)
    titles = [clean_title(t) for t in (answer.candidates or (answer.title,))]
    return [(t, description) for t in titles if len(t) >= 2 and not is_meta_title(t)]


def check(
    brief: ClusterBrief,
    candidates: list[Candidate],
    taken: frozenset[str],
    written: frozenset[str] | None = None,
) -> list[Candidate]:
    """Each candidate with the reason the first rule of ``RULES`` gives against it;
    ``written``: the scripts the members write in (:attr:`Evidence.written`)."""
    context = RuleContext(tuple(child.title for child in brief.children), taken, written)
    return [replace(c, reason=reject_reason(c.title, context)) for c in candidates]


def rivals_of(request: LevelRequest, brief: ClusterBrief, scope: str = RIVAL_SCOPE) -> list[str]:
    """The titles below this level that compete with ``brief``'s candidates for its members,
    in the scope of :func:`hercules.title_quality.tree_rivals`: its own descendants' titles
    count in scope "tree", its children's in "children", none in "outside"."""
    out = []
    for rival in request.rivals:
        if rival.owner != brief.cluster_id or scope == "tree":
            out.append(rival.title)
        elif scope == "children" and rival.level == brief.level - 1:
            out.append(rival.title)
    return list(dict.fromkeys(out))


def measure(
    request: LevelRequest,
    candidates: list[list[Candidate]],
    level_titles: list[str],
) -> list[list[Candidate]]:
    """Each candidate with its coverage of its cluster's members.

    Texts (and images with captions): a sample of each cluster's member vectors against the
    candidate's parts; the rivals are the titles below this level in scope
    (:func:`rivals_of`) and ``level_titles`` (the other clusters' first evidence titles), the
    same for every candidate of a cluster; the breadth is the topic taxonomy's
    (:mod:`hercules.topics`). Numbers: the share of the statistics title's features
    (weighted by their z-scores) that the candidate names. Without an embedder or member
    vectors nothing is measured.
    """
    if request.corpus.numeric is not None:
        return [
            [replace(c, coverage=_numeric_coverage(request, b, c.title)) for c in cands]
            for b, cands in zip(request.clusters, candidates, strict=True)
        ]
    vectors = request.member_vectors
    if request.embed is None or vectors is None:
        return candidates
    below = [rivals_of(request, brief) for brief in request.clusters]
    titles = {c.title for cands in candidates for c in cands}
    titles |= {t for ts in below for t in ts} | set(level_titles)
    parts = {t: title_parts(t) for t in titles}
    named = {t: keyword_words(t) for t in titles}
    flat = sorted({p for t in titles for p in parts[t] + named[t]} | titles)
    embedded = np.asarray(request.embed(flat), dtype=np.float32)
    if embedded.ndim != 2 or embedded.shape[1] != vectors.shape[1]:
        return candidates
    embedded = unit_rows(embedded)
    topics = corpus_topic_tree(request.corpus, request.embed)
    row = {text: i for i, text in enumerate(flat)}
    out = []
    for brief, cands, lower in zip(request.clusters, candidates, below, strict=True):
        members = vectors[_sample(brief)]
        own = {c.title for c in cands}
        # One rival set for all of a cluster's candidates: its own other candidates are not
        # rivals, or near-synonyms would split the members between them.
        rivals = [t for t in dict.fromkeys(lower + level_titles) if t not in own]
        against = embedded[[row[t] for t in rivals]] if rivals else None
        kids = child_centroids(brief, vectors)
        vectors_of = [embedded[[row[p] for p in parts[c.title]]] for c in cands]
        fits = balance(vectors_of, kids) if kids is not None else None
        scored = []
        for i, c in enumerate(cands):
            cov, shares = coverage_of(
                vectors_of[i],
                members,
                against,
                topics=topics,
                named=embedded[[row[w] for w in named[c.title]]] if named[c.title] else None,
            )
            fit = 1.0 if fits is None else fits[i]
            scored.append(
                replace(
                    c,
                    coverage=cov,
                    supported=supported(shares),
                    balance=fit,
                    sampled=len(members),
                )
            )
        out.append(scored)
    return out


def balance(part_vectors: list[np.ndarray], children: np.ndarray) -> list[float]:
    """How well each of a parent's candidate titles fits its worst-fitting large child, over
    the best fit any candidate reaches on any child (a fit: the closest part's cosine to the
    child's centroid, floored at 0). A title naming one child ("Baseball" over baseball and
    hockey) fits the others less; a title vague about all of them fits none well."""
    fits = [np.clip((unit_rows(v) @ children.T).max(axis=0), 0.0, None) for v in part_vectors]
    best = max((float(f.max()) for f in fits), default=0.0)
    return [float(f.min()) / best if best > 0 else 0.0 for f in fits]


def _sample(brief: ClusterBrief) -> np.ndarray:
    return sample_of(np.asarray(brief.member_items), brief.level, brief.cluster_id)


def _numeric_coverage(request: LevelRequest, brief: ClusterBrief, title: str) -> float:
    """Share (by |z|) of the three most distinctive features whose name the title holds."""
    corpus = request.corpus
    profile = numeric_profile(corpus, brief.member_items)
    z = profile["z"].abs().sort_values(ascending=False, kind="stable")[:3]
    z = z[z >= 0.25]
    if not len(z):
        return 1.0
    said = set(title_words(title))
    named = [
        set(title_words(str(corpus.numeric_metadata.get(col, {}).get("name", col)))) <= said
        for col in z.index
    ]
    return float((z.to_numpy() * np.asarray(named)).sum() / z.sum())


def choose(candidates: list[list[Candidate]], model_order: bool = False) -> list[int | None]:
    """Index of each cluster's chosen candidate, or None when every one was rejected.

    The first candidate of :func:`_preference`: the best-scoring one that passed, where a
    model candidate wins when it scores as well as the best evidence title, within
    :func:`tolerance` (so it is never worse than its evidence beyond the measure's noise);
    with ``model_order``, the first of the model's titles that score within the noise of its
    best. Clusters pick in order of their best score, so a title two clusters want goes to
    the one it covers better; the other takes its next candidate.
    """
    best = [
        max((c.score for c in cands if not c.reason), default=-math.inf) for cands in candidates
    ]
    chosen: list[int | None] = [None] * len(candidates)
    used: set[str] = set()
    for k in np.argsort(-np.asarray(best), kind="stable"):
        for i in _preference(candidates[k], model_order):
            key = normalize_title(candidates[k][i].title)
            if key not in used:
                chosen[k] = i
                used.add(key)
                break
    return chosen


def tolerance(score: float, sampled: int) -> float:
    """:data:`NOISE_Z` standard errors of a share ``score`` of ``sampled`` members: 0.125 at a
    share of 0.5 of 64 members, 0.054 at 0.05, and 0 for a score that is no sampled share
    (``sampled`` 0: the numeric coverage, which is exact)."""
    if sampled <= 0 or not math.isfinite(score):
        return 0.0
    share = min(max(score, 0.0), 1.0)
    return NOISE_Z * math.sqrt(share * (1.0 - share) / sampled)


def _preference(cands: list[Candidate], model_order: bool = False) -> list[int]:
    """Passing candidates, best first. A score within :func:`tolerance` of a better one is
    noise, so such candidates rank by what else is known of them: the model's titles read
    better than the evidence titles, and with ``model_order`` (level 1, where the model read
    the members' texts) the model's own order is its judgement of them.

    A model title ranks ahead of every evidence title when it scores within the tolerance of
    the best evidence title's score. With ``model_order``, those within the tolerance of the
    best of them come first, in the order the model gave them. The rest go by score, then in
    the order offered. The noise shrinks with the share: a model title that covers none of 64
    members replaces an evidence title that covers under 1/17 of them, and no more."""
    passing = [i for i, c in enumerate(cands) if not c.reason]
    evidence = [cands[i] for i in passing if cands[i].source != MODEL]
    best = max(evidence, key=lambda c: c.score, default=None)
    margin = tolerance(best.score, best.sampled) if best is not None else 0.0
    first: list[int] = []  # with model_order: the model's titles tied with its best, in order
    if model_order:
        bar = best.score - margin if best is not None else -math.inf
        model = [
            i
            for i in passing
            if cands[i].source == MODEL and math.isfinite(cands[i].score) and cands[i].score >= bar
        ]
        top = max((cands[i] for i in model), key=lambda c: c.score, default=None)
        if top is not None:
            floor = top.score - tolerance(top.score, top.sampled)
            first = [i for i in model if cands[i].score >= floor]

    def key(i: int) -> tuple[float, int]:
        c = cands[i]
        bonus = margin if c.source == MODEL and math.isfinite(c.score) else 0.0
        return (-(c.score + bonus), i)

    return first + sorted((i for i in passing if i not in first), key=key)


def fallback(cands: list[Candidate]) -> Candidate:
    """The title of a cluster whose every candidate was rejected: the best evidence title
    (rejected only for being taken elsewhere, if need be), else the best model candidate."""
    evidence = [c for c in cands if c.source != MODEL]
    pool = evidence or cands
    return max(pool, key=lambda c: (c.score, -pool.index(c)))


def name_level(
    request: LevelRequest,
    evidence: list[Evidence],
    answers: dict[int, Summary],
) -> list[Summary]:
    """Steps 3-6 for one level: one :class:`Summary` per cluster, in order.

    ``answers`` holds the model's answer per cluster index (a failed one has ``failed`` set);
    clusters with ``evidence[i].settled`` are not in it and keep that name.
    """
    settled = {i: e.settled for i, e in enumerate(evidence) if e.settled is not None}
    open_ = [i for i in range(len(evidence)) if i not in settled]
    taken = request.taken_titles | {normalize_title(s.title) for s in settled.values()}
    pools: list[list[Candidate]] = []
    for i in open_:
        answer = answers.get(i)
        from_model = clean(answer) if answer is not None and not answer.failed else []
        cands = [Candidate(t, d, MODEL) for t, d in from_model]
        # A field the taxonomy gives keeps the model's sentence on the members.
        said = from_model[0][1] if from_model else ""
        cands += [
            Candidate(s.title, (s.note == FIELD_NOTE and said) or s.description, s.note)
            for s in evidence[i].titles
        ]
        cands = _unique(cands)
        pools.append(check(request.clusters[i], cands, taken, evidence[i].written))
    firsts = list(dict.fromkeys(e.titles[0].title for e in evidence if e.titles))
    pools = measure(replace(request, clusters=[request.clusters[i] for i in open_]), pools, firsts)
    # A parent's prompt shows its sub-groups' titles, not its members' texts: there the
    # model's order says no more than the measure does (docs/titles.md, the choose step).
    model_order = request.level == 1
    picks = choose(pools, model_order)
    out: list[Summary] = [Summary("", "")] * len(evidence)
    for i, s in settled.items():
        out[i] = s
    for pos, i in enumerate(open_):
        cands = pools[pos]
        ranked = tuple(cands[j].title for j in _preference(cands, model_order))
        answer = answers.get(i)
        failed = answer is not None and answer.failed
        error = answer.error if answer is not None else None
        if picks[pos] is not None:
            pick = cands[picks[pos]]  # type: ignore[index]
            note = "" if pick.source == MODEL else pick.source
        else:
            pick = fallback(cands) if cands else Candidate("Unlabelled cluster", "", "fallback")
            reasons = "; ".join(sorted({c.reason for c in cands if c.reason}))
            note = f"no candidate passed: {reasons}"
        out[i] = Summary(
            pick.title,
            pick.description,
            failed=failed,
            error=error,
            candidates=ranked or (pick.title,),
            note=note,
        )
    return out


def _unique(cands: list[Candidate]) -> list[Candidate]:
    seen: set[str] = set()
    out = []
    for c in cands:
        key = normalize_title(c.title)
        if key and key not in seen:
            seen.add(key)
            out.append(c)
    return out
