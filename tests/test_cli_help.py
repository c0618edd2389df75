"""Every --help text explains itself: all commands listed, defaults shown, no markup leaks."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from hercules.cli import app

runner = CliRunner()
COMMANDS = (
    "run",
    "evaluate",
    "show",
    "assign",
    "relabel",
    "edit",
    "demo",
    "serve",
    "app",
    "report",
    "map",
)


def _help(*args: str) -> str:
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # unwrap the lines: phrases may wrap anywhere


def _params(name: str) -> list:
    command = typer.main.get_command(app).commands[name]
    return [p for p in command.params if p.param_type_name == "option"]


def test_top_level_help_lists_every_command_and_how_to_start():
    text = _help()
    assert "``" not in text  # no reStructuredText quoting
    assert "<bool>" not in text
    assert set(typer.main.get_command(app).commands) == set(COMMANDS)
    for name in COMMANDS:
        assert f" {name} " in text, name
    assert "hercules demo" in text
    assert "hercules run FILE --out runs/mine" in text
    assert 'Run "hercules COMMAND --help"' in text


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help_shows_every_option_with_its_default(name):
    text = _help(name)
    assert "``" not in text
    assert "<bool>" not in text  # flags take no value
    for option in _params(name):
        long = max(option.opts, key=len)
        assert long in text, long
        assert option.help, f"{name} {long} has no help text"
        if not option.is_flag and option.default is not None:
            assert f"[default: {option.default}]" in text, long
        if option.is_flag and not option.secondary_opts:
            assert option.default is False, f"{long}: a one-way flag must default to off"


def test_run_help_explains_levels_auto_mode_and_cleaning():
    text = _help("run")
    assert "--levels K,K,...|auto" in text
    assert "[default: auto]" in text
    assert "auto (the default) picks k at every level" in text
    assert "100,20,5 groups the items into 100 clusters, those into 20, those into 5" in text
    assert "direct = the mean vectors of the clusters' items" in text
    assert "description = embeddings of the clusters' written titles" in text
    assert "--clean-email" in text
    assert "quoted replies and signatures" in text
    assert "Off by default" in text


def test_demo_help_says_where_the_corpus_comes_from():
    text = _help("demo")
    assert "../shared/data" in text
    assert "$HERCULES_20NG" in text
    assert "[default: 40,10,4]" in text


@pytest.mark.parametrize("name", ["serve", "app", "report"])
def test_explorer_commands_name_their_extra(name):
    assert "(app extra)" in _help(name)
