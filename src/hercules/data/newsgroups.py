"""20 Newsgroups "bydate" from the offline JSONL copy, stripped as scikit-learn does.

``remove=('headers', 'footers', 'quotes')`` is reproduced with scikit-learn's own stripping
functions, applied in its order (header, footer, quoting), so results match
``fetch_20newsgroups`` exactly.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hercules.errors import InputError

FILE_NAME = "20newsgroups-bydate.jsonl.gz"


@dataclass(frozen=True)
class Newsgroups:
    texts: list[str]
    labels: list[int]
    categories: list[str]
    ids: list[str]

    @property
    def target_names(self) -> list[str]:
        names: dict[int, str] = dict(zip(self.labels, self.categories, strict=True))
        return [names[i] for i in sorted(names)]


def default_path() -> Path | None:
    """Where the shared corpus lies: $HERCULES_20NG (an error if it names no file), else
    ../shared/data beside the checkout; None when there is none."""
    env = os.environ.get("HERCULES_20NG")
    if env:
        if not Path(env).is_file():
            raise InputError(
                f"HERCULES_20NG is set to {env!r}, which is not a file; point it at "
                f"{FILE_NAME} or unset it to use ../shared/data."
            )
        return Path(env)
    candidates: list[Path] = []
    here = Path(__file__).resolve()
    candidates += [p / "shared" / "data" / FILE_NAME for p in here.parents]
    candidates += [Path.cwd() / ".." / "shared" / "data" / FILE_NAME]
    return next((c for c in candidates if c.is_file()), None)


def load_newsgroups(
    path: str | os.PathLike[str] | None = None,
    *,
    subset: str = "all",
    remove: tuple[str, ...] = ("headers", "footers", "quotes"),
) -> Newsgroups:
    """Load the corpus; ``subset`` is 'train', 'test' or 'all'."""
    from sklearn.datasets._twenty_newsgroups import (
        strip_newsgroup_footer,
        strip_newsgroup_header,
        strip_newsgroup_quoting,
    )

    if subset not in {"train", "test", "all"}:
        raise InputError(f"subset must be 'train', 'test' or 'all', got {subset!r}.")
    unknown = set(remove) - {"headers", "footers", "quotes"}
    if unknown:
        raise InputError(
            f"remove may hold 'headers', 'footers', 'quotes'; got unknown {sorted(unknown)}."
        )
    resolved = Path(path) if path is not None else default_path()
    if resolved is None or not resolved.is_file():
        raise InputError(
            f"20 Newsgroups file not found ({resolved or FILE_NAME}). Put {FILE_NAME} in "
            "../shared/data beside the checkout or set HERCULES_20NG=/path/to/" + FILE_NAME + "."
        )
    texts, labels, categories, ids = [], [], [], []
    with gzip.open(resolved, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if subset != "all" and record["split"] != subset:
                continue
            text = record["raw"]
            if "headers" in remove:
                text = strip_newsgroup_header(text)
            if "footers" in remove:
                text = strip_newsgroup_footer(text)
            if "quotes" in remove:
                text = strip_newsgroup_quoting(text)
            texts.append(text)
            labels.append(int(record["label"]))
            categories.append(record["category"])
            ids.append(record["id"])
    return Newsgroups(texts=texts, labels=labels, categories=categories, ids=ids)


def sample_posts(corpus: Newsgroups, n: int, seed: int = 0) -> tuple[list[str], list[str], int]:
    """``n`` posts drawn at random, as ``hercules demo`` draws them: the non-empty texts, their
    newsgroups, how many were empty.

    Stripped as scikit-learn does, some posts are empty (replies that only quote, or whose text
    all sits after the last blank line, its footer rule): there is nothing to cluster in them.
    """
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(corpus.texts), size=min(n, len(corpus.texts)), replace=False))
    kept = [int(i) for i in keep if corpus.texts[i].strip()]
    texts = [corpus.texts[i] for i in kept]
    return texts, [corpus.categories[i] for i in kept], len(keep) - len(kept)
