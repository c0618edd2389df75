"""Helpers for the LLM benchmarks: title-vs-newsgroup agreement and call-log totals."""

from __future__ import annotations

from typing import Any

import numpy as np

from hercules.embed import MiniLMEmbedder


def group_phrase(name: str) -> str:
    """``rec.sport.hockey`` -> ``rec sport hockey`` (what the title is compared with)."""
    return name.replace(".", " ").replace("-", " ")


def title_match(
    titles: list[str],
    member_groups: list[np.ndarray],
    group_names: list[str],
    embedder: MiniLMEmbedder,
) -> dict[str, Any]:
    """Share of clusters whose title's nearest group name is the majority group of its members."""
    hits = title_hits(embedder.embed(titles), member_groups, group_names, embedder)
    return {"clusters": len(titles), "top1_match": round(float(np.mean(hits)), 4)}


def title_hits(
    title_vectors: np.ndarray,
    member_groups: list[np.ndarray],
    group_names: list[str],
    embedder: MiniLMEmbedder,
) -> list[bool]:
    """Per title (given as its embedding): is its nearest group name its members' majority?"""
    names = sorted(group_names)
    name_vecs = embedder.embed([group_phrase(n) for n in names])
    nearest = (np.asarray(title_vectors) @ name_vecs.T).argmax(axis=1)
    hits = []
    for i, members in enumerate(member_groups):
        values, counts = np.unique(members, return_counts=True)
        majority = str(values[counts.argmax()])
        hits.append(names[int(nearest[i])] == majority)
    return hits


def log_totals(log: list[dict[str, Any]]) -> dict[str, Any]:
    live = [r for r in log if not r.get("cached")]
    prompt = sum(r.get("prompt_tokens") or 0 for r in live)
    generated = sum(r.get("completion_tokens") or 0 for r in live)
    seconds = sum(r.get("seconds") or 0.0 for r in live)
    return {
        "calls": len(live),
        "cached_calls": len(log) - len(live),
        "failed_calls": sum(1 for r in live if r.get("error")),
        "prompt_tokens": prompt,
        "generated_tokens": generated,
        "llm_seconds": round(seconds, 1),
    }
