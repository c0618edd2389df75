"""The CLI end to end on small inputs (real default embedder for the description vectors)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hercules import Hercules
from hercules.cli import app, parse_levels
from tests.fakes import HashingEmbedder, nested_blobs, topic_texts

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "expected"), [("100,20,5", [100, 20, 5]), ("auto", None), (None, None), ("7", [7])]
)
def test_parse_levels(text, expected):
    assert parse_levels(text) == expected


def test_run_show_evaluate_on_a_numeric_table(tmp_path):
    X, blob, _ = nested_blobs()
    table = tmp_path / "points.csv"
    pd.DataFrame(X, columns=["x", "y"]).to_csv(table, index=False)
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(str(b) for b in blob))
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(table), "--levels", "4,2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "L2 #" in result.output
    assert (out / "manifest.json").exists()
    shown = runner.invoke(app, ["show", str(out)])
    assert shown.exit_code == 0
    assert shown.output.count("L1 #") == 4
    evaluated = runner.invoke(app, ["evaluate", str(out), "--labels", str(labels)])
    assert evaluated.exit_code == 0, evaluated.output
    metrics = json.loads(evaluated.output)
    assert metrics[0]["level"] == 1
    assert metrics[0]["ari"] == pytest.approx(1.0)


def test_run_with_precomputed_embeddings(tmp_path):
    texts, labels = topic_texts()
    table = tmp_path / "texts.jsonl"
    pd.DataFrame({"body": texts, "topic": labels}).to_json(table, orient="records", lines=True)
    vectors = tmp_path / "vectors.npy"
    np.save(vectors, HashingEmbedder().embed(texts))
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "run",
            str(table),
            "--column",
            "body",
            "--levels",
            "3",
            "--embeddings",
            str(vectors),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    model = Hercules.load_model(out)
    np.testing.assert_array_equal(model.tree_.levels[0].representation, np.load(vectors))
    evaluated = runner.invoke(
        app, ["evaluate", str(out), "--labels", "topic", "--source", str(table)]
    )
    assert json.loads(evaluated.output)[0]["ari"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "missing-file.csv", "--out", "x"], "No such file"),
        (["show", "no-such-run"], "not a HERCULES run"),
        (["run", "{table}", "--levels", "4,x", "--out", "x"], "comma-separated"),
    ],
    ids=["missing-input", "missing-run", "bad-levels"],
)
def test_errors_are_short_messages_not_tracebacks(tmp_path, args, message):
    import subprocess
    import sys

    table = tmp_path / "t.csv"
    pd.DataFrame({"x": [1.0, 2.0, 3.0]}).to_csv(table, index=False)
    args = [a.replace("{table}", str(table)) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "hercules.cli", *args], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode != 0
    assert message in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr
