"""Tiny stand-ins for the smoke runs of the benchmarks (``--smoke``): no corpus file, no model.

A few hundred short texts from disjoint vocabularies, hashed bag-of-words vectors and a
deterministic fake LLM that answers the JSON the LLM labeller asks for. The smoke runs only prove
that every script still runs end to end and writes its results; their numbers mean nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from hercules.data.newsgroups import Newsgroups

TOPICS = {
    "sci.space": "orbit rocket launch nasa shuttle satellite moon astronaut probe",
    "rec.sport.hockey": "hockey puck goalie skate rink playoff penalty stanley coach",
    "rec.food.cooking": "recipe oven garlic simmer bake flour butter onion pepper",
    "comp.graphics": "pixel render shader polygon texture bitmap vector image jpeg",
    "talk.politics.guns": "rifle gun permit firearm ammunition militia amendment law ban",
    "sci.med": "doctor patient disease treatment symptom drug clinic vaccine pain",
}

_WORD = re.compile(r"[a-z]+")


def tiny_newsgroups(per_topic: int = 30, seed: int = 0) -> Newsgroups:
    """Short texts from six disjoint vocabularies, labelled like 20NG (label, category, id)."""
    rng = np.random.default_rng(seed)
    texts, labels, categories, ids = [], [], [], []
    for label, (name, vocab) in enumerate(TOPICS.items()):
        words = vocab.split()
        for i in range(per_topic):
            texts.append(" ".join(rng.choice(words, size=12)) + ".")
            labels.append(label)
            categories.append(name)
            ids.append(f"smoke/{name}/{i}")
    return Newsgroups(texts=texts, labels=labels, categories=categories, ids=ids)


def hashing_vectors(items: Sequence[str], dim: int = 64) -> np.ndarray:
    """Bag of words hashed into ``dim`` buckets, L2-normalised (float32)."""
    out = np.zeros((len(items), dim), dtype=np.float32)
    for row, text in enumerate(items):
        for word in _WORD.findall(str(text).lower()):
            out[row, int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % dim] += 1.0
        out[row, row % dim] += 1e-3  # keep empty texts off the origin
    return out / np.linalg.norm(out, axis=1, keepdims=True)


class FakeLLM:
    """Answers any summary prompt with valid JSON titles for the cluster ids its schema names,
    and the area, where the schema asks for one, as its most frequent topic word."""

    supports_schema = True
    model_id = "smoke-fake-llm"

    def __init__(self) -> None:
        self.calls = 0

    def complete(
        self, prompt: str, *, schema: dict[str, Any] | None = None, max_tokens: int = 256
    ) -> str:
        self.calls += 1
        words = [w for w in _WORD.findall(prompt.lower()) if w in _VOCAB][:2] or ["misc"]
        label = {"title": f"{words[0].title()} themes", "description": f"About {words[-1]}."}
        paper_ids = re.findall(r"Cluster ID: (\S+)", prompt)
        if schema is None and paper_ids:  # pyhercules' format: {"<id>": {title, description}}
            return json.dumps({i: label for i in dict.fromkeys(paper_ids)})
        blocks = dict(re.findall(r"^Group (\d+) \((.*?)(?=^Group \d+ \(|\Z)", prompt, re.M | re.S))
        if schema is not None and "clusters" not in schema["properties"]:  # one cluster, bare
            area = "area" in schema["properties"]
            return json.dumps(_candidates(next(iter(blocks.values()), prompt), area))
        if schema is not None:
            item = schema["properties"]["clusters"]["items"]["properties"]
            ids, area = item["id"]["enum"], "area" in item
        else:
            ids, area = [int(x) for x in blocks], False
        return json.dumps(
            {"clusters": [{"id": i, **_candidates(blocks.get(str(i), ""), area)} for i in ids]}
        )


def _candidates(block: str, area: bool = False) -> dict[str, Any]:
    """Three titles from the most frequent topic words of one cluster's prompt block, and the
    area where asked."""
    counts: dict[str, int] = {}
    for word in _WORD.findall(block.lower()):
        if word in _VOCAB:
            counts[word] = counts.get(word, 0) + 1
    top = sorted(counts, key=lambda w: -counts[w])[:3] or ["misc"]
    out: dict[str, Any] = {
        "titles": [f"{w.title()} themes" for w in top],
        "description": f"About {top[0]}.",
    }
    if area:
        out["area"] = top[0].title()
    return out


_VOCAB = {word for vocab in TOPICS.values() for word in vocab.split()}
