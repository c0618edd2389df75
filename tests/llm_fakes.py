"""Scripted LLM backends for tests: deterministic, instant, and faulty on purpose."""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from typing import Any

_GROUP = re.compile(r"^Group (\d+) \(", re.MULTILINE)
_WORD = re.compile(r"[a-z]{4,}")
_STOP = {"that", "this", "with", "from", "have", "what", "about", "there", "their", "would"}


def group_ids(prompt: str) -> list[int]:
    return [int(m) for m in _GROUP.findall(prompt)]


def topic_word(prompt: str, cluster_id: int) -> str:
    """The most frequent word of a cluster's block: a stand-in for understanding it."""
    return topic_words(prompt, cluster_id, 1)[0]


def topic_words(prompt: str, cluster_id: int, count: int) -> list[str]:
    """The ``count`` most frequent words of a cluster's block ("misc" when it has none)."""
    blocks = re.split(r"^Group ", prompt, flags=re.MULTILINE)
    for block in blocks[1:]:
        if block.startswith(f"{cluster_id} ("):
            words = [w for w in _WORD.findall(block.lower()) if w not in _STOP]
            skip = {"items", "texts", "members", "example", "examples", "size", "words", "unlike"}
            words = [w for w in words if w not in skip]
            if words:
                return [w for w, _ in Counter(words).most_common(count)]
    return ["misc"]


class ScriptedLLM:
    """Answers valid JSON naming each group after its most frequent word."""

    model_id = "scripted"

    def __init__(self, *, supports_schema: bool = True, title_prefix: str = "") -> None:
        self.supports_schema = supports_schema
        self.title_prefix = title_prefix
        self.calls = 0
        self.prompts: list[str] = []
        self.schemas: list[Any] = []

    def answer(self, prompt: str) -> str:
        """Three candidate titles per cluster from its three most frequent words."""
        labels = [
            {
                "id": cid,
                "titles": [
                    f"{self.title_prefix}{word.capitalize()} matters"
                    for word in topic_words(prompt, cid, 3)
                ],
                "description": f"Members share the word {topic_word(prompt, cid)}.",
            }
            for cid in group_ids(prompt)
        ]
        return json.dumps({"clusters": labels})

    def complete(
        self, prompt: str, *, schema: dict[str, Any] | None = None, max_tokens: int = 256
    ) -> str:
        self.calls += 1
        self.prompts.append(prompt)
        self.schemas.append(schema)
        return self.answer(prompt)


class FlakyLLM(ScriptedLLM):
    """Raises on a seeded ``rate`` share of calls."""

    def __init__(self, rate: float = 0.3, seed: int = 0) -> None:
        super().__init__()
        self.rate = rate
        self.rng = random.Random(seed)
        self.failures = 0

    def complete(self, prompt: str, **kwargs: Any) -> str:
        if self.rng.random() < self.rate:
            self.calls += 1
            self.failures += 1
            raise ConnectionError("injected failure")
        return super().complete(prompt, **kwargs)


class MalformedLLM(ScriptedLLM):
    """Never returns parseable JSON."""

    def complete(self, prompt: str, **kwargs: Any) -> str:
        self.calls += 1
        return "Sure! Here are the titles: {clusters: [oops"


class FencedLLM(ScriptedLLM):
    """Wraps valid JSON in prose and markdown fences, with a trailing comma."""

    supports_schema = False

    def __init__(self) -> None:
        super().__init__(supports_schema=False)

    def answer(self, prompt: str) -> str:
        body = super().answer(prompt)
        return f"Here you go:\n```json\n{body[:-2]},]}}\n```\nHope it helps."


class WrongIdsLLM(ScriptedLLM):
    """Answers batches of several clusters with a wrong id set; single clusters correctly."""

    def answer(self, prompt: str) -> str:
        ids = group_ids(prompt)
        if len(ids) == 1:
            return super().answer(prompt)
        data = json.loads(super().answer(prompt))
        data["clusters"][0]["id"] = 99_999
        return json.dumps(data)


class SlowLLM(ScriptedLLM):
    """Sleeps ``seconds`` per call (for timeouts and for killing a run mid-way)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def complete(self, prompt: str, **kwargs: Any) -> str:
        time.sleep(self.seconds)
        return super().complete(prompt, **kwargs)


class MetaTitleLLM(ScriptedLLM):
    """Writes container-style titles ("Posts about ...")."""

    def __init__(self) -> None:
        super().__init__(title_prefix="Posts about ")


class CountTitleLLM(ScriptedLLM):
    """Titles that only count the members ("118 texts"), as small models sometimes do."""

    def answer(self, prompt: str) -> str:
        labels = [
            {"id": c, "titles": ["15 texts"], "description": "Some texts."}
            for c in group_ids(prompt)
        ]
        return json.dumps({"clusters": labels})


_ITEM = re.compile(r"^## Item id=(\d+)\n(.*?)(?=^## Item id=|\Z)", re.MULTILINE | re.DOTALL)


class ItemAwareLLM(ScriptedLLM):
    """Also answers level-0 item prompts: "About <most frequent word>." per item.

    ``fail_when`` makes any item prompt containing that word raise, to test the fallback.
    """

    def __init__(self, fail_when: str | None = None) -> None:
        super().__init__()
        self.fail_when = fail_when
        self.item_calls = 0

    def answer(self, prompt: str) -> str:
        items = _ITEM.findall(prompt)
        if not items:
            return super().answer(prompt)
        self.item_calls += 1
        if self.fail_when and self.fail_when in prompt:
            raise ConnectionError("injected item failure")
        answers = []
        for item_id, text in items:
            words = [w for w in _WORD.findall(text.lower()) if w not in _STOP]
            top = Counter(words).most_common(1)[0][0] if words else "nothing"
            answers.append({"id": int(item_id), "description": f"About {top}."})
        return json.dumps({"items": answers})
