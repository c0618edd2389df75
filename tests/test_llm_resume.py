"""Checkpoint after each level; a ``kill -9`` mid-run and a rerun give the uninterrupted result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hercules import Hercules
from hercules.errors import RunDirectoryError
from hercules.store import read_log, read_manifest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import sys
from hercules import Hercules
from hercules.summarize.llm import LLMSummarizer
from tests.fakes import HashingEmbedder, topic_texts
from tests.llm_fakes import SlowLLM

texts, _ = topic_texts(per_topic=12)
summarizer = LLMSummarizer(SlowLLM(float(sys.argv[2])))
model = Hercules([8, 4, 2], text_embedding_client=HashingEmbedder(), summarizer=summarizer)
model.fit(texts, checkpoint=sys.argv[1])
model.save_model(sys.argv[1])
"""


def _run(out: Path, delay: float) -> subprocess.Popen[bytes]:
    # This checkout's package first, whatever copy is installed.
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(out), str(delay)], cwd=ROOT, env=env)


def _titled_levels(out: Path) -> int:
    """Levels of the checkpoint whose titles are final (all levels exist from the draft on)."""
    try:  # through the manifest: a payload folder is part of the run only once it is named there
        payload, _ = read_manifest(out)
        info = json.loads((payload / "run.json").read_text())
    except (RunDirectoryError, OSError, ValueError):
        return 0
    return int(info.get("checkpoint", {}).get("labelled", 0))


def _result(out: Path) -> tuple[list[list[str]], list[np.ndarray]]:
    model = Hercules.load_model(out)
    tree = model.tree_
    titles = [lvl.titles for lvl in tree.levels[1:]]
    labels = [tree.labels(lvl) for lvl in range(1, tree.top_level + 1)]
    return titles, labels


def test_kill_9_then_rerun_equals_uninterrupted_run(tmp_path: Path) -> None:
    full = tmp_path / "full"
    assert _run(full, 0.0).wait(timeout=120) == 0

    resumed = tmp_path / "resumed"
    proc = _run(resumed, 0.4)  # 8 + 4 + 2 calls at 0.4 s: ~6 s, killed after level 1
    deadline = time.monotonic() + 90
    while _titled_levels(resumed) < 1:
        assert proc.poll() is None, "run ended before it could be killed"
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert 1 <= _titled_levels(resumed) < 3
    assert Hercules.load_model(resumed).tree_.top_level == 3  # the keyword-titled draft
    calls_before = len(read_log(resumed))

    assert _run(resumed, 0.0).wait(timeout=120) == 0
    titles_a, labels_a = _result(full)
    titles_b, labels_b = _result(resumed)
    assert titles_b == titles_a
    for a, b in zip(labels_a, labels_b, strict=True):
        np.testing.assert_array_equal(a, b)
    log = read_log(resumed)
    full_log = read_log(full)
    # The rerun asked only for the levels the killed run had not finished.
    assert len(log) == len(full_log) >= 8 + 4 + 2
    assert calls_before >= 8
    assert sorted({r["level"] for r in log}) == [1, 2, 3]


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

    first = Hercules(levels, text_embedding_client=HashingEmbedder(), summarizer=LLMSummarizer(llm))
    first.fit(texts, checkpoint=out)
    calls = llm.calls
    second = Hercules(
        levels, text_embedding_client=HashingEmbedder(), summarizer=LLMSummarizer(llm)
    )
    second.fit(texts, checkpoint=out)
    assert llm.calls == calls  # nothing re-asked: every level came from the checkpoint
    assert second.tree_.levels[-1].titles == first.tree_.levels[-1].titles
