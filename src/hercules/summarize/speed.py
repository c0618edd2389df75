"""What a run's LLM calls cost: how fast a model reads prompts and writes answers, and the
estimate of calls, tokens and seconds (:func:`estimate_cost`) that the dry run prints.

A call's time is close to ``prompt_tokens / prompt_per_s + generated_tokens / generated_per_s``
(on a CPU the prompt dominates). Both rates are fitted by least squares to a recorded call log
(``llm_log.jsonl`` of an earlier run: the best source, since it also gives the tokens per
cluster of this very prompt format), or measured with two short calls to the model.

Calls that overlap (llama.cpp slots, ``concurrency`` > 1) each take longer but finish sooner
together: ``wall_factor`` turns summed call seconds into wall time. A log gives it from its
timestamps. A measurement takes the backend's own ``concurrency_speedup`` where it declares one
(the local llama.cpp backend: its slot speed-ups of ``bench/results/llm_slots.json``, measured
with real prompts); for any other backend it times as many short calls at once as the backend
takes, since a server that batches on a GPU overlaps them far better than slots on a CPU.
"""

from __future__ import annotations

import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from hercules.llm.base import call

logger = logging.getLogger(__name__)

# Measured for Qwen2.5-Coder-1.5B Q4_K_M with xllamacpp on 2 threads (see bench/results).
PROMPT_TOKENS_PER_S = 93.0
GENERATED_TOKENS_PER_S = 34.0
CHARS_PER_TOKEN = 4.0  # only when the backend exposes no tokenizer


@dataclass(frozen=True)
class Calibration:
    prompt_per_s: float
    generated_per_s: float
    source: str
    prompt_per_cluster: float | None = None  # known from a call log only
    generated_per_cluster: float | None = None
    wall_factor: float = 1.0  # wall seconds per summed call second


def from_log(records: list[dict[str, Any]]) -> Calibration | None:
    """Rates and tokens per cluster from the live (uncached, answered) cluster calls of a call
    log (item descriptions, level 0, are not what the estimate counts); ``None`` with fewer than
    two usable calls."""
    live = [
        r
        for r in records
        if not r.get("cached")
        and r.get("level") != 0
        and not r.get("error")
        and r.get("prompt_tokens")
        and r.get("completion_tokens") is not None
        and (r.get("seconds") or 0) > 0
    ]
    if len(live) < 2:
        return None
    tokens = np.array([[r["prompt_tokens"], r["completion_tokens"]] for r in live], float)
    seconds = np.array([r["seconds"] for r in live], float)
    prompt_rate, generated_rate = _fit_rates(tokens, seconds)
    # Distinct clusters, not asks: a re-ask (every candidate title rejected) is part of what a
    # cluster costs, and the next run will need about as many.
    asked = {(r.get("level"), c) for r in live for c in (r.get("cluster_ids") or [id(r)])}
    clusters = max(1, len(asked))
    return Calibration(
        wall_factor=_wall_factor(live, float(seconds.sum())),
        prompt_per_s=prompt_rate,
        generated_per_s=generated_rate,
        source=f"call log ({len(live)} calls)",
        prompt_per_cluster=float(tokens[:, 0].sum()) / clusters,
        generated_per_cluster=float(tokens[:, 1].sum()) / clusters,
    )


def _wall_factor(live: list[dict[str, Any]], summed: float) -> float:
    """Wall time the calls spanned (``time`` is when each ended) over their summed seconds:
    1 for calls one after another, about 1/4 for four slots that overlap fully."""
    if not all(isinstance(r.get("time"), int | float) for r in live):
        return 1.0
    return float(min(1.5, max(0.2, wall_seconds(live) / summed)))


def wall_seconds(records: list[dict[str, Any]]) -> float:
    """Wall time of logged calls, first start to last end (``time`` is when a call ended,
    ``seconds`` how long it took): less than their summed seconds where calls overlap."""
    if not records:
        return 0.0
    return max(r["time"] for r in records) - min(r["time"] - r["seconds"] for r in records)


def _fit_rates(tokens: np.ndarray, seconds: np.ndarray) -> tuple[float, float]:
    """Least-squares seconds-per-token for prompt and answer; when the calls are too alike to
    tell them apart, one shared scale on the default ratio of the two rates."""
    coef, *_ = np.linalg.lstsq(tokens, seconds, rcond=None)
    if np.all(coef > 0) and np.all(np.isfinite(coef)):
        return float(1.0 / coef[0]), float(1.0 / coef[1])
    default = tokens @ np.array([1 / PROMPT_TOKENS_PER_S, 1 / GENERATED_TOKENS_PER_S])
    scale = float(seconds.sum() / max(default.sum(), 1e-9))
    return PROMPT_TOKENS_PER_S / scale, GENERATED_TOKENS_PER_S / scale


