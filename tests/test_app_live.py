"""The explorer shows a run while the LLM still writes its titles: keyword-titled draft first,
then each level's new titles, and an ETA per stage."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from app_helpers import corpus, fake_embed

pytest.importorskip("dash", reason="the app extra is not installed")

from hercules.app.jobs import Job
from hercules.app.run_callbacks import _status, live_update
from hercules.summarize.llm import LLMSummarizer
from tests.llm_fakes import ScriptedLLM


def _data_url(data: bytes) -> str:
    return "data:text/plain;base64," + base64.b64encode(data).decode()


class PageLLM(ScriptedLLM):
    """On its first call and its first call about level 2, looks at the run the page would
    show."""

    def __init__(self) -> None:
        super().__init__(title_prefix="Llm ")
        self.explorer: Any = None
        self.seen: list[tuple[bool, list[str]]] = []

    def complete(self, prompt: str, **kwargs: Any) -> str:
        if self.calls == 0 or (len(self.seen) == 1 and "parent group" in prompt):
            job = self.explorer.jobs.running()[0]
            changed = live_update(self.explorer, job)
            view = self.explorer.get(job.draft_run_id)
            self.seen.append((changed, list(view.tree.levels[1].titles)))
        return super().complete(prompt, **kwargs)


def test_draft_run_is_shown_then_updated(tmp_path: Path) -> None:
    from hercules.app import make_app

    llm = PageLLM()
    options = {"text_embedding_client": fake_embed, "labeller": LLMSummarizer(llm, cache=None)}
    app = make_app(None, workdir=tmp_path, model_options=options)
    llm.explorer = app.explorer
    text = "\n".join(corpus(4)).encode()
    job = app.explorer.start_run(
        [_data_url(text)],
        ["notes.txt"],
        labels=None,
        params={"level_cluster_counts": [4, 2]},
        column=None,
        topic_seed=None,
    )
    app.explorer.jobs.wait(job.job_id, timeout=60)
    assert job.state == "done", job.error
    (first, draft_titles), (second, level1_titles) = llm.seen
    assert first  # the page switches to the draft before the first answer
    assert len(draft_titles) == 4
    assert not any(t.startswith("Llm ") for t in draft_titles)  # keyword titles
    assert second  # level 1 was titled and saved: the page reloads it
    assert any(t.startswith("Llm ") for t in level1_titles)
    assert job.run_id == job.draft_run_id  # one entry, now the finished run
    final = app.explorer.get(job.run_id)
    # Each final title is the model's or an evidence title that covered better (noted).
    for level in final.tree.levels[1:]:
        notes = level.title_notes or [""] * len(level)
        assert all(t.startswith("Llm ") or n for t, n in zip(level.titles, notes, strict=True))
    assert len(app.explorer.options()) == 1


def test_status_shows_an_eta_per_stage() -> None:
    job = Job(job_id="j1")
    job.progress("Summarizing level 1", 0, 40)
    job.stage_started["Summarizing level 1"] -= 30.0  # 30 s spent
    job.progress("Summarizing level 1", 10, 40)
    snap = job.snapshot()
    assert snap["eta"]["Summarizing level 1"] == pytest.approx(90.0, abs=1.0)
    assert "about 1 min 30 s left" in str(_status(snap))
    job.progress("Summarizing level 1", 40, 40)
    assert job.snapshot()["eta"]["Summarizing level 1"] is None
