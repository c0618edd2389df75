"""Exceptions raised to users. Every message names the bad value and how to fix it."""

from __future__ import annotations

from typing import Any


class HerculesError(Exception):
    """Base class for every error HERCULES raises on purpose."""


class InputError(HerculesError, ValueError):
    """The data handed to HERCULES cannot be used as given."""


class ParameterError(HerculesError, ValueError):
    """A constructor or call parameter is out of its allowed range."""


class MissingDependencyError(HerculesError, ImportError):
    """An optional backend was asked for but its package is not installed."""

    def __init__(self, what: str, pip_spec: str) -> None:
        super().__init__(
            f"{what} needs an optional package that is not installed. "
            f"Install it with: pip install '{pip_spec}'"
        )
        self.pip_spec = pip_spec


class EmbeddingError(HerculesError, RuntimeError):
    """A user-given embedding client raised; the message names the client and the batch."""


class CacheError(HerculesError, OSError):
    """The answer/embedding cache file cannot be opened or created."""


class RunDirectoryError(HerculesError, OSError):
    """A saved run directory is missing, foreign or damaged."""


def require(module: str, what: str, pip_spec: str) -> Any:
    """Import ``module`` lazily, turning ImportError into an install hint."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(what, pip_spec) from exc
