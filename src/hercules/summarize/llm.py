"""Cluster titles and descriptions written by a language model, batched, cached and logged.

Per level: one prompt block per cluster (see :mod:`hercules.summarize.prompt`), ``batch_size``
clusters per call, asked through :class:`~hercules.summarize.asking.Asker` (cache, retries with
back-off, timeout, concurrency, call log): a batch that still fails, answers malformed JSON or
the wrong id set is split in half and asked again, down to single clusters. A cluster that
fails alone keeps its error (``Summary(failed=True, error=...)``) and gets its best evidence
title: one bad answer never stops a run.

This module is the **ask** step of :mod:`hercules.summarize.pipeline`; the evidence before it
and the clean, check, choose and fallback steps after it live there. Clusters whose evidence
settles their name (a single child, little content) make no call.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from hercules.cache import Cache
from hercules.errors import ParameterError
from hercules.llm.base import count_tokens, model_id, supports_patterns
from hercules.llm.retry import RetryPolicy
from hercules.summarize.asking import Ask, Asker
from hercules.summarize.base import ClusterBrief, LevelRequest, Summary
from hercules.summarize.evidence import Evidence, gather
from hercules.summarize.pipeline import clean, name_level
from hercules.summarize.prompt import PromptOptions, asks_area, header
from hercules.summarize.schema import (
    AnswerError,
    batch_schema,
    parse_labels,
    title_words,
)
from hercules.summarize.speed import CHARS_PER_TOKEN

logger = logging.getLogger(__name__)


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
        # Distinctive words are on by default; the siblings' words ("Unlike: ...") are off:
        # the choose step compares candidates with the other clusters' titles already.
        self.distinctive_terms = distinctive_terms
        self.contrast_neighbours = contrast_neighbours
        self.call_log: list[dict[str, Any]] = []
        self.on_call: Callable[[dict[str, Any]], None] | None = None

    # ------------------------------------------------------------------ protocol
    def summarize_level(self, request: LevelRequest) -> list[Summary]:
        """The pipeline of :mod:`hercules.summarize.pipeline` for one level: evidence, one
        answer per cluster that needs one, then clean, check, choose and fallback."""
        briefs = request.clusters
        if not briefs:
            return []
        head_tokens = self._count(header(request.level, request.corpus.modality, [0], None))
        budget = max(100, (self.max_prompt_tokens - head_tokens) // min(self.batch_size, 4))
        evidence = gather(
            request,
            self.options,
            budget,
            self._count,
            self.distinctive_terms,
            self.contrast_neighbours,
        )
        asked = [i for i, e in enumerate(evidence) if e.settled is None]
        answers: dict[int, Summary] = {}
        settled = len(briefs) - len(asked)

        def landed(part: dict[int, Summary]) -> None:
            answers.update(part)
            if request.progress is not None:  # may raise (a cancelled job): stop asking
                request.progress(settled + len(answers), len(briefs))

        self._run_batches(request, evidence, asked, head_tokens, landed)
        return name_level(request, evidence, answers)

    def _run_batches(
        self,
        request: LevelRequest,
        evidence: list[Evidence],
        indices: list[int],
        head_tokens: int,
        landed: Callable[[dict[int, Summary]], None],
    ) -> None:
        """Ask for ``indices`` in batches; ``landed`` gets each batch's answers as it ends."""

        def failed(index: int, message: str) -> Summary:
            brief = request.clusters[index]
            logger.warning(
                "Summary failed for cluster %s at level %d: %s",
                brief.cluster_id,
                brief.level,
                message,
            )
            return Summary("", "", failed=True, error=message)

        blocks = [(e.block, e.tokens) for e in evidence]
        self._asker().map(
            self._batches(blocks, head_tokens, indices),
            lambda batch: self._ask(request, blocks, batch),
            failed,
            landed,
        )

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
    ) -> Ask[dict[int, Summary]]:
        briefs = [request.clusters[i] for i in batch]
        ids = [int(b.cluster_id) for b in briefs]
        prompt = "\n\n".join(
            [header(request.level, request.corpus.modality, ids, request.topic_seed)]
            + [blocks[i][0] for i in batch]
        )
        return Ask(
            prompt,
            batch_schema(
                ids,
                title_words(request.level) if supports_patterns(self.llm) else None,
                area=asks_area(request.level, request.corpus.modality),
            ),
            self.max_tokens_per_cluster * len(batch) + 20,
            lambda text: self._to_summaries(batch, briefs, parse_labels(text, ids)),
            what=f"LLM call for clusters {ids} at level {request.level}",
            tags={"level": request.level, "cluster_ids": ids},
        )

    @staticmethod
    def _to_summaries(
        batch: list[int], briefs: list[ClusterBrief], labels: dict[int, Any]
    ) -> dict[int, Summary]:
        """The answer per cluster, its candidates as offered (the pipeline cleans them)."""
        out = {}
        for index, brief in zip(batch, briefs, strict=True):
            label = labels[int(brief.cluster_id)]
            if not clean(Summary("", label.description, candidates=tuple(label.candidates))):
                raise AnswerError(
                    f"no topic in the titles for cluster {brief.cluster_id}: {label.candidates!r}"
                )
            out[index] = Summary(
                label.candidates[0], label.description, candidates=tuple(label.candidates)
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
