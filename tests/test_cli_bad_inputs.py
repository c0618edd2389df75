"""CLI bad inputs: checked before any work, reported as one-line errors naming the value."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import hercules.embed.onnx_minilm as onnx
from hercules import Hercules
from hercules.cli import app
from hercules.errors import HerculesError, InputError, RunDirectoryError
from tests.fakes import HashingEmbedder, topic_texts

runner = CliRunner()
TEXTS, LABELS = topic_texts(per_topic=5)


class FakeMiniLM(HashingEmbedder):
    """Stands in for the default embedder so CLI runs take milliseconds."""

    model_id = "fake-minilm"

    def __init__(self, progress: Any = None) -> None:
        super().__init__()
        self.progress = progress


@pytest.fixture(autouse=True)
def _fake_default_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnx, "MiniLMEmbedder", FakeMiniLM)


def _texts_file(folder: Path, texts: list[str] = TEXTS, name: str = "texts.txt") -> Path:
    path = folder / name
    path.write_text("\n".join(texts))
    return path


def _error(args: list[str], error: type[Exception] = HerculesError) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert isinstance(result.exception, error), result.output
    return str(result.exception)


def _npy_object(path: Path) -> None:
    np.save(path, np.array([{"a": 1}] * 15, dtype=object), allow_pickle=True)


def _npz(path: Path) -> None:
    with open(path, "wb") as handle:
        np.savez(handle, vectors=np.ones((15, 3)))


@pytest.mark.parametrize(
    ("name", "write", "message"),
    [
        ("v.npy", _npy_object, r"Could not open .*v\.npy"),
        ("v.npy", lambda p: p.write_text("not numpy"), r"Could not open .*v\.npy"),
        ("v.npy", lambda p: p.write_bytes(b""), r"Could not open .*v\.npy"),
        ("v.npy", _npz, r"\.npz archive"),
        ("v.csv", lambda p: p.write_text("1,2\n3,4"), r"existing \.npy file; got .*v\.csv"),
        ("missing.npy", lambda p: None, r"existing \.npy file; got .*missing\.npy"),
        ("v.npy", lambda p: np.save(p, np.ones((3, 4))), r"shape \(3, 4\) but the data has 15"),
    ],
    ids=["object-dtype", "text-file", "empty-file", "npz", "not-npy", "missing", "wrong-rows"],
)
def test_bad_embeddings_files(tmp_path: Path, name: str, write: Any, message: str) -> None:
    vectors = tmp_path / name
    write(vectors)
    args = ["run", str(_texts_file(tmp_path)), "--out", str(tmp_path / "run"), "--levels", "3"]
    assert re.search(message, _error([*args, "--embeddings", str(vectors)], InputError))


@pytest.mark.parametrize(
    "command",
    [
        ["run", "/nonexistent/data.csv", "--out", "{tmp}/run"],
        ["assign", "{run}", "/nonexistent/data.csv"],
    ],
    ids=["run", "assign"],
)
def test_missing_input_says_no_such_file(tmp_path: Path, command: list[str]) -> None:
    run = tmp_path / "saved"
    assert runner.invoke(app, ["run", str(_texts_file(tmp_path)), "--out", str(run)]).exit_code == 0
    args = [a.replace("{tmp}", str(tmp_path)).replace("{run}", str(run)) for a in command]
    message = _error(args, InputError)
    assert "No such file or folder: '/nonexistent/data.csv'" in message


@pytest.mark.parametrize("command", ["run", "demo"])
def test_unwritable_out_fails_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    def no_work(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("work started before --out was checked")

    monkeypatch.setattr(Hercules, "fit", no_work)
    monkeypatch.setattr("hercules.data.newsgroups.load_newsgroups", no_work)
    monkeypatch.setattr("hercules.data.inputs.load_corpus", no_work)
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    args = ["run", str(_texts_file(tmp_path))] if command == "run" else ["demo"]
    message = _error([*args, "--out", str(blocker / "run")], RunDirectoryError)
    assert "Cannot write the run to" in message
    assert "file.txt/run" in message


def test_out_holding_a_run_of_other_data_needs_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = _texts_file(tmp_path, TEXTS, "a.txt")
    other = _texts_file(tmp_path, TEXTS[::-1], "b.txt")
    assert (
        runner.invoke(app, ["run", str(first), "--out", str(out), "--levels", "3"]).exit_code == 0
    )
    before = Hercules.load_model(out).corpus_.texts
    message = _error(["run", str(other), "--out", str(out), "--levels", "3"], RunDirectoryError)
    assert "already holds a run of other data (15 items)" in message
    assert "--overwrite" in message
    assert Hercules.load_model(out).corpus_.texts == before  # untouched
    # the same data again is a rerun (resumed from its checkpoint), not a refusal
    again = runner.invoke(app, ["run", str(first), "--out", str(out), "--levels", "2"])
    assert again.exit_code == 0, again.output
    replaced = runner.invoke(
        app, ["run", str(other), "--out", str(out), "--levels", "3", "--overwrite"]
    )
    assert replaced.exit_code == 0, replaced.output
    assert Hercules.load_model(out).corpus_.texts == TEXTS[::-1]


def test_out_holding_titles_edited_by_hand_needs_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "run"
    texts = _texts_file(tmp_path, TEXTS, "a.txt")
    args = ["run", str(texts), "--out", str(out), "--levels", "3"]
    assert runner.invoke(app, args).exit_code == 0
    model = Hercules.load_model(out)
    node = model.tree_.levels[1].ids[0]
    model.set_title(node, "Named by an analyst")
    model.save_model(out)
    # the same data again would rebuild the tree and drop the analyst's title: refused
    message = _error([*args[:-1], "2"], RunDirectoryError)
    assert "1 title(s) edited by hand, which a new run would replace" in message
    assert "--overwrite" in message
    assert "Named by an analyst" in Hercules.load_model(out).tree_.levels[1].titles
    replaced = runner.invoke(app, [*args[:-1], "2", "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert "Named by an analyst" not in Hercules.load_model(out).tree_.levels[1].titles


def test_semicolon_csv_without_column_names_the_columns(tmp_path: Path) -> None:
    table = tmp_path / "data.csv"
    pd.DataFrame({"text": TEXTS, "label": LABELS}).to_csv(table, sep=";", index=False)
    out = tmp_path / "run"
    message = _error(["run", str(table), "--out", str(out)], InputError)
    assert "['text', 'label']" in message
    assert "--column" in message
    ok = runner.invoke(app, ["run", str(table), "--out", str(out), "--column", "text"])
    assert ok.exit_code == 0, ok.output
    assert Hercules.load_model(out).corpus_.texts == TEXTS  # no ";label" leaked in


def test_evaluate_with_bad_label_files(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert runner.invoke(app, ["run", str(_texts_file(tmp_path)), "--out", str(out)]).exit_code == 0
    latin = tmp_path / "labels.txt"
    latin.write_bytes("\n".join(["café"] * 15).encode("latin-1"))
    assert "is not UTF-8" in _error(["evaluate", str(out), "--labels", str(latin)], InputError)
    missing = ["evaluate", str(out), "--labels", "topic", "--source", str(tmp_path / "no.csv")]
    assert "No such file: --source" in _error(missing, InputError)
    table = tmp_path / "truth.csv"
    pd.DataFrame({"topic": LABELS}).to_csv(table, sep=";", index=False)
    ok = runner.invoke(app, ["evaluate", str(out), "--labels", "topic", "--source", str(table)])
    assert ok.exit_code == 0, ok.output


def test_hercules_20ng_pointing_nowhere_is_an_error_in_demo(tmp_path: Path) -> None:
    env = {"HERCULES_20NG": str(tmp_path / "missing.jsonl.gz"), "PYTHONPATH": _pythonpath()}
    proc = subprocess.run(
        [sys.executable, "-m", "hercules.cli", "demo", "--out", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        env=_environ() | env,
    )
    assert proc.returncode == 2
    assert "HERCULES_20NG is set to" in proc.stderr
    assert "Traceback" not in proc.stderr


def _pythonpath() -> str:
    root = Path(__file__).resolve().parents[1]
    return f"{root / 'src'}:{root}"


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)
