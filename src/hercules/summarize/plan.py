"""What a run will ask of the LLM, before it starts (``hercules run --dry-run``)."""

from __future__ import annotations

import math
from typing import Any

from hercules.data.dataset import Corpus
from hercules.summarize.prompt import PromptOptions
from hercules.summarize.speed import (
    AREA_GENERATED_TOKENS,
    AREA_PROMPT_TOKENS,
    CHARS_PER_TOKEN,
    GENERATED_TOKENS_PER_S,
    PROMPT_TOKENS_PER_S,
    Calibration,
    estimate_cost,
)


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
    calibration: Calibration | None = None,
) -> dict[str, Any]:
    """Calls, tokens and seconds the run would take. ``calibration`` gives the model's measured
    speed and, from a call log, its real tokens per cluster."""
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
    # The prompt format of summarize/prompt.py: the samples plus ~75 tokens per cluster and
    # 105 per call, fitted to the measured totals of the title benchmarks rather than counted
    # piece by piece; ~45 generated (three short titles and a sentence, compact JSON).
    per_cluster = int(options.n_samples * (mean_chars + 8) / CHARS_PER_TOKEN) + 75
    prompt_per_cluster: float = per_cluster
    header_tokens = 105.0
    generated_per_cluster = 45.0
    prompt_rate, generated_rate = PROMPT_TOKENS_PER_S, GENERATED_TOKENS_PER_S
    wall_factor = 1.0
    source = "built-in defaults"
    area_prompt: float = AREA_PROMPT_TOKENS
    area_generated: float = AREA_GENERATED_TOKENS
    if calibration is not None:
        prompt_rate, generated_rate = calibration.prompt_per_s, calibration.generated_per_s
        wall_factor = calibration.wall_factor
        source = calibration.source
        # Measured on this prompt format: a cluster's call (its area included) per cluster.
        if calibration.prompt_per_cluster is not None:
            prompt_per_cluster, header_tokens = calibration.prompt_per_cluster, 0.0
            area_prompt = 0.0
        if calibration.generated_per_cluster is not None:
            generated_per_cluster = calibration.generated_per_cluster
            area_generated = 0.0
    cost = estimate_cost(
        sizes,
        batch_size=batch_size,
        tokens_per_cluster=prompt_per_cluster,
        header_tokens=header_tokens,
        generated_per_cluster=generated_per_cluster,
        prompt_per_s=prompt_rate,
        generated_per_s=generated_rate,
        wall_factor=wall_factor,
        area_prompt_tokens=area_prompt,
        area_generated_tokens=area_generated,
    )
    return {
        "levels": sizes,
        "labeller": labeller,
        "levels_guessed": levels is None,
        "speed_source": source,
        **cost,
    }
