"""The suite itself: a hung test fails instead of hanging CI."""

from __future__ import annotations

import pytest


def test_every_test_has_a_timeout(pytestconfig: pytest.Config) -> None:
    # getini raises ValueError for an unknown option: pytest-timeout must be installed
    assert float(pytestconfig.getini("timeout")) >= 300
