"""The package's layering (docs/architecture.md), checked on every test run by the
import-linter contracts in pyproject.toml: the core never imports the app or the CLI, and no
import circle anywhere (at every level of the package, sibling modules import one way)."""

from __future__ import annotations

import logging
import pkgutil
import tomllib
from pathlib import Path

import pytest

import hercules

ROOT = Path(__file__).resolve().parents[1]
FRONT_ENDS = {"hercules.app", "hercules.cli", "hercules.cli_explorer"}


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def test_import_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    # The library entry point, not importlinter.cli.lint_imports: that one also reconfigures
    # logging (dictConfig disables every existing logger), which would mute later tests.
    from importlinter import configuration
    from importlinter.application.use_cases import lint_imports

    watched = logging.getLogger("hercules.store.checkpoint")
    configuration.configure()
    kept = lint_imports(config_filename=str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True)
    report = capsys.readouterr().out
    assert kept, report
    assert "2 kept, 0 broken" in report
    assert not watched.disabled  # the library's logging still reaches caplog and handlers


def test_every_core_module_is_under_the_front_end_contract() -> None:
    """A new module of the core must be listed, or the contract would not look at it."""
    modules = {f"hercules.{m.name}" for m in pkgutil.iter_modules(hercules.__path__)}
    contract = _contracts()["core-below-front-ends"]
    assert set(contract["forbidden_modules"]) == FRONT_ENDS
    assert set(contract["source_modules"]) == modules - FRONT_ENDS
