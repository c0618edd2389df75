"""Delimited tables are read by their columns: the delimiter is sniffed, said, or refused."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hercules.cli import app
from hercules.data.inputs import load_corpus, sniff_delimiter, txt_delimiter
from hercules.errors import InputError

TEXTS = [
    "the goalie stopped every shot in the third period",
    "the striker scored twice before half time",
    "a new graphics card renders the scene faster",
    "the compiler rejects the template at line ten",
    "bake the bread until the crust turns brown",
    "whisk the eggs with sugar, then fold in the flour",
]
LABELS = ["sport", "sport", "tech", "tech", "food", "food"]


def _table(path: Path, sep: str, texts: list[str] = TEXTS, labels: list[str] = LABELS) -> Path:
    rows = [f"text{sep}label", *(f"{t}{sep}{lab}" for t, lab in zip(texts, labels, strict=True))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "sep"),
    [
        ("data.csv", ";"),
        ("data.csv", "\t"),
        ("data.csv", "|"),
        ("data.csv", ","),
        ("data.txt", ";"),
        ("data.txt", "\t"),
        ("data.txt", "|"),
    ],
    ids=[
        "csv-semicolon",
        "csv-tab",
        "csv-pipe",
        "csv-comma",
        "txt-semicolon",
        "txt-tab",
        "txt-pipe",
    ],
)
def test_a_delimited_table_is_read_by_its_columns(tmp_path: Path, name: str, sep: str) -> None:
    texts = [t.replace(",", "") for t in TEXTS] if sep == "," else TEXTS
    path = _table(tmp_path / name, sep, texts)
    assert sniff_delimiter(path) == sep
    corpus = load_corpus(path, column="text")
    assert corpus.texts == texts  # the label did not leak into the text
    assert corpus.read_as is not None
    assert "columns: text, label" in corpus.read_as


def test_without_column_two_text_columns_are_refused_by_name(tmp_path: Path) -> None:
    path = _table(tmp_path / "data.csv", ";")
    with pytest.raises(InputError, match=r"columns: \['text', 'label'\].*--column"):
        load_corpus(path)


def test_without_column_a_numeric_label_leaves_the_one_text_column(tmp_path: Path) -> None:
    path = _table(tmp_path / "data.csv", ";", labels=[str(i % 3) for i in range(len(TEXTS))])
    assert load_corpus(path).texts == TEXTS


def test_a_missing_column_names_the_columns_seen(tmp_path: Path) -> None:
    path = _table(tmp_path / "data.csv", ";")
    with pytest.raises(InputError, match=r"Column 'body' not found .*\['text', 'label'\]"):
        load_corpus(path, column="body")


@pytest.mark.parametrize(
    ("sep", "rows", "expected"),
    [
        # commas inside quoted fields of a ';' table
        (
            ";",
            ['"red, green; blue";colours', '"one, two";numbers'],
            ["red, green; blue", "one, two"],
        ),
        # ';' inside quoted fields of a ',' table
        (",", ['"a; b; c",x', '"d; e",y'], ["a; b; c", "d; e"]),
        # a quoted field running over two lines
        (";", ['"first line\nsecond line";x', "plain;y"], ["first line\nsecond line", "plain"]),
    ],
    ids=["semicolon-quoted-commas", "comma-quoted-semicolons", "quoted-newline"],
)
def test_quoted_fields_keep_their_delimiters(
    tmp_path: Path, sep: str, rows: list[str], expected: list[str]
) -> None:
    path = tmp_path / "q.csv"
    path.write_text("\n".join([f"text{sep}label", *rows]) + "\n", encoding="utf-8")
    assert load_corpus(path, column="text").texts == expected


def test_a_header_split_by_semicolons_over_ragged_rows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("text;label\nfine;a\nan unquoted ; inside;b\nok;c\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"delimited by ';' .*\['text', 'label'\].*line 3 has 3"):
        load_corpus(path)


@pytest.mark.parametrize(
    "lines",
    [
        ["a sentence, with commas, here", "another one, also, with commas", "plain"],
        ["only one line; with a semicolon"],
        ["one; two", "no delimiter here"],
    ],
    ids=["commas", "one-line", "uneven"],
)
def test_plain_txt_stays_one_item_per_line(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert txt_delimiter(path) is None
    if len(lines) > 1:
        corpus = load_corpus(path)
        assert corpus.texts == lines
        assert corpus.read_as is None


def test_the_delimiter_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _table(tmp_path / "data.csv", "|")
    with caplog.at_level(logging.INFO, logger="hercules.data.inputs"):
        load_corpus(path, column="text")
    assert "delimited by '|'" in caplog.text


def test_the_cli_says_which_delimiter_it_used(tmp_path: Path) -> None:
    path = _table(tmp_path / "data.csv", ";")
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(path),
            "--column",
            "text",
            "--levels",
            "2",
            "--labeller",
            "keywords",
            "--dry-run",
            "--out",
            str(tmp_path / "run"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "delimited by ';'" in result.output
    assert "columns: text, label" in result.output
