"""Level-0 titles and descriptions without an LLM: first sentence, snippet, file name, values."""

from __future__ import annotations

import re

from hercules.data.dataset import Corpus

TITLE_CHARS = 80
DESCRIPTION_CHARS = 300
NUMERIC_COLUMNS_SHOWN = 8
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_SPACES = re.compile(r"\s+")


def shorten(text: str, limit: int) -> str:
    """Collapse whitespace and cut at a word boundary, marking the cut with an ellipsis."""
    text = _SPACES.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def text_title(text: str) -> str:
    flat = _SPACES.sub(" ", text).strip()
    if not flat:
        return "(empty text)"
    first = _SENTENCE_END.split(flat, maxsplit=1)[0]
    return shorten(first, TITLE_CHARS)


def level0_summaries(corpus: Corpus) -> tuple[list[str], list[str]]:
    """(titles, descriptions) for every item."""
    if corpus.texts is not None:
        titles = [text_title(t) for t in corpus.texts]
        descriptions = [shorten(t, DESCRIPTION_CHARS) or "(empty text)" for t in corpus.texts]
        return titles, descriptions
    if corpus.image_paths is not None:
        titles = [p.name for p in corpus.image_paths]
        descriptions = [
            f"Image file {p.name} in {p.parent.name or '.'}" for p in corpus.image_paths
        ]
        return titles, descriptions
    assert corpus.numeric is not None
    titles = [f"Item {item_id}" for item_id in corpus.ids]
    columns = list(corpus.numeric.columns[:NUMERIC_COLUMNS_SHOWN])
    values = corpus.numeric[columns].to_numpy().tolist()
    more = ", …" if corpus.numeric.shape[1] > len(columns) else ""
    descriptions = [
        ", ".join(f"{c}={v:.4g}" for c, v in zip(columns, row, strict=True)) + more
        for row in values
    ]
    return titles, descriptions
