"""Level-0 titles and descriptions without an LLM: first sentence, snippet, file name, values."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import cast, overload

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


class NumericSnippets(Sequence[str]):
    """Level-0 titles ("Item <id>") or descriptions ("x0=1.5, x1=2, …") of numeric items,
    written when read. A million numeric rows would otherwise hold two million strings
    (about 1 GB) that are mostly never looked at; these read one row on access."""

    def __init__(self, corpus: Corpus, kind: str) -> None:
        assert corpus.numeric is not None
        self._corpus = corpus
        self._kind = kind
        self._columns = list(corpus.numeric.columns[:NUMERIC_COLUMNS_SHOWN])
        self._more = ", …" if corpus.numeric.shape[1] > len(self._columns) else ""

    def __len__(self) -> int:
        return len(self._corpus)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._one(i) for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(f"item index {index} out of range for {len(self)} items")
        return self._one(index % len(self))

    def __iter__(self) -> Iterator[str]:
        return (self._one(i) for i in range(len(self)))

    def __add__(self, other: Sequence[str]) -> list[str]:
        return [*self, *other]

    def __radd__(self, other: Sequence[str]) -> list[str]:
        return [*other, *self]

    def _one(self, i: int) -> str:
        if self._kind == "title":
            return f"Item {self._corpus.ids[i]}"
        assert self._corpus.numeric is not None
        values = self._corpus.numeric.iloc[i, : len(self._columns)].tolist()
        pairs = zip(self._columns, values, strict=True)
        return ", ".join(f"{c}={v:.4g}" for c, v in pairs) + self._more


def level0_summaries(corpus: Corpus) -> tuple[list[str], list[str]]:
    """(titles, descriptions) for every item; lazy sequences for numeric items."""
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
    # Read-only sequences typed as lists: level-0 strings are only ever read, sliced or copied.
    return (
        cast(list[str], NumericSnippets(corpus, "title")),
        cast(list[str], NumericSnippets(corpus, "description")),
    )
