"""Live labelling: per-cluster progress, the keyword-titled draft before the first LLM answer,
the call timeout that leaves no thread behind, and the dry run's calibrated estimate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from hercules import Hercules
from hercules.errors import ParameterError
from hercules.llm.base import Completion
from hercules.llm.local import SLOT_SPEEDUP
from hercules.llm.retry import RetryPolicy
from hercules.summarize import speed
from hercules.summarize.evidence import (
    CONJUNCTION_NOTE,
    FIELD_NOTE,
    KEYWORD_NOTE,
    SHARED_NOTE,
    STATISTICS_NOTE,
)
from hercules.summarize.llm import LLMSummarizer
from hercules.summarize.speed import estimate_cost
from tests.fakes import HashingEmbedder, topic_texts
from tests.llm_fakes import ScriptedLLM

ROOT = Path(__file__).resolve().parents[1]
FAST = RetryPolicy(attempts=2, base_delay=0.0)


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, int, int]] = []

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.events.append((stage, done, total))

    def counts(self, stage: str) -> list[int]:
        return [done for s, done, _ in self.events if s == stage]


class WatchingLLM(ScriptedLLM):
    """Before answering its first call, looks at what the user can already see."""

    def __init__(self, out: Path | None = None) -> None:
        super().__init__(title_prefix="Llm ")
        self.out = out
        self.seen_saved: list[list[str]] | None = None

    def complete(self, prompt: str, **kwargs: Any) -> str:
        if self.calls == 0 and self.out is not None:
            saved = Hercules.load_model(self.out).tree_
            self.seen_saved = [level.titles for level in saved.levels[1:]]
        return super().complete(prompt, **kwargs)


@pytest.mark.parametrize("concurrency", [1, 3], ids=["serial", "concurrent"])
def test_progress_advances_once_per_cluster(concurrency: int) -> None:
    texts, _ = topic_texts(per_topic=10)
    progress = Recorder()
    summarizer = LLMSummarizer(ScriptedLLM(), cache=None, concurrency=concurrency)
    Hercules(
        [6, 3], text_embedding_client=HashingEmbedder(), labeller=summarizer, progress=progress
    ).fit(texts)
    assert progress.counts("Summarizing level 1") == list(range(7))  # 0, 1, ..., 6: per answer
    assert progress.counts("Summarizing level 2")[:4] == [0, 1, 2, 3]
    assert all(total == 6 for s, _, total in progress.events if s == "Summarizing level 1")


EVIDENCE_NOTES = {
    CONJUNCTION_NOTE,
    FIELD_NOTE,
    KEYWORD_NOTE,
    SHARED_NOTE,
    STATISTICS_NOTE,
    "single child",
}


def test_keyword_titles_are_saved_and_shown_before_the_first_llm_answer(tmp_path: Path) -> None:
    texts, _ = topic_texts(per_topic=10)
    out = tmp_path / "run"
    llm = WatchingLLM(out)
    drafts: list[list[list[str]]] = []

    def on_draft(tree: Any) -> None:
        assert llm.calls == 0, "the draft must come before any LLM answer"
        drafts.append([list(level.titles) for level in tree.levels[1:]])

    model = Hercules(
        [6, 3, 2], text_embedding_client=HashingEmbedder(), labeller=LLMSummarizer(llm)
    )
    model.fit(texts, checkpoint=out, on_draft=on_draft)
    assert len(drafts) == 1
    assert [len(level) for level in drafts[0]] == [6, 3, 2]  # every level, before the LLM
    assert all(title.strip() for level in drafts[0] for title in level)
    assert llm.seen_saved == drafts[0]  # the saved run held the same readable draft
    # Each final title is the model's, or an evidence title that covered its members better
    # (the choose step), and says so in its note.
    tree = model.tree_
    for level in tree.levels[1:]:
        for title, note in zip(level.titles, level.title_notes or [], strict=True):
            assert title.startswith("Llm ") or note in EVIDENCE_NOTES, (title, note)
    assert llm.calls > 0
    info = json.loads(next(out.glob("data-*/run.json")).read_text())
    assert info["checkpoint"]["labelled"] == 3


def test_description_mode_keeps_its_order() -> None:
    texts, _ = topic_texts(per_topic=10)
    progress = Recorder()
    drafts: list[Any] = []
    Hercules(
        [6, 3],
        representation_mode="description",
        text_embedding_client=HashingEmbedder(),
        labeller=LLMSummarizer(ScriptedLLM(), cache=None),
        progress=progress,
    ).fit(texts, on_draft=drafts.append)
    stages = list(dict.fromkeys(s for s, _, _ in progress.events))
    assert stages == [
        "Clustering level 1 (k=6)",
        "Summarizing level 1",
        "Clustering level 2 (k=3)",
        "Summarizing level 2",
    ]
    assert drafts == []


class StalledLLM(ScriptedLLM):
    """Never answers (until the test process ends)."""

    def complete(self, prompt: str, **kwargs: Any) -> str:
        threading.Event().wait()
        return ""


def test_timeout_leaves_only_daemon_threads() -> None:
    texts, _ = topic_texts(per_topic=6)
    summarizer = LLMSummarizer(StalledLLM(), cache=None, timeout=0.05, retry=FAST)
    model = Hercules([3], text_embedding_client=HashingEmbedder(), labeller=summarizer)
    model.fit(texts)
    level = model.tree_.levels[1]
    assert level.summary_failed is not None
    assert level.summary_failed.all()
    assert all("timeout=0.05" in (r["error"] or "") for r in summarizer.call_log)
    stuck = [t for t in threading.enumerate() if t.name == "llm-call"]
    assert stuck
    assert all(t.daemon for t in stuck)  # abandoned calls cannot hold the exit


STALLED_SCRIPT = """
import threading
from hercules import Hercules
from hercules.llm.callable import CallableLLM
from tests.fakes import HashingEmbedder, topic_texts

