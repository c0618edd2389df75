"""Any OpenAI-compatible chat completions server (vLLM, Ollama, llama-server, OpenAI, ...).

Standard library HTTP only. The key is read from an environment variable, never stored.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

from hercules.errors import ParameterError
from hercules.llm.base import Completion, LLMError
from hercules.llm.chat import chat_request, parse_chat_response


class OpenAICompatibleLLM:
    """POSTs to ``{base_url}/chat/completions``; ``base_url`` usually ends in ``/v1``.

    ``supports_schema`` says whether the server honours ``response_format`` JSON schemas
    (OpenAI, vLLM and llama.cpp do); without it answers are parsed leniently.
    ``max_concurrency`` is a hint for how many calls may run at once.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = "OPENAI_API_KEY",
        supports_schema: bool = True,
        timeout: float = 120.0,
        temperature: float = 0.0,
        max_concurrency: int = 4,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ParameterError(
                f"base_url must start with http:// or https://; got {base_url!r} "
                "(e.g. http://localhost:8080/v1)."
            )
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key_env = api_key_env
        self.supports_schema = supports_schema
        self.timeout = timeout
        self.temperature = temperature
        self.max_concurrency = max_concurrency
        self.model_id = f"openai:{self.base_url}:{model}:t{temperature}"

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def complete(
        self, prompt: str, *, schema: dict[str, Any] | None = None, max_tokens: int = 256
    ) -> str:
        return self.complete_with_usage(prompt, schema=schema, max_tokens=max_tokens).text

    def complete_with_usage(
        self, prompt: str, *, schema: dict[str, Any] | None = None, max_tokens: int = 256
    ) -> Completion:
        body = chat_request(
            prompt,
            schema=schema if self.supports_schema else None,
            max_tokens=max_tokens,
            temperature=self.temperature,
            model=self.model,
        )
        request = urllib.request.Request(
            self.base_url + "/chat/completions",
            data=json.dumps(body).encode(),
            headers=self._headers(),
        )
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode(errors="replace")
            hint = ""
            if exc.code in (401, 403):
                hint = f" Set the API key in ${self.api_key_env}."
            raise LLMError(f"{self.base_url} answered HTTP {exc.code}: {detail}.{hint}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise LLMError(f"Cannot reach {self.base_url}: {exc}") from exc
        return parse_chat_response(raw, time.perf_counter() - start, self.model_id)
