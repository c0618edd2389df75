"""What a run will ask of the LLM, before it starts (``hercules run --dry-run``)."""

from __future__ import annotations

import math
from typing import Any

from hercules.data.dataset import Corpus
from hercules.summarize.llm import CHARS_PER_TOKEN, estimate_cost
from hercules.summarize.prompt import PromptOptions


def planned_levels(n_items: int, levels: list[int] | None, max_levels: int = 6) -> list[int]:
    """The given k per level, or a rough guess for automatic k (sqrt(n/2), then /5)."""
    if levels is not None:
        return list(levels)
    sizes: list[int] = []
    k = max(2, round(math.sqrt(n_items / 2)))
    while k >= 2 and len(sizes) < max_levels:
        sizes.append(k)
        k = k // 5
    return sizes


def plan_run(
    corpus: Corpus,
    levels: list[int] | None,
    *,
    labeller: str,
    batch_size: int,
    options: PromptOptions | None = None,
) -> dict[str, Any]:
    options = options or PromptOptions()
    sizes = planned_levels(len(corpus), levels)
    if labeller == "keywords":
        return {
            "levels": sizes,
            "labeller": labeller,
            "calls": 0,
            "prompt_tokens": 0,
            "generated_tokens": 0,
            "seconds": 0.0,
            "levels_guessed": levels is None,
        }
    step = max(1, len(corpus) // 200)
    lengths = [
        min(len(corpus.item_text(i)), options.sample_chars) for i in range(0, len(corpus), step)
    ]
    mean_chars = sum(lengths) / max(1, len(lengths))
    per_cluster = int(options.n_samples * (mean_chars + 8) / CHARS_PER_TOKEN) + 25
    cost = estimate_cost(sizes, batch_size=batch_size, tokens_per_cluster=per_cluster)
    return {"levels": sizes, "labeller": labeller, "levels_guessed": levels is None, **cost}
