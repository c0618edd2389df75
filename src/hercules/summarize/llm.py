"""Cluster titles and descriptions written by a language model, batched, cached and logged.

Per level: one prompt block per cluster (see :mod:`hercules.summarize.prompt`), ``batch_size``
clusters per call, asked through :class:`~hercules.summarize.asking.Asker` (cache, retries with
back-off, timeout, concurrency, call log): a batch that still fails, answers malformed JSON or
the wrong id set is split in half and asked again, down to single clusters. A cluster that
fails alone gets a keyword title with ``Summary(failed=True, error=...)``: one bad answer never
stops a run.

Each answer offers a few candidate titles; :mod:`hercules.summarize.verify` rejects copies,
generic and taken titles and keeps the most faithful one. A cluster whose candidates all fail
is asked once more with the rejected titles named; a parent with one child makes no call.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from hercules.cache import Cache
from hercules.errors import ParameterError
from hercules.llm.base import count_tokens, model_id, supports_patterns
from hercules.llm.retry import RetryPolicy
from hercules.summarize.asking import Ask, Asker
from hercules.summarize.base import ClusterBrief, LevelRequest, Summary
from hercules.summarize.contrast import contrast_hints
from hercules.summarize.keywords import (
    NO_TERMS_TITLE,
    NO_WORDS_NOTE,
    keyword_title,
    terms_description,
)
from hercules.summarize.prompt import ClusterHints, PromptOptions, fit_block, header
from hercules.summarize.schema import (
    AnswerError,
    batch_schema,
    clean_description,
    clean_title,
    is_meta_title,
    parse_labels,
    title_words,
)
from hercules.summarize.verify import (
    BORROWED,
    REPEATS_EXAMPLE,
    Verdict,
    choose_titles,
    conjunction,
)
from hercules.title_quality import SINGLE_CHILD, normalize_title

logger = logging.getLogger(__name__)

# Measured for Qwen2.5-Coder-1.5B Q4_K_M with xllamacpp on 2 threads (see bench/results).
PROMPT_TOKENS_PER_S = 93.0
GENERATED_TOKENS_PER_S = 34.0
CHARS_PER_TOKEN = 4.0  # only when the backend exposes no tokenizer


@dataclass
class _Outcome:
    summaries: dict[int, Summary] = field(default_factory=dict)


class LLMSummarizer:
    """Writes a title and description per cluster with ``llm`` (an :class:`~hercules.llm.LLM`).

    ``batch_size`` clusters share one call (adaptively halved on failure); ``max_prompt_tokens``
    bounds each prompt, counted with the model's own tokenizer where it has one; ``cache``
    (a :class:`~hercules.cache.Cache`) makes reruns free; ``timeout`` bounds one call in
    seconds; ``concurrency`` runs that many calls at once (ordered results), for remote servers.
    ``call_log`` receives one record per model call (prompt, answer, tokens, seconds).
    """

    def __init__(
        self,
        llm: Any,
        *,
        batch_size: int = 1,
        n_samples: int = PromptOptions.n_samples,
        sample_chars: int = PromptOptions.sample_chars,
        sampling: str = "centroid_closest",
        max_prompt_tokens: int = 3000,
        max_tokens_per_cluster: int = 150,
        retry: RetryPolicy | None = None,
        cache: Cache | None = None,
        timeout: float | None = None,
        concurrency: int | None = None,
        seed: int = 0,
        distinctive_terms: int = 10,
        contrast_neighbours: int = 0,
    ) -> None:
        if not hasattr(llm, "complete"):
            raise ParameterError(
                f"llm must have a complete(prompt, *, schema, max_tokens) method; got "
                f"{type(llm).__name__}. Wrap a plain function with hercules.llm.CallableLLM."
            )
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ParameterError(f"batch_size must be an int >= 1; got {batch_size!r}.")
        if sampling not in ("centroid_closest", "random"):
            raise ParameterError(
                f"sampling must be 'centroid_closest' or 'random'; got {sampling!r}."
            )
        for name, value in (
            ("distinctive_terms", distinctive_terms),
            ("contrast_neighbours", contrast_neighbours),
        ):
            if not isinstance(value, int) or value < 0:
                raise ParameterError(f"{name} must be an int >= 0; got {value!r}.")
        if max_prompt_tokens < 200:
            raise ParameterError(f"max_prompt_tokens must be >= 200; got {max_prompt_tokens}.")
        self.llm = llm
        self.batch_size = batch_size
        self.options = PromptOptions(
            n_samples=n_samples, sample_chars=sample_chars, sampling=sampling, seed=seed
        )
        self.max_prompt_tokens = max_prompt_tokens
        self.max_tokens_per_cluster = max_tokens_per_cluster
        self.retry = retry if retry is not None else RetryPolicy()
        self.cache = cache
        self.timeout = timeout
        self.concurrency = concurrency or int(getattr(llm, "max_concurrency", 1) or 1)
        self.model_id = model_id(llm)
        # Distinctive words are on by default (llm_contrast.json). The siblings' words
        # ("Unlike: ...") were too until the verifier compared candidates with the other
        # clusters; without them both title benchmarks scored higher faithfulness at every
        # level for ~5% fewer prompt tokens (bench/README.md, seventh session).
        self.distinctive_terms = distinctive_terms
        self.contrast_neighbours = contrast_neighbours
        self.call_log: list[dict[str, Any]] = []
        self.on_call: Callable[[dict[str, Any]], None] | None = None

    # ------------------------------------------------------------------ protocol
    def summarize_level(self, request: LevelRequest) -> list[Summary]:
        briefs = request.clusters
        if not briefs:
            return []
        head_tokens = self._count(header(request.level, request.corpus.modality, [0], None))
        budget = max(100, (self.max_prompt_tokens - head_tokens) // min(self.batch_size, 4))
        hints = contrast_hints(request, self.distinctive_terms, self.contrast_neighbours)
        blocks = [
            fit_block(b, request.corpus, self.options, budget, self._count, hint)
            for b, hint in zip(briefs, hints, strict=True)
        ]
        # A parent with one child is that child: it keeps the child's title, no call is made.
        single = {i for i, b in enumerate(briefs) if b.level >= 2 and len(b.children) == 1}
        blank = {
            i
            for i, (b, hint) in enumerate(zip(briefs, hints, strict=True))
            if self._nothing_to_name(request, b, hint)
        }
        settled = single | blank
        asked = [i for i in range(len(briefs)) if i not in settled]
        outcome = _Outcome()
        for i in single:
            child = briefs[i].children[0]
            outcome.summaries[i] = Summary(child.title, child.description, note=SINGLE_CHILD)
        for i in blank:
            outcome.summaries[i] = Summary(
                NO_TERMS_TITLE,
                f"{briefs[i].num_items} items with no text, or too few words to name a subject.",
                note=NO_WORDS_NOTE,
            )

        def landed(part: dict[int, Summary]) -> None:
            outcome.summaries.update(part)
            if request.progress is not None:  # may raise (a cancelled job): stop asking
                request.progress(len(outcome.summaries), len(briefs))

        self._run_batches(request, blocks, asked, head_tokens, landed)
        summaries = [outcome.summaries[i] for i in range(len(briefs))]
        terms = [hint.terms for hint in hints]
        summaries = self._select(request, blocks, summaries, settled, terms)
        failed = [i for i, s in enumerate(summaries) if s.failed]
        if failed:
            summaries = self._fallback(request, summaries, failed)
        return summaries

    def _nothing_to_name(
        self, request: LevelRequest, brief: ClusterBrief, hint: ClusterHints
    ) -> bool:
        """A cluster of empty or near-empty texts: no distinctive word, no example of three
        words. Shown only "(empty)" examples, the model invents a subject ("Alien Species" for
        the 515 empty posts of 20NG, tenth session), so no call is made."""
        if request.corpus.modality != "text" or self.distinctive_terms <= 0 or brief.children:
            return False
        examples = brief.representative_items[: self.options.n_samples]
        return not hint.terms and all(
            len(request.corpus.item_text(i).split()) < 3 for i in examples
        )

    def _run_batches(
        self,
        request: LevelRequest,
        blocks: list[tuple[str, int]],
        indices: list[int],
        head_tokens: int,
        landed: Callable[[dict[int, Summary]], None],
        feedback: dict[int, str] | None = None,
    ) -> None:
        """Ask for ``indices`` in batches; ``landed`` gets each batch's summaries as it ends."""

        def failed(index: int, message: str) -> Summary:
            brief = request.clusters[index]
            logger.warning(
                "Summary failed for cluster %s at level %d: %s",
                brief.cluster_id,
                brief.level,
                message,
            )
            return Summary("", "", failed=True, error=message)

        self._asker().map(
            self._batches(blocks, head_tokens, indices),
            lambda batch: self._ask(request, blocks, batch, feedback),
            failed,
            landed,
        )

    def _select(
        self,
        request: LevelRequest,
        blocks: list[tuple[str, int]],
        summaries: list[Summary],
        settled: set[int],
        terms: list[list[str]] | None = None,
    ) -> list[Summary]:
        """Pick each cluster's title among its candidates; re-ask once where all failed.

        ``settled`` clusters were named without a call (a single child, nothing to name).
        ``terms``, each cluster's distinctive terms, name a cluster whose every candidate
        echoed the prompt's examples: the model wrote nothing about its members."""
        open_ = [i for i, s in enumerate(summaries) if not s.failed and i not in settled]
        if not open_:
            return summaries
        # Titles settled without a call are taken too: a sibling must not repeat them.
        taken = request.taken_titles | {normalize_title(summaries[i].title) for i in settled}
        view = replace(request, clusters=[request.clusters[i] for i in open_], taken_titles=taken)
        chosen, verdicts = choose_titles(view, [list(summaries[i].candidates) for i in open_])
        retry = [pos for pos, pick in enumerate(chosen) if pick is None]
        if retry:
            feedback = {
                open_[pos]: reask_note(request.clusters[open_[pos]], verdicts[pos]) for pos in retry
            }
            again: dict[int, Summary] = {}
            self._run_batches(
                request, blocks, [open_[pos] for pos in retry], 0, again.update, feedback
            )
            for pos in retry:
                first = summaries[open_[pos]]
                second = again.get(open_[pos])
                if second is not None and not second.failed:
                    summaries[open_[pos]] = replace(
                        second, candidates=first.candidates + second.candidates
                    )
            chosen, verdicts = choose_titles(view, [list(summaries[i].candidates) for i in open_])
        out = list(summaries)
        for pos, i in enumerate(open_):
            pick = chosen[pos]
            # Where every candidate failed, one echoing the prompt's examples goes last: it says
            # nothing of the members, a repeated or copied title at least names a neighbour.
            ranked = sorted(
                verdicts[pos],
                key=lambda v: (bool(v.reason), v.reason in (BORROWED, REPEATS_EXAMPLE), -v.score),
            )
            candidates = tuple(v.title for v in ranked)
            if pick is not None:
                out[i] = replace(
                    summaries[i], title=verdicts[pos][pick].title, candidates=candidates
                )
                continue
            brief = request.clusters[i]
            note = "no candidate passed: " + "; ".join(sorted({v.reason for v in ranked}))
            if ranked[0].reason in (BORROWED, REPEATS_EXAMPLE) and terms and terms[i]:
                out[i] = Summary(
                    keyword_title(terms[i]),
                    terms_description(brief.num_items, terms[i]),
                    candidates=candidates,
                    note=note + "; keyword title",
                )
                continue
            if brief.level >= 2 and len(brief.children) > 1:
                title = conjunction(
                    [c.title for c in brief.children], [c.num_items for c in brief.children]
                )
            else:  # the best-fitting candidate, even if it repeats a title elsewhere
                title = ranked[0].title
            out[i] = replace(
                summaries[i],
                title=title,
                candidates=candidates,
                note=note,
            )
        return out

    # ------------------------------------------------------------------ batching
    def _batches(
        self, blocks: list[tuple[str, int]], head_tokens: int, indices: list[int]
    ) -> list[list[int]]:
        batches: list[list[int]] = []
        current: list[int] = []
        used = head_tokens
        for i in indices:
            tokens = blocks[i][1]
            if current and (
                len(current) >= self.batch_size or used + tokens > self.max_prompt_tokens
            ):
                batches.append(current)
                current, used = [], head_tokens
            current.append(i)
            used += tokens
        if current:
            batches.append(current)
        return batches

    def _asker(self) -> Asker:
        # Made per use from the attributes: a parallel backend swaps ``llm`` and raises
        # ``concurrency`` after construction (hercules.parallel.base.distribute_summarizer).
        return Asker(
            self.llm,
            retry=self.retry,
            cache=self.cache,
            timeout=self.timeout,
            concurrency=self.concurrency,
            call_log=self.call_log,
            on_call=self.on_call,
            model=self.model_id,
        )

    def _ask(
        self,
        request: LevelRequest,
        blocks: list[tuple[str, int]],
        batch: list[int],
        feedback: dict[int, str] | None = None,
    ) -> Ask[dict[int, Summary]]:
        briefs = [request.clusters[i] for i in batch]
        ids = [int(b.cluster_id) for b in briefs]
        note = "\n".join(feedback[i] for i in batch if i in feedback) if feedback else ""
        prompt = "\n\n".join(
            [header(request.level, request.corpus.modality, ids, request.topic_seed)]
            + [blocks[i][0] for i in batch]
            + ([note] if note else [])
        )
        return Ask(
            prompt,
            batch_schema(ids, title_words(request.level) if supports_patterns(self.llm) else None),
            self.max_tokens_per_cluster * len(batch) + 20,
            lambda text: self._to_summaries(batch, briefs, parse_labels(text, ids)),
            what=f"LLM call for clusters {ids} at level {request.level}",
            tags={"level": request.level, "cluster_ids": ids},
        )

    @staticmethod
    def _to_summaries(
        batch: list[int], briefs: list[ClusterBrief], labels: dict[int, Any]
    ) -> dict[int, Summary]:
        out = {}
        for index, brief in zip(batch, briefs, strict=True):
            label = labels[int(brief.cluster_id)]
            candidates = [clean_title(t) for t in label.candidates]
            candidates = [t for t in candidates if len(t) >= 2 and not is_meta_title(t)]
            if not candidates:
                raise AnswerError(
                    f"no topic in the titles for cluster {brief.cluster_id}: {label.candidates!r}"
                )
            description = clean_description(label.description)
            out[index] = Summary(candidates[0], description, candidates=tuple(candidates))
        return out

    def _fallback(
        self, request: LevelRequest, summaries: list[Summary], failed: list[int]
    ) -> list[Summary]:
        """Failed clusters keep their error but get keyword titles instead of blanks."""
        from hercules.summarize.keywords import KeywordSummarizer

        try:
            keywords = KeywordSummarizer().summarize_level(request)
        except Exception as exc:  # the fallback must not fail the run either
            logger.warning("Keyword fallback failed too: %s", exc)
            keywords = [Summary("Unlabelled cluster", "No summary could be written.")] * len(
                summaries
            )
        out = list(summaries)
        for i in failed:
            out[i] = Summary(
                keywords[i].title, keywords[i].description, failed=True, error=summaries[i].error
            )
        return out

    # ------------------------------------------------------------------ tokens, log
    def _count(self, text: str) -> int:
        try:
            tokens = count_tokens(self.llm, text)
        except Exception as exc:
            logger.debug("Token count failed (%s); estimating from characters", exc)
            tokens = None
        return tokens if tokens is not None else math.ceil(len(text) / CHARS_PER_TOKEN)


