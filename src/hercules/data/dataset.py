"""The in-memory form of user data that every later step reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

Modality = Literal["text", "image", "numeric"]
MODALITIES: tuple[str, ...] = ("text", "image", "numeric")


@dataclass
class Corpus:
    """Level-0 items: their ids, modality and raw content.

    Exactly one of ``texts``, ``image_paths`` or ``numeric`` is set, matching ``modality``.
    ``numeric`` keeps the original (unscaled) values so statistics read in the user's units.
    """

    modality: Modality
    ids: list[Any]
    texts: list[str] | None = None
    image_paths: list[Path] | None = None
    numeric: pd.DataFrame | None = None
    numeric_metadata: dict[str, dict[str, str]] = field(default_factory=dict)
    # Words for image items from a captioning client; prompts and keyword titles read them.
    captions: list[str] | None = None
    # How a table file was read ("a table delimited by ';', column 'text'"), for the CLI to say.
    read_as: str | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    def item_text(self, index: int) -> str:
        """A human-readable rendering of one item (text, file name, or values)."""
        if self.texts is not None:
            return self.texts[index]
        if self.image_paths is not None:
            if self.captions is not None:
                return f"{self.image_paths[index].name}: {self.captions[index]}"
            return self.image_paths[index].name
        assert self.numeric is not None
        row = self.numeric.iloc[index]
        return ", ".join(f"{col}={_fmt(val)}" for col, val in row.items())

    def cached(self, key: str, compute: Any) -> Any:
        """Memoise derived data (e.g. a term matrix) that several levels reuse."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)