def measure(llm: Any, *, prompt_words: int = 240, answer_tokens: int = 40) -> Calibration:
    """Two short calls: a long prompt with a one-token answer (reading speed), then a short
    prompt with a longer answer (writing speed). A few seconds on a small CPU."""
    text = " ".join(f"w{i % 97}x{i}" for i in range(prompt_words))
    read = call(llm, f"Reply with one word. {text}", schema=None, max_tokens=1)
    write = call(
        llm, "Count from 1 to 100, separated by spaces.", schema=None, max_tokens=answer_tokens
    )
    records = [
        {"prompt_tokens": c.prompt_tokens, "completion_tokens": c.completion_tokens, "seconds": s}
        for c, s in ((read, read.seconds), (write, write.seconds))
    ]
    found = from_log(records)
    if found is None:
        raise ValueError(f"{type(llm).__name__} reports no token counts; cannot measure its speed")
    slots = int(getattr(llm, "max_concurrency", 1) or 1)
    declared = getattr(llm, "concurrency_speedup", None)
    if slots <= 1:
        factor, how = 1.0, "2 short calls"
    elif isinstance(declared, int | float) and declared > 0:
        factor, how = 1.0 / float(declared), "2 short calls"
    else:
        factor = overlap_factor(llm, slots, write.seconds, answer_tokens)
        how = f"2 + {slots} short calls"
    return Calibration(
        found.prompt_per_s, found.generated_per_s, f"measured ({how})", wall_factor=factor
    )


def overlap_factor(llm: Any, slots: int, alone: float, answer_tokens: int = 40) -> float:
    """Wall time of ``slots`` short calls sent at once over ``slots`` times the seconds one
    such call took ``alone``: 1 when the backend runs them one after another, ``1 / slots``
    when they overlap fully. (Not over their own seconds: a call that waits in a server's
    queue reports the wait as its time.)"""
    prompt = "Count from 1 to 100, separated by spaces."

    def one(_: int) -> dict[str, float]:
        done = call(llm, prompt, schema=None, max_tokens=answer_tokens)
        return {"time": time.perf_counter(), "seconds": done.seconds}

    with ThreadPoolExecutor(max_workers=slots) as pool:
        records = list(pool.map(one, range(slots)))
    if alone <= 0:
        return 1.0
    return float(min(1.5, max(1.0 / slots, wall_seconds(records) / (slots * alone))))


AREA_PROMPT_TOKENS = 35.0  # the line of a parent's prompt that asks for its area
AREA_GENERATED_TOKENS = 7.0  # , "area": "..."


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
    area_prompt_tokens: float = AREA_PROMPT_TOKENS,
    area_generated_tokens: float = AREA_GENERATED_TOKENS,
) -> dict[str, float]:
    """Calls/tokens/seconds for a run with these level sizes, level 1 first (for
    ``--dry-run``); every parent's answer (level 2 and up) also names its area: the line that
    asks for it is in each parent call's header (``area_prompt_tokens`` per call) and the area
    in each parent's answer (``area_generated_tokens``), both 0 where the per-cluster tokens
    were measured from a call log, which holds them already. The rates are best calibrated on
    the model itself (:func:`measure` or :func:`from_log`)."""
    parents = sum(level_sizes[1:])
    parent_calls = sum(math.ceil(k / batch_size) for k in level_sizes[1:])
    calls = parent_calls + sum(math.ceil(k / batch_size) for k in level_sizes[:1])
    clusters = sum(level_sizes)
    prompt_tokens = round(
        clusters * tokens_per_cluster + calls * header_tokens + parent_calls * area_prompt_tokens
    )
    generated = round(clusters * generated_per_cluster + parents * area_generated_tokens)
    # wall_factor < 1 when calls overlap (parallel slots): see hercules.summarize.speed
    seconds = (prompt_tokens / prompt_per_s + generated / generated_per_s) * wall_factor
    return {
        "calls": calls,
        "clusters": clusters,
        "prompt_tokens": prompt_tokens,
        "generated_tokens": generated,
        "seconds": round(seconds, 1),
    }
