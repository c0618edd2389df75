"""Checkpoint after each level; a ``kill -9`` mid-run and a rerun give the uninterrupted result.

The run kills itself at a chosen point (no timing): a model call, or around a checkpoint's
manifest swap."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hercules import Hercules
from hercules.store import read_log, read_manifest
from hercules.summarize.evidence import LOW_CONTENT_NOTE
from hercules.title_quality import SINGLE_CHILD

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import os, signal, sys
from hercules import Hercules
from hercules.summarize.llm import LLMSummarizer
from tests.fakes import HashingEmbedder, topic_texts
from tests.llm_fakes import ScriptedLLM

# "", or where the run kills itself (a real kill -9: no cleanup, no flush): "call:N" as the
# N-th model call starts; "before-swap:N" / "after-swap:N" around the N-th manifest swap.
where, _, nth = sys.argv[2].partition(":")
swaps = []

def die(point, count):
    if where == point and count == int(nth):
        os.kill(os.getpid(), signal.SIGKILL)

class KilledLLM(ScriptedLLM):
    def complete(self, prompt, **kwargs):
        die("call", self.calls + 1)
        return super().complete(prompt, **kwargs)

replace = os.replace

def swap(src, dst, *args, **kwargs):
    if os.path.basename(dst) != "manifest.json":
        return replace(src, dst, *args, **kwargs)
    swaps.append(dst)
    die("before-swap", len(swaps))
    replace(src, dst, *args, **kwargs)
    die("after-swap", len(swaps))

os.replace = swap
texts, _ = topic_texts(per_topic=12)
summarizer = LLMSummarizer(KilledLLM())
model = Hercules([8, 4, 2], text_embedding_client=HashingEmbedder(), labeller=summarizer)
model.fit(texts, checkpoint=sys.argv[1])
model.save_model(sys.argv[1])
"""


def _run(out: Path, kill_at: str = "") -> int:
    # This checkout's package first, whatever copy is installed.
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    args = [sys.executable, "-c", SCRIPT, str(out), kill_at]
    return subprocess.run(args, cwd=ROOT, env=env, timeout=300).returncode


def _titled_levels(out: Path) -> int:
    """Levels of the checkpoint whose titles are final (all levels exist from the draft on)."""
    payload, _ = read_manifest(out)
    info = json.loads((payload / "run.json").read_text())
    return int(info["checkpoint"]["labelled"])


def _result(out: Path) -> tuple[list[list[str]], list[np.ndarray]]:
    model = Hercules.load_model(out)
    tree = model.tree_
    titles = [lvl.titles for lvl in tree.levels[1:]]
    labels = [tree.labels(lvl) for lvl in range(1, tree.top_level + 1)]
    return titles, labels


def _asked(log: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(r["level"], r["prompt"]) for r in log]


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    full = tmp_path_factory.mktemp("full") / "run"
    assert _run(full) == 0
    return full


# Manifest swaps: 1 the keyword-titled draft, 2-4 after LLM titles for levels 1-3, 5 save_model.
# Calls: 8 for level 1, 4 for level 2, 2 for level 3.
@pytest.mark.parametrize(
    ("kill_at", "titled"),
    [
        ("call:11", 1),  # mid level 2: two of its answers came after the checkpoint, lost
        ("before-swap:2", 0),  # level 1's payload (its log too) written, still unnamed
        ("after-swap:3", 2),  # level 2 named, older payload and the log beside it not yet
    ],
    ids=["mid-level-2-call", "before-level-1-swap", "after-level-2-swap"],
)
def test_kill_9_then_rerun_equals_uninterrupted_run(
    tmp_path: Path, full_run: Path, kill_at: str, titled: int
) -> None:
    resumed = tmp_path / "resumed"
    assert _run(resumed, kill_at) == -signal.SIGKILL
    assert _titled_levels(resumed) == titled
    assert Hercules.load_model(resumed).tree_.top_level == 3  # the keyword-titled draft
    full_log = read_log(full_run)
    before = read_log(resumed)
    # The checkpoint's log holds exactly the calls of its titled levels, nothing asked later.
    assert _asked(before) == [a for a in _asked(full_log) if a[0] <= titled]

    assert _run(resumed) == 0
    titles_a, labels_a = _result(full_run)
    titles_b, labels_b = _result(resumed)
    assert titles_b == titles_a
    for a, b in zip(labels_a, labels_b, strict=True):
        np.testing.assert_array_equal(a, b)
    log = read_log(resumed)
    assert log[: len(before)] == before  # the killed run's records kept as they were
    # The rerun asked exactly the unfinished levels' calls, once each, in the same order: the
    # log equals the uninterrupted run's, call for call.
    assert {r["level"] for r in log[len(before) :]} == set(range(titled + 1, 4))
    assert _asked(log) == _asked(full_log)
    # One call per cluster of the 8 + 4 + 2, but for those named without one (a single
    # child, little content).
    tree = Hercules.load_model(full_run).tree_
    notes = [note for lvl in tree.levels[1:] for note in (lvl.title_notes or [])]
    assert len(notes) == 8 + 4 + 2
    named = [note not in (SINGLE_CHILD, LOW_CONTENT_NOTE) for note in notes]
    assert len(full_log) == sum(named)


def test_checkpoint_of_another_run_is_not_resumed(tmp_path: Path) -> None:
    from tests.fakes import HashingEmbedder, topic_texts

    texts, _ = topic_texts(per_topic=8)
    out = tmp_path / "run"
    Hercules([4, 2], text_embedding_client=HashingEmbedder()).fit(texts, checkpoint=out)
    model = Hercules([5, 2], text_embedding_client=HashingEmbedder()).fit(texts, checkpoint=out)
    assert len(model.tree_.levels[1]) == 5


@pytest.mark.parametrize("levels", [[4, 2], [3]])
def test_complete_checkpoint_is_reused(tmp_path: Path, levels: list[int]) -> None:
    from tests.fakes import HashingEmbedder, topic_texts
    from tests.llm_fakes import ScriptedLLM

    texts, _ = topic_texts(per_topic=8)
    out = tmp_path / "run"
    llm = ScriptedLLM()
    from hercules.summarize.llm import LLMSummarizer

    first = Hercules(levels, text_embedding_client=HashingEmbedder(), labeller=LLMSummarizer(llm))
    first.fit(texts, checkpoint=out)
    calls = llm.calls
    second = Hercules(levels, text_embedding_client=HashingEmbedder(), labeller=LLMSummarizer(llm))
    second.fit(texts, checkpoint=out)
    assert llm.calls == calls  # nothing re-asked: every level came from the checkpoint
    assert second.tree_.levels[-1].titles == first.tree_.levels[-1].titles