texts, _ = topic_texts(per_topic=6)
model = Hercules(
    [3],
    text_embedding_client=HashingEmbedder(),
    llm_client=lambda prompt: threading.Event().wait() or "",
    llm_timeout=0.05,
    cache=False,
)
model.fit(texts)
print("fitted", model.summarizer_.timeout)
"""


def test_process_exits_after_fit_with_a_stalled_model() -> None:
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    # Without daemon call threads the interpreter would wait for the stalled calls forever.
    done = subprocess.run(
        [sys.executable, "-c", STALLED_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "fitted 0.05" in done.stdout


@pytest.mark.parametrize("bad", [0, -1.0, "10", True])
def test_llm_timeout_is_validated(bad: Any) -> None:
    with pytest.raises(ParameterError, match="'llm_timeout' parameter of Hercules"):
        Hercules([2], llm_timeout=bad).fit(
            ["a b", "c d", "e f"], embeddings=[[0, 1], [1, 0], [1, 1]]
        )


# ---------------------------------------------------------------------- dry-run estimate
LOG = Path(__file__).parent / "data" / "llm_log_small.json"


def test_estimate_from_a_recorded_call_log_is_within_25_percent() -> None:
    records = json.loads(LOG.read_text())
    calibration = speed.from_log(records)
    assert calibration is not None
    assert calibration.source == "call log (12 calls)"
    sizes = [sum(1 for r in records if r["level"] == lvl) for lvl in (1, 2)]
    cost = estimate_cost(
        sizes,
        tokens_per_cluster=calibration.prompt_per_cluster or 0,
        header_tokens=0,
        generated_per_cluster=calibration.generated_per_cluster or 0,
        prompt_per_s=calibration.prompt_per_s,
        generated_per_s=calibration.generated_per_s,
        area_prompt_tokens=0,  # measured per cluster: the log holds what each cluster cost
        area_generated_tokens=0,
    )
    real = sum(r["seconds"] for r in records)
    assert abs(cost["seconds"] - real) <= 0.25 * real
    assert cost["prompt_tokens"] == sum(r["prompt_tokens"] for r in records)
    # The uncalibrated defaults miss the same run by more than the tolerance.
    default = estimate_cost(sizes, tokens_per_cluster=600, generated_per_cluster=60)
    assert abs(default["seconds"] - real) > 0.25 * real


def test_overlapping_calls_shrink_the_wall_time() -> None:
    records = json.loads(LOG.read_text())
    alone = speed.from_log(records)
    assert alone is not None
    assert alone.wall_factor == pytest.approx(1.0, abs=0.01)  # one call after another
    # The same calls two at a time: each pair ends together, after the longer of the two.
    paired, clock = [], 0.0
    for first, second in zip(records[::2], records[1::2], strict=True):
        clock += max(first["seconds"], second["seconds"])
        paired += [{**first, "time": clock}, {**second, "time": clock}]
    overlapped = speed.from_log(paired)
    assert overlapped is not None
    assert overlapped.wall_factor == pytest.approx(clock / sum(r["seconds"] for r in records))
    assert 0.5 < overlapped.wall_factor < 0.6


def test_rates_are_recovered_from_exact_calls() -> None:
    # seconds = prompt / 50 + generated / 10, worked out by hand for each row
    records = [
        {"prompt_tokens": 500, "completion_tokens": 20, "seconds": 12.0, "cluster_ids": [1]},
        {"prompt_tokens": 100, "completion_tokens": 50, "seconds": 7.0, "cluster_ids": [2]},
        {"prompt_tokens": 300, "completion_tokens": 0, "seconds": 6.0, "cluster_ids": [3]},
        {"prompt_tokens": 300, "completion_tokens": 9, "seconds": 1.0, "cached": True},
    ]
    calibration = speed.from_log(records)
    assert calibration is not None
    assert calibration.prompt_per_s == pytest.approx(50.0)
    assert calibration.generated_per_s == pytest.approx(10.0)
    assert calibration.prompt_per_cluster == pytest.approx(300.0)
    assert speed.from_log(records[:1]) is None  # one call cannot separate two rates


class TimedLLM:
    """Reports the time a model reading 80 and writing 20 tokens/s would take (no sleeping)."""

    model_id = "timed"
    max_concurrency = 1

    def complete(self, prompt: str, *, schema: Any = None, max_tokens: int = 256) -> str:
        return self.complete_with_usage(prompt, schema=schema, max_tokens=max_tokens).text

    def complete_with_usage(self, prompt: str, *, schema: Any, max_tokens: int) -> Completion:
        prompt_tokens = len(prompt.split())
        generated = max_tokens
        return Completion("x", prompt_tokens, generated, prompt_tokens / 80 + generated / 20)


def test_measure_calls_the_model_twice() -> None:
    calibration = speed.measure(TimedLLM())
    assert calibration.prompt_per_s == pytest.approx(80.0)
    assert calibration.generated_per_s == pytest.approx(20.0)
    assert calibration.source.startswith("measured")
    assert calibration.wall_factor == 1.0  # one slot
    two = TimedLLM()
    two.max_concurrency = 2
    two.concurrency_speedup = SLOT_SPEEDUP[2]  # as the local backend declares its slots'
    assert speed.measure(two).wall_factor == pytest.approx(1 / SLOT_SPEEDUP[2])
    assert speed.measure(two).source == "measured (2 short calls)"
    # Undeclared: four calls are timed at once. These return at once, each reporting the
    # seconds one call alone takes, so they overlap fully.
    four = TimedLLM()
    four.max_concurrency = 4
    calibration = speed.measure(four)
    assert calibration.wall_factor == pytest.approx(0.25, abs=0.01)
    assert calibration.source == "measured (2 + 4 short calls)"


class SleepingLLM:
    """Sleeps 0.1 s a call; ``serial`` holds a lock meanwhile, as a server with one slot."""

    model_id = "sleeping"
    max_concurrency = 4

    def __init__(self, serial: bool) -> None:
        self.serial = serial
        self._lock = threading.Lock()

    def complete(self, prompt: str, *, schema: Any = None, max_tokens: int = 256) -> str:
        if self.serial:
            with self._lock:
                time.sleep(0.1)
        else:
            time.sleep(0.1)
        return "1 2 3"


@pytest.mark.parametrize(("serial", "low", "high"), [(False, 0.25, 0.6), (True, 0.8, 1.5)])
def test_overlap_is_measured_against_one_call_alone(serial: bool, low: float, high: float) -> None:
    # Four calls at once: about 0.1 s of wall time when they overlap (0.25 of four calls alone),
    # about 0.4 s when a one-slot server queues them, though each queued call then reports
    # its wait as its time.
    factor = speed.overlap_factor(SleepingLLM(serial), 4, alone=0.1)
    assert low <= factor <= high


@pytest.mark.parametrize(
    ("calls", "wall"),
    [
        # (ended at, seconds): one after another, the wall time is their sum
        ([(10.0, 4.0), (14.0, 4.0), (20.0, 6.0)], 14.0),
        # two slots: calls of 8 s ending 1 s apart span 9 s, not 16
        ([(108.0, 8.0), (109.0, 8.0)], 9.0),
        # four overlapping calls, a short one inside a long one
        ([(50.0, 20.0), (45.0, 5.0), (52.0, 21.0), (60.0, 12.0)], 30.0),
        ([], 0.0),
    ],
)
def test_wall_seconds_of_overlapping_calls(calls: list[tuple[float, float]], wall: float) -> None:
    records = [{"time": end, "seconds": seconds} for end, seconds in calls]
    assert speed.wall_seconds(records) == pytest.approx(wall)


def test_plan_uses_the_calibration() -> None:
    from hercules.data.inputs import load_corpus
    from hercules.summarize.plan import plan_run

    corpus = load_corpus(topic_texts(per_topic=10)[0])
    records = json.loads(LOG.read_text())
    calibration = speed.from_log(records)
    plan = plan_run(corpus, [8, 4], labeller="m", batch_size=1, calibration=calibration)
    assert plan["speed_source"] == "call log (12 calls)"
    assert plan["prompt_tokens"] == sum(r["prompt_tokens"] for r in records)
    generic = plan_run(corpus, [8, 4], labeller="m", batch_size=1)
    assert generic["speed_source"] == "built-in defaults"


def test_dry_run_calibrates_from_the_log_in_out_else_by_measuring(tmp_path: Path) -> None:
    from hercules.cli import _calibrate
    from hercules.store.run import write_log

    summarizer = LLMSummarizer(TimedLLM(), cache=None)
    measured = _calibrate(summarizer, tmp_path / "missing")
    assert measured.source == "measured (2 short calls)"
    assert measured.prompt_per_s == pytest.approx(80.0)
    records = json.loads(LOG.read_text())
    for record in records:
        record["model"] = summarizer.model_id
    write_log(tmp_path, [*records, {**records[0], "model": "another model", "seconds": 1e6}])
    logged = _calibrate(summarizer, tmp_path)
    assert logged.source == "call log (12 calls)"  # only this model's calls
