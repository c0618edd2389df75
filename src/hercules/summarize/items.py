"""Level-0 descriptions written by the LLM (``use_llm_for_l0_descriptions``), batched and cached.

One call describes ``batch_size`` items in one sentence each. This costs one generated
sentence per item, so it is meant for small corpora or a fast remote server; the snippet
descriptions of :mod:`hercules.summarize.level0` cost nothing. Answers are validated like
cluster summaries; a batch that fails is split down to single items, and an item that still
fails keeps its snippet and is flagged, never stopping the run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hercules.cache import Cache, cache_key
from hercules.data.dataset import Corpus
from hercules.errors import InputError, ParameterError
from hercules.llm.base import call, model_id, supports_schema
from hercules.llm.retry import RetryPolicy
from hercules.summarize.level0 import shorten
from hercules.summarize.schema import DESCRIPTION_MAX, AnswerError, extract_json

logger = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]


class ItemDescription(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int
    description: str = Field(min_length=2, max_length=DESCRIPTION_MAX * 2)


class ItemBatch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    items: list[ItemDescription]


def item_schema(ids: list[int]) -> dict[str, Any]:
    entry = {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "enum": list(ids)},
            "description": {"type": "string", "minLength": 2, "maxLength": 300},
        },
        "required": ["id", "description"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": entry, "minItems": len(ids), "maxItems": len(ids)}
        },
        "required": ["items"],
        "additionalProperties": False,
    }


def parse_items(text: str, ids: list[int]) -> dict[int, str]:
    data = extract_json(text)
    try:
        batch = ItemBatch.model_validate(data)
    except ValidationError as exc:
        raise AnswerError(f"answer does not match the schema: {exc.errors()[:2]}") from exc
    found: dict[int, str] = {}
    for entry in batch.items:
        found.setdefault(entry.id, " ".join(entry.description.split()))
    if set(ids) - set(found):
        raise AnswerError(f"answer covers ids {sorted(found)}, expected {sorted(ids)}")
    return {i: found[i] for i in ids}  # invented extra items are dropped, as for clusters


def item_prompt(texts: Sequence[str], ids: list[int], kind: str) -> str:
    lines = [
        f"Describe each of these {kind} in one sentence of at most 25 words: what it is about, "
        "naming its specific subject. Do not start with 'This text' or 'The author'.",
        'Answer with JSON only: {"items": [{"id": <id>, "description": "..."}]} with exactly '
        f"one entry for each id in {ids}.",
    ]
    for item_id, text in zip(ids, texts, strict=True):
        lines.append(f"## Item id={item_id}\n{text or '(empty)'}")
    return "\n\n".join(lines)


class ItemDescriber:
    """Writes one-sentence descriptions of level-0 items with ``llm``."""

    def __init__(
        self,
        llm: Any,
        *,
        batch_size: int = 8,
        item_chars: int = 500,
        cache: Cache | None = None,
        retry: RetryPolicy | None = None,
        max_tokens_per_item: int = 60,
    ) -> None:
        self.llm = llm
        self.batch_size = batch_size
        self.item_chars = item_chars
        self.cache = cache
        self.retry = retry if retry is not None else RetryPolicy()
        self.max_tokens_per_item = max_tokens_per_item
        self.model_id = model_id(llm)
        self.calls = 0

    def describe(
        self,
        texts: Sequence[str],
        fallback: Sequence[str],
        *,
        kind: str = "texts",
        progress: ProgressFn | None = None,
    ) -> tuple[list[str], list[bool]]:
        """(descriptions, failed flags); a failed item keeps its ``fallback`` description."""
        shortened = [shorten(t, self.item_chars) for t in texts]
        out: list[str] = list(fallback)
        failed = [False] * len(texts)
        starts = range(0, len(texts), self.batch_size)
        for done, start in enumerate(starts):
            batch = list(range(start, min(start + self.batch_size, len(texts))))
            for index, text in self._solve(shortened, batch, kind).items():
                if text is None:
                    failed[index] = True
                else:
                    out[index] = text
            if progress is not None:
                progress(
                    "Describing items", min(len(texts), (done + 1) * self.batch_size), len(texts)
                )
        if any(failed):
            logger.warning(
                "%d of %d item descriptions failed; kept snippets", sum(failed), len(texts)
            )
        return out, failed

    def _solve(self, texts: list[str], batch: list[int], kind: str) -> dict[int, str | None]:
        try:
            return dict(self._ask(texts, batch, kind))
        except Exception as exc:  # any backend or answer failure; never crash the run
            if len(batch) > 1:
                half = len(batch) // 2
                return {
                    **self._solve(texts, batch[:half], kind),
                    **self._solve(texts, batch[half:], kind),
                }
            logger.info("Description of item %d failed: %s", batch[0], exc)
            return {batch[0]: None}

    def _ask(self, texts: list[str], batch: list[int], kind: str) -> dict[int, str]:
        # Ids restart at 1 in every prompt: equal texts give equal prompts and share the cache.
        ids = list(range(1, len(batch) + 1))
        prompt = item_prompt([texts[i] for i in batch], ids, kind)
        schema = item_schema(ids)
        max_tokens = self.max_tokens_per_item * len(batch) + 20
        key = cache_key(self.model_id, json.dumps([prompt, schema, max_tokens], sort_keys=True))
        cached = self.cache.get_text(key) if self.cache is not None else None
        if cached is not None:
            try:
                answer = parse_items(cached, ids)
                return {batch[i - 1]: answer[i] for i in ids}
            except AnswerError:
                logger.info("Ignoring an unreadable cached item answer")

        def attempt() -> dict[int, str]:
            self.calls += 1
            completion = call(
                self.llm,
                prompt,
                schema=schema if supports_schema(self.llm) else None,
                max_tokens=max_tokens,
            )
            answer = parse_items(completion.text, ids)
            if self.cache is not None:
                self.cache.put_text(key, self.model_id, completion.text)
            return {batch[i - 1]: answer[i] for i in ids}

        final = (AnswerError,) if supports_schema(self.llm) else ()
        return self.retry.run(
            attempt, give_up_on=final, what=f"LLM description of {len(batch)} items"
        )


def describe_items(
    corpus: Corpus,
    snippets: list[str],
    summarizer: Any,
    *,
    progress: ProgressFn | None = None,
) -> tuple[list[str], list[bool]]:
    """``use_llm_for_l0_descriptions``: one sentence per text or numeric row, by the LLM."""
    llm = getattr(summarizer, "llm", None)
    if llm is None:
        raise ParameterError(
            "use_llm_for_l0_descriptions=True needs an LLM labeller, but the labeller is "
            f"{type(summarizer).__name__}. Pass llm_client=, labeller='llm' (after "
            "pip install 'hercules-cluster[llm]'), or set use_llm_for_l0_descriptions=False."
        )
    if corpus.image_paths is not None:
        raise ParameterError(
            "use_llm_for_l0_descriptions=True cannot describe images with a text model; "
            "pass image_captioning_client= instead."
        )
    describer = ItemDescriber(llm, cache=getattr(summarizer, "cache", None))
    texts = [corpus.item_text(i) for i in range(len(corpus))]
    kind = "texts" if corpus.texts is not None else "records of numeric values"
    return describer.describe(texts, snippets, kind=kind, progress=progress)


def image_captions(client: Callable[[list[Any]], list[str]], paths: list[Path]) -> list[str]:
    """Level-0 image descriptions from the paper's ``image_captioning_client(paths)``."""
    captions = list(client(list(paths)))
    if len(captions) != len(paths) or not all(isinstance(c, str) for c in captions):
        raise InputError(
            f"image_captioning_client returned {len(captions)} values for {len(paths)} images; "
            "it must return one caption string per image, in order."
        )
    return captions
