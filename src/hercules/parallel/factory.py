"""Choosing an executor by name: ``'local'``, ``'ray'`` or an executor object."""

from __future__ import annotations

from hercules.errors import ParameterError
from hercules.parallel.base import Executor, LocalExecutor
from hercules.params import BACKENDS


def make_executor(backend: str | Executor | None) -> Executor:
    """Resolve ``'local'`` (or ``None``), ``'ray'`` or an :class:`Executor` object."""
    if backend is None or backend == "local":
        return LocalExecutor()
    if backend == "ray":
        from hercules.parallel.ray_backend import RayExecutor

        return RayExecutor()
    if isinstance(backend, Executor) and not isinstance(backend, str):
        return backend
    raise ParameterError(
        f"backend must be one of {BACKENDS} or an executor object (embed, assign, map, "
        f"serve_llm); got {backend!r}."
    )
