"""The paper's client signature, ``llm_client(prompt) -> str``, as an :class:`LLM`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hercules.errors import ParameterError


class CallableLLM:
    """Wraps a plain function. It cannot be schema-constrained, so answers are parsed leniently.

    When a schema is asked for, the prompt already describes the JSON wanted; the function only
    sees the prompt text.
    """

    supports_schema = False

    def __init__(self, client: Callable[[str], str], *, model_id: str | None = None) -> None:
        if not callable(client):
            raise ParameterError(f"llm_client must be callable, got {type(client).__name__}.")
        self.client = client
        name = getattr(client, "__qualname__", type(client).__name__)
        self.model_id = model_id or f"callable:{getattr(client, '__module__', '')}.{name}"

    def complete(
        self, prompt: str, *, schema: dict[str, Any] | None = None, max_tokens: int = 256
    ) -> str:
        return self.client(prompt)
