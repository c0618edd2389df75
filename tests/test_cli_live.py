"""The CLI prints the keyword-titled tree as soon as it exists, then the final one."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from hercules import Hercules
from hercules.cli import _fit, app
from hercules.summarize.llm import LLMSummarizer
from tests.fakes import HashingEmbedder, topic_texts
from tests.llm_fakes import ScriptedLLM


class QuietUntilDraft(ScriptedLLM):
    def __init__(self, capsys: Any) -> None:
        super().__init__(title_prefix="Llm ")
        self.capsys = capsys
        self.before_first_answer = ""

    def complete(self, prompt: str, **kwargs: Any) -> str:
        if self.calls == 0:
            self.before_first_answer = self.capsys.readouterr().err
        return super().complete(prompt, **kwargs)


def test_draft_tree_is_printed_before_the_first_answer(capsys: Any) -> None:
    texts, _ = topic_texts(per_topic=8)
    llm = QuietUntilDraft(capsys)
    model = Hercules([4, 2], text_embedding_client=HashingEmbedder(), labeller=LLMSummarizer(llm))
    _fit(model, texts)
    shown = llm.before_first_answer
    assert "Hierarchy with keyword titles" in shown
    assert shown.count("L1 #") == 4
    assert shown.count("L2 #") == 2
    assert "Llm " not in shown
    # After the draft: the model's titles, or evidence titles that covered better (noted).
    level = model.tree_.levels[1]
    assert level.title_notes is not None
    notes = level.title_notes
    assert all(t.startswith("Llm ") or n for t, n in zip(level.titles, notes, strict=True))


def test_llm_timeout_option_is_validated(tmp_path: Any) -> None:
    data = tmp_path / "t.txt"
    data.write_text("\n".join(topic_texts(per_topic=4)[0]))
    result = CliRunner().invoke(
        app, ["run", str(data), "--out", str(tmp_path / "o"), "--llm-timeout", "0"]
    )
    assert result.exit_code != 0
    assert "llm_timeout" in str(result.exception) or "llm_timeout" in result.output
