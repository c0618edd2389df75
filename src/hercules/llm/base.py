"""The LLM protocol: one required method, capability flags, and a timed call record.

A backend implements ``complete(prompt, *, schema, max_tokens) -> str``. Optional extras are
discovered with ``getattr`` (never by sniffing type names):

* ``supports_schema`` (class flag): the backend constrains decoding to a JSON schema, so its
  answers always parse. Without it, callers strip fences and repair.
* ``supports_patterns`` (class flag): its schema decoding also honours string ``pattern``s
  (llama.cpp's llguidance path does; its GBNF conversion of ``response_format`` does not).
* ``model_id``: a stable name for caching; ``count_tokens(text)``: the model's own tokenizer.
* ``complete_with_usage(...) -> Completion``: the answer with the model's token counts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class LLM(Protocol):
    """One required method: answer a prompt, optionally constrained to a JSON schema."""

    def complete(
        self, prompt: str, *, schema: dict[str, Any] | None = None, max_tokens: int = 256
    ) -> str: ...


class LLMError(RuntimeError):
    """A backend call failed (transport error, timeout, server error); it may be retried."""


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    seconds: float


def model_id(llm: Any) -> str:
    """The backend's ``model_id``, or its class name when it has none."""
    return str(getattr(llm, "model_id", None) or type(llm).__name__)


def supports_schema(llm: Any) -> bool:
    return bool(getattr(llm, "supports_schema", False))


def supports_patterns(llm: Any) -> bool:
    return supports_schema(llm) and bool(getattr(llm, "supports_patterns", False))


def count_tokens(llm: Any, text: str) -> int | None:
    """Tokens of ``text`` by the model's own tokenizer, or ``None`` if it exposes none."""
    counter = getattr(llm, "count_tokens", None)
    if counter is None:
        return None
    return int(counter(text))


def call(llm: Any, prompt: str, *, schema: dict[str, Any] | None, max_tokens: int) -> Completion:
    """Run one completion, with token counts when the backend reports them."""
    detailed = getattr(llm, "complete_with_usage", None)
    if detailed is not None:
        result = detailed(prompt, schema=schema, max_tokens=max_tokens)
        assert isinstance(result, Completion)
        return result
    start = time.perf_counter()
    text = llm.complete(prompt, schema=schema, max_tokens=max_tokens)
    seconds = time.perf_counter() - start
    if not isinstance(text, str):
        raise LLMError(f"{model_id(llm)} returned {type(text).__name__}, expected str.")
    return Completion(text, count_tokens(llm, prompt), count_tokens(llm, text), seconds)
