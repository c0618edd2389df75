"""The paper's client signature, ``llm_client(prompt) -> str``, as an :class:`LLM`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from hercules.errors import ParameterError


class CallableLLM:
    """Wraps a plain function. It cannot be schema-constrained, so answers are parsed leniently.

    When a schema is asked for, the prompt already describes the JSON wanted; the function only
    sees the prompt text. A function that names a ``max_tokens`` parameter
    (``llm_client(prompt, max_tokens=4096)``) also gets each call's answer budget: with no
    schema to end the answer, a local model can otherwise run on to its server's cap (one such
    answer took 11 minutes in ``bench/results/pyhercules.json``).
    """

    supports_schema = False

    def __init__(self, client: Callable[..., str], *, model_id: str | None = None) -> None:
        if not callable(client):
            raise ParameterError(f"llm_client must be callable, got {type(client).__name__}.")
        self.client = client
        self.passes_max_tokens = takes_max_tokens(client)
        name = getattr(client, "__qualname__", type(client).__name__)
        self.model_id = model_id or f"callable:{getattr(client, '__module__', '')}.{name}"

    def complete(
        self, prompt: str, *, schema: dict[str, Any] | None = None, max_tokens: int = 256
    ) -> str:
        if self.passes_max_tokens:
            return self.client(prompt, max_tokens=max_tokens)
        return self.client(prompt)


def takes_max_tokens(client: Callable[..., Any]) -> bool:
    """True when ``client`` has a parameter named ``max_tokens`` that can be passed by keyword.

    Only an explicit name counts: a ``**kwargs`` function may forward keywords somewhere that
    does not expect this one.
    """
    try:
        parameters = inspect.signature(client).parameters
    except (TypeError, ValueError):  # some builtins and C extensions have no signature
        return False
    parameter = parameters.get("max_tokens")
    return parameter is not None and parameter.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )
