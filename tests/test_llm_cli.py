"""CLI: --dry-run estimates, --labeller, and resume of `hercules run` from its checkpoint."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hercules.cli import app
from hercules.errors import ParameterError
from hercules.summarize.choose import resolve_summarizer
from hercules.summarize.keywords import KeywordSummarizer
from hercules.summarize.plan import planned_levels
from tests.fakes import topic_texts

runner = CliRunner()


def _texts_file(tmp_path: Path) -> Path:
    texts, _ = topic_texts(per_topic=10)
    path = tmp_path / "texts.txt"
    path.write_text("\n".join(texts))
    return path


@pytest.mark.parametrize(
    ("labeller", "calls"),
    [("keywords", 0), ("smollm2-135m", 3 + 2)],  # a call per cluster
    ids=["keywords", "llm"],
)
def test_dry_run_prints_calls_and_starts_nothing(tmp_path: Path, labeller: str, calls: int) -> None:
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "run",
            str(_texts_file(tmp_path)),
            "--out",
            str(out),
            "--levels",
            "3,2",
            "--dry-run",
            "--labeller",
            labeller,
        ],
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout.strip().splitlines()[-1])
    assert plan["calls"] == calls
    assert plan["levels"] == [3, 2]
    assert (plan["prompt_tokens"] > 0) == (calls > 0)
    assert not out.exists()


def test_rerun_of_a_finished_command_reuses_the_checkpoint(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = _texts_file(tmp_path)
    out = tmp_path / "run"
    args = ["run", str(data), "--out", str(out), "--levels", "3,2", "--labeller", "keywords"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    manifest = json.loads((out / "manifest.json").read_text())
    caplog.set_level(logging.INFO, logger="hercules.store.checkpoint")
    second = runner.invoke(app, args)
    assert "Resuming from the checkpoint" in caplog.text
    assert "at level 2" in caplog.text
    assert second.exit_code == 0, second.output
    assert json.loads((out / "manifest.json").read_text())["payload"] != manifest["payload"]
    assert first.stdout == second.stdout  # same tree printed


@pytest.mark.parametrize(
    ("n", "levels", "expected"),
    [(20_000, [100, 20, 5], [100, 20, 5]), (20_000, None, [100, 20, 4]), (10, None, [2])],
)
def test_planned_levels(n: int, levels: list[int] | None, expected: list[int]) -> None:
    assert planned_levels(n, levels) == expected


def test_labeller_resolution() -> None:
    assert isinstance(resolve_summarizer("auto"), KeywordSummarizer)  # conftest: no model in auto
    assert isinstance(resolve_summarizer("keywords"), KeywordSummarizer)
    with pytest.raises(ParameterError, match="labeller"):
        resolve_summarizer("")
    with pytest.raises(ParameterError, match="Unknown labeller"):
        resolve_summarizer("no-such-model")
    with pytest.raises(ParameterError, match="'threads': input should be a valid integer"):
        resolve_summarizer("smollm2-135m", llm_options={"threads": "zero"})
