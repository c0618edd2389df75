"""The batched-ask engine (summarize/asking.py) behind cluster summaries and item descriptions:
order under concurrency, split in half on failure, the call log, per-call progress, the
timeout, and item descriptions getting all of it from the summarizer."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from hercules.cache import Cache
from hercules.data.inputs import load_corpus
from hercules.errors import ParameterError
from hercules.llm import RetryPolicy
from hercules.summarize import speed
from hercules.summarize.asking import Ask, Asker
from hercules.summarize.items import ItemDescriber, describe_items
from hercules.summarize.llm import LLMSummarizer
from tests.llm_fakes import ItemAwareLLM, MalformedLLM, ScriptedLLM
from tests.test_llm_summarize import _request

FAST = RetryPolicy(attempts=2, base_delay=0.0, jitter=0.0)
# Items 0-1 are about alpha, 2-3 about bravo; with batch_size=2 each pair is one call.
TEXTS = ["alpha apple", "alpha again", "bravo bear", "bravo bird"]
SNIPPETS = [f"snippet {i}" for i in range(len(TEXTS))]


class HoldingLLM(ItemAwareLLM):
    """Holds its answer to any prompt holding ``hold`` until a prompt holding ``until`` has
    been answered, for ``patience`` seconds at most: then the held call fails, and so does
    every later held call, at once."""

    def __init__(self, hold: str, until: str, patience: float = 10.0) -> None:
        super().__init__()
        self.hold, self.until, self.patience = hold, until, patience
        self.released = threading.Event()
        self.gave_up = False
        self.threads: list[str] = []
        self.answered: list[str] = []  # prompts, in the order their answers were given

    def answer(self, prompt: str) -> str:
        self.threads.append(threading.current_thread().name)
        text = super().answer(prompt)
        if self.hold in prompt and not self.released.wait(0 if self.gave_up else self.patience):
            self.gave_up = True
            raise TimeoutError(f"no call holding {self.until!r} ran alongside")
        self.answered.append(prompt)
        if self.until in prompt:
            self.released.set()
        return text


class StalledLLM(ItemAwareLLM):
    """Never answers (until the test process ends)."""

    def complete(self, prompt: str, **kwargs: Any) -> str:
        threading.Event().wait()
        return ""


# ---------------------------------------------------------------------- order, concurrency
def test_items_keep_their_order_when_a_later_call_ends_first() -> None:
    llm = HoldingLLM(hold="alpha", until="bravo")
    describer = ItemDescriber(llm, batch_size=2, retry=FAST, concurrency=2)
    descriptions, failed = describer.describe(TEXTS, SNIPPETS)
    assert ["bravo" in p for p in llm.answered] == [True, False]  # the later call ended first
    assert sorted(r["items"] for r in describer.call_log) == [[0, 1], [2, 3]]
    assert descriptions == ["About alpha.", "About alpha.", "About bravo.", "About bravo."]
    assert failed == [False] * 4


def test_clusters_keep_their_order_when_a_later_call_ends_first() -> None:
    request = _request(n_clusters=6)
    serial = LLMSummarizer(ScriptedLLM(), batch_size=3, retry=FAST).summarize_level(request)
    llm = HoldingLLM(hold="Group 10 (", until="Group 13 (")  # batches [10, 11, 12], [13, 14, 15]
    summarizer = LLMSummarizer(llm, batch_size=3, retry=FAST, concurrency=2)
    assert summarizer.summarize_level(request) == serial
    assert ["Group 13 (" in p for p in llm.answered] == [True, False]
    assert sorted(r["cluster_ids"] for r in summarizer.call_log) == [[10, 11, 12], [13, 14, 15]]


def test_one_call_at_a_time_cannot_answer_a_call_that_waits_for_another() -> None:
    # The converse of the two tests above: it is the concurrency that let the held call pass.
    llm = HoldingLLM(hold="alpha", until="bravo", patience=0.0)
    describer = ItemDescriber(llm, batch_size=2, retry=FAST, concurrency=1)
    descriptions, failed = describer.describe(TEXTS, SNIPPETS)
    assert failed == [True, True, False, False]
    assert descriptions == [*SNIPPETS[:2], "About bravo.", "About bravo."]
    assert [r["items"] for r in describer.call_log][-1] == [2, 3]  # in order, one at a time


# ---------------------------------------------------------------------- split, retry, log
def test_a_failing_batch_is_split_in_half_and_every_call_is_logged() -> None:
    texts = ["alpha apple", "bravo poison", "charlie cat", "delta dog"]
    llm = ItemAwareLLM(fail_when="poison")
    describer = ItemDescriber(llm, batch_size=4, retry=FAST)
    descriptions, failed = describer.describe(texts, SNIPPETS)
    # Worked by hand: the batch of 4 is tried twice, then each half; the poisoned half splits
    # again; the poisoned item alone gets the policy's two tries.
    assert [r["items"] for r in describer.call_log] == [
        [0, 1, 2, 3],
        [0, 1, 2, 3],
        [0, 1],
        [0, 1],
        [0],
        [1],
        [1],
        [2, 3],
    ]
    assert [r["error"] is not None for r in describer.call_log] == [True] * 4 + [False] + [
        True,
        True,
        False,
    ]
    assert all("injected item failure" in r["error"] for r in describer.call_log if r["error"])
    assert len(describer.call_log) == llm.item_calls
    assert failed == [False, True, False, False]
    assert descriptions == ["About alpha.", SNIPPETS[1], "About charlie.", "About delta."]
    assert all(r["level"] == 0 and r["model"] == "scripted" for r in describer.call_log)


@pytest.mark.parametrize(("schema", "calls"), [(True, 3), (False, 8)], ids=["schema", "free"])
def test_unreadable_item_answers_are_retried_only_without_a_schema(
    schema: bool, calls: int
) -> None:
    llm = MalformedLLM(supports_schema=schema)
    retry = RetryPolicy(attempts=3, base_delay=0.0, jitter=0.0)
    describer = ItemDescriber(llm, batch_size=2, retry=retry)
    _, failed = describer.describe(TEXTS[:2], SNIPPETS[:2])
    assert failed == [True, True]
    # schema: [0, 1], [0], [1] once each; free: [0, 1] twice, then [0] and [1] three times.
    assert llm.calls == len(describer.call_log) == calls
    assert all(r["error"].startswith("AnswerError") for r in describer.call_log)


def test_cached_item_answers_make_a_rerun_free_and_are_logged_as_cached(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite3")
    first = ItemDescriber(ItemAwareLLM(), batch_size=2, cache=cache, retry=FAST)
    expected = first.describe(TEXTS, SNIPPETS)
    llm = ItemAwareLLM()
    again = ItemDescriber(llm, batch_size=2, cache=cache, retry=FAST)
    assert again.describe(TEXTS, SNIPPETS) == expected
    assert llm.calls == 0
    assert [(r["items"], r["cached"]) for r in again.call_log] == [([0, 1], True), ([2, 3], True)]


# ---------------------------------------------------------------------- progress, timeout
def test_item_progress_advances_per_call() -> None:
    events: list[tuple[str, int, int]] = []
    texts = [*TEXTS, "echo egg", "foxtrot fox", "golf gull"]
    ItemDescriber(ItemAwareLLM(), batch_size=3, retry=FAST).describe(
        texts, [""] * 7, progress=lambda *event: events.append(event)
    )
    assert events == [
        ("Describing items", 3, 7),
        ("Describing items", 6, 7),
        ("Describing items", 7, 7),
    ]


class Cancelled(Exception):
    pass


def test_an_exception_from_progress_stops_the_asking() -> None:
    llm = ItemAwareLLM()

    def cancel(stage: str, done: int, total: int) -> None:
        raise Cancelled("job cancelled")

    with pytest.raises(Cancelled, match="job cancelled"):
        ItemDescriber(llm, batch_size=2, retry=FAST).describe(TEXTS, SNIPPETS, progress=cancel)
    assert llm.item_calls == 1


def test_item_calls_honour_the_timeout() -> None:
    describer = ItemDescriber(StalledLLM(), batch_size=2, retry=FAST, timeout=0.05)
    descriptions, failed = describer.describe(TEXTS, SNIPPETS)
    assert failed == [True] * 4
    assert descriptions == SNIPPETS
    assert describer.call_log
    assert all("timeout=0.05" in r["error"] for r in describer.call_log)
    stuck = [t for t in threading.enumerate() if t.name == "llm-call"]
    assert stuck
    assert all(t.daemon for t in stuck)


# ---------------------------------------------------------------------- the summarizer's settings
def test_item_descriptions_use_the_summarizers_settings_and_call_log() -> None:
    texts = [f"alpha apple {i}" for i in range(8)] + [f"bravo bear {i}" for i in range(8)]
    llm = HoldingLLM(hold="alpha", until="bravo")  # passes only with two calls at once
    summarizer = LLMSummarizer(llm, retry=FAST, concurrency=2, timeout=30.0)
    summarizer.call_log.append({"level": 1, "note": "an earlier record"})
    descriptions, failed = describe_items(load_corpus(texts), [""] * 16, summarizer)
    assert not any(failed)
    assert descriptions == ["About alpha."] * 8 + ["About bravo."] * 8
    records = summarizer.call_log[1:]
    assert sorted((r["level"], r["items"]) for r in records) == [
        (0, list(range(8))),
        (0, list(range(8, 16))),
    ]
    assert set(llm.threads) == {"llm-call"}  # every call ran under the timeout's watch


def test_calibration_ignores_item_calls() -> None:
    records = json.loads((Path(__file__).parent / "data" / "llm_log_small.json").read_text())
    items = [{**r, "level": 0, "cluster_ids": None, "seconds": 100.0} for r in records]
    assert speed.from_log(records + items) == speed.from_log(records)


# ---------------------------------------------------------------------- the engine itself
def test_map_gives_one_value_per_key_in_batch_order_and_lands_every_batch() -> None:
    landed: list[dict[int, str]] = []

    def ask_for(batch: list[int]) -> Ask[dict[int, str]]:
        prompt = " ".join(str(k) for k in batch)
        return Ask(prompt, {}, 10, lambda text: {k: f"{text}:{k}" for k in batch}, what=prompt)

    class Echo:
        def complete(self, prompt: str, **kwargs: Any) -> str:
            return f"<{prompt}>"

    asker = Asker(Echo(), retry=FAST, concurrency=3)
    out = asker.map([[3, 1], [2], [0, 4]], ask_for, lambda key, message: "failed", landed.append)
    assert list(out.items()) == [
        (3, "<3 1>:3"),
        (1, "<3 1>:1"),
        (2, "<2>:2"),
        (0, "<0 4>:0"),
        (4, "<0 4>:4"),
    ]
    assert sorted(sorted(part) for part in landed) == [[0, 4], [1, 3], [2]]
    assert sorted(r["prompt"] for r in asker.call_log) == ["0 4", "2", "3 1"]


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_concurrency_is_validated(bad: Any) -> None:
    with pytest.raises(ParameterError, match=f"concurrency must be an int >= 1; got {bad!r}"):
        Asker(ScriptedLLM(), concurrency=bad)
