"""OpenAI-style chat completion requests and answers, shared by the local and HTTP backends."""

from __future__ import annotations

import json
import logging
from typing import Any

from hercules.llm.base import Completion, LLMError

logger = logging.getLogger(__name__)


def chat_request(
    prompt: str,
    *,
    schema: dict[str, Any] | None,
    max_tokens: int,
    temperature: float,
    **extra: Any,
) -> dict[str, Any]:
    """One user message, optionally constrained to ``schema`` (``response_format``)."""
    request: dict[str, Any] = {
        **extra,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
        "temperature": temperature,
    }
    if schema is not None:
        request["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": schema, "strict": True},
        }
    return request


def parse_chat_response(result: Any, seconds: float, name: str) -> Completion:
    """Read an OpenAI-style chat completion (dict or JSON text) into a :class:`Completion`."""
    if isinstance(result, str | bytes):
        try:
            result = json.loads(result)
        except ValueError as exc:
            raise LLMError(f"{name} answered with non-JSON: {str(result)[:200]!r}") from exc
    if not isinstance(result, dict):
        raise LLMError(f"{name} answered with {type(result).__name__}, expected a JSON object.")
    if "error" in result:
        raise LLMError(f"{name} reported an error: {str(result['error'])[:300]}")
    try:
        choice = result["choices"][0]
        text = choice["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise LLMError(f"{name} answer has no choices[0].message.content: {result!r:.300}") from exc
    usage = result.get("usage") or {}
    if choice.get("finish_reason") == "length":
        logger.info("%s stopped at max_tokens; the answer may be cut off", name)
    return Completion(
        text=str(text or ""),
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        seconds=seconds,
    )