def estimate_cost(
    level_sizes: list[int],
    *,
    batch_size: int = 1,
    tokens_per_cluster: float = 600,
    header_tokens: float = 220,
    generated_per_cluster: float = 60,
    prompt_per_s: float = PROMPT_TOKENS_PER_S,
    generated_per_s: float = GENERATED_TOKENS_PER_S,
    wall_factor: float = 1.0,
) -> dict[str, float]:
    """Calls/tokens/seconds for a run with these level sizes (for ``--dry-run``); the rates
    are best calibrated on the model itself (:mod:`hercules.summarize.speed`)."""
    calls = sum(math.ceil(k / batch_size) for k in level_sizes)
    clusters = sum(level_sizes)
    prompt_tokens = round(clusters * tokens_per_cluster + calls * header_tokens)
    generated = round(clusters * generated_per_cluster)
    # wall_factor < 1 when calls overlap (parallel slots): see hercules.summarize.speed
    seconds = (prompt_tokens / prompt_per_s + generated / generated_per_s) * wall_factor
    return {
        "calls": calls,
        "clusters": clusters,
        "prompt_tokens": prompt_tokens,
        "generated_tokens": generated,
        "seconds": round(seconds, 1),
    }


def reask_note(brief: ClusterBrief, verdicts: list[Verdict]) -> str:
    """The line appended to a cluster's prompt when every candidate was rejected.

    A parent's candidates fail mostly by copying its children, and naming the rejects alone
    brought the same copies back; so a parent is also told that its children are parts of one
    broader subject, the move a hypernym needs.
    """
    rejected = "; ".join(f'"{v.title}" ({v.reason})' for v in verdicts)
    if brief.level >= 2 and len(brief.children) > 1:
        kids = sorted(brief.children, key=lambda c: -c.num_items)[:6]
        names = ", ".join(f'"{child.title}"' for child in kids)
        return (
            f"Not allowed: {rejected}. {names} are parts of one broader subject: give 3 new "
            "titles naming that subject, not any one part."
        )
    return f"Not allowed (give 3 new titles): {rejected}"
