"""Deterministic stand-ins for models, for unit tests that must not load real weights."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"[a-z]+")


class HashingEmbedder:
    """Bag-of-words hashed into ``dim`` buckets, L2-normalised: texts sharing words are close."""

    model_id = "test-hashing"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.calls = 0
        self.items_seen = 0
        self.seen: list[str] = []

    def embed(self, items: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.items_seen += len(items)
        self.seen.extend(str(item) for item in items)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        for row, text in enumerate(items):
            for word in _WORD.findall(str(text).lower()):
                bucket = int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % self.dim
                out[row, bucket] += 1.0
            out[row, row % self.dim] += 1e-3  # keep empty texts off the origin
        return out / np.linalg.norm(out, axis=1, keepdims=True)


TOPICS = {
    "space": "orbit rocket launch nasa shuttle satellite moon astronaut",
    "hockey": "hockey puck goalie skate rink playoff penalty stanley",
    "cooking": "recipe oven garlic simmer bake flour butter onion",
}


def topic_texts(per_topic: int = 20, seed: int = 0) -> tuple[list[str], list[str]]:
    """Short texts drawn from three disjoint vocabularies, with their topic labels."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for topic, vocab in TOPICS.items():
        words = vocab.split()
        for _ in range(per_topic):
            texts.append(" ".join(rng.choice(words, size=8)))
            labels.append(topic)
    return texts, labels


def nested_blobs(per_blob: int = 25, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Four tight 2-D blobs in two far-apart pairs: (data, blob label, pair label).

    Worked by hand: k=4 must recover the blobs and k=2 on their centroids the pairs, since
    blobs within a pair are 3 apart and the pairs 20 apart.
    """
    rng = np.random.default_rng(seed)
    centres = [(0.0, 0.0), (0.0, 3.0), (20.0, 0.0), (20.0, 3.0)]
    X = np.vstack([rng.normal(c, 0.2, size=(per_blob, 2)) for c in centres])
    blob = np.repeat(np.arange(4), per_blob)
    return X, blob, blob // 2
