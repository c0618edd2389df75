"""Level-0 descriptions written by the LLM (``use_llm_for_l0_descriptions``), batched and cached.

One call describes ``batch_size`` items in one sentence each. This costs one generated
sentence per item, so it is meant for small corpora or a fast remote server; the snippet
descriptions of :mod:`hercules.summarize.snippets` cost nothing. The calls go through the same
engine as cluster summaries (:class:`~hercules.summarize.asking.Asker`: cache, retries,
timeout, concurrency, call log, split in half on failure), with the summarizer's settings;
an item that still fails alone keeps its snippet and is flagged, never stopping the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hercules.cache import Cache
from hercules.data.dataset import Corpus
from hercules.errors import InputError, ParameterError
from hercules.llm.retry import RetryPolicy
from hercules.summarize.asking import Ask, Asker
from hercules.summarize.schema import DESCRIPTION_MAX, AnswerError, extract_json
from hercules.summarize.snippets import shorten

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
    """Writes one-sentence descriptions of level-0 items with ``llm``.

    ``retry``, ``cache``, ``timeout``, ``concurrency`` (default: the backend's
    ``max_concurrency``), ``call_log`` and ``on_call`` mean what they mean for
    :class:`~hercules.summarize.llm.LLMSummarizer`; a record's ``items`` are the item indices.
    """

    def __init__(
        self,
        llm: Any,
        *,
        batch_size: int = 8,
        item_chars: int = 500,
        cache: Cache | None = None,
        retry: RetryPolicy | None = None,
        max_tokens_per_item: int = 60,
        timeout: float | None = None,
        concurrency: int | None = None,
        call_log: list[dict[str, Any]] | None = None,
        on_call: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ParameterError(f"batch_size must be an int >= 1; got {batch_size!r}.")
        self.llm = llm
        self.batch_size = batch_size
        self.item_chars = item_chars
        self.max_tokens_per_item = max_tokens_per_item
        self.asker = Asker(
            llm,
            retry=retry,
            cache=cache,
            timeout=timeout,
            concurrency=concurrency or int(getattr(llm, "max_concurrency", 1) or 1),
            call_log=call_log,
            on_call=on_call,
        )
        self.call_log = self.asker.call_log

    def describe(
        self,
        texts: Sequence[str],
        fallback: Sequence[str],
        *,
        kind: str = "texts",
        progress: ProgressFn | None = None,
    ) -> tuple[list[str], list[bool]]:
        """(descriptions, failed flags); a failed item keeps its ``fallback`` description.
        ``progress("Describing items", done, total)`` follows every finished call."""
        shortened = [shorten(t, self.item_chars) for t in texts]
        total = len(texts)
        batches = [
            list(range(start, min(start + self.batch_size, total)))
            for start in range(0, total, self.batch_size)
        ]
        done = 0

        def landed(part: dict[int, str | None]) -> None:
            nonlocal done
            done += len(part)
            if progress is not None:
                progress("Describing items", done, total)

        def failed(index: int, message: str) -> str | None:
            logger.info("Description of item %d failed: %s", index, message)
            return None

        found = self.asker.map(
            batches, lambda batch: self._ask(shortened, batch, kind), failed, landed
        )
        flags = [found[i] is None for i in range(total)]
        out = [fallback[i] if flags[i] else str(found[i]) for i in range(total)]
        if any(flags):
            logger.warning("%d of %d item descriptions failed; kept snippets", sum(flags), total)
        return out, flags

    def _ask(self, texts: list[str], batch: list[int], kind: str) -> Ask[dict[int, str | None]]:
        # Ids restart at 1 in every prompt: equal texts give equal prompts and share the cache.
        ids = list(range(1, len(batch) + 1))

        def parse(text: str) -> dict[int, str | None]:
            answer = parse_items(text, ids)
            return {batch[i - 1]: answer[i] for i in ids}

        return Ask(
            item_prompt([texts[i] for i in batch], ids, kind),
            item_schema(ids),
            self.max_tokens_per_item * len(batch) + 20,
            parse,
            what=f"LLM description of items {batch[0]}-{batch[-1]}",
            tags={"level": 0, "items": batch},
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
    log = getattr(summarizer, "call_log", None)
    describer = ItemDescriber(  # the summarizer's settings, and its call log when it keeps one
        llm,
        cache=getattr(summarizer, "cache", None),
        retry=getattr(summarizer, "retry", None),
        timeout=getattr(summarizer, "timeout", None),
        concurrency=getattr(summarizer, "concurrency", None),
        call_log=log if isinstance(log, list) else None,
        on_call=getattr(summarizer, "on_call", None),
    )
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
