"""Text embeddings from any OpenAI-compatible ``/embeddings`` endpoint (vLLM, Ollama, llama-server,
text-embeddings-inference, OpenAI, ...).

Standard library HTTP only. The API key is read from an environment variable, never stored.
"""

from __future__ import annotations

import functools
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from hercules.errors import HerculesError, ParameterError
from hercules.llm.retry import RetryPolicy


class EmbeddingServerError(HerculesError):
    """The embeddings server could not be reached or gave an unusable answer."""


class _Permanent(EmbeddingServerError):
    """An answer that retrying cannot change (HTTP 4xx, malformed JSON)."""


def check_base_url(base_url: Any, what: str = "base_url") -> str:
    """``base_url`` without its trailing slash; ParameterError quoting it when it is not http(s)."""
    text = str(base_url or "").strip()
    parsed = urllib.parse.urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ParameterError(
            f"{what} must be an http:// or https:// URL with a host, such as "
            f"http://localhost:8080/v1; got {base_url!r}."
        )
    return text.rstrip("/")


class OpenAIEmbedder:
    """POSTs batches to ``{base_url}/embeddings``; ``base_url`` usually ends in ``/v1``.

    Satisfies :class:`~hercules.embed.Embedder`: ``embed(texts)`` returns a float32 array with one
    row per text, in input order. ``batch_size`` texts go in one request; connection errors and
    HTTP 5xx/429 are retried with ``retry``, other HTTP errors are raised at once.
    ``progress(done, total)`` is called after every batch.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = "OPENAI_API_KEY",
        batch_size: int = 64,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        if not isinstance(model, str) or not model.strip():
            raise ParameterError(
                f"model must name the server's embedding model (e.g. 'nomic-embed-text'); "
                f"got {model!r}."
            )
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ParameterError(f"batch_size must be an int >= 1; got {batch_size!r}.")
        self.model = model.strip()
        self.api_key_env = api_key_env
        self.batch_size = batch_size
        self.timeout = timeout
        self.retry = retry if retry is not None else RetryPolicy()
        self.progress = progress
        self.model_id = f"openai-embed:{self.base_url}:{self.model}"

    def embed(self, items: Sequence[Any]) -> np.ndarray:
        texts = [str(t) for t in items]
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        parts: list[np.ndarray] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            parts.append(
                self.retry.run(
                    functools.partial(self._request, batch),
                    retry_on=(EmbeddingServerError,),
                    give_up_on=(_Permanent,),
                    what=f"embeddings request to {self.base_url}",
                )
            )
            if self.progress is not None:
                self.progress(min(start + len(batch), len(texts)), len(texts))
        dims = {p.shape[1] for p in parts}
        if len(dims) > 1:
            raise EmbeddingServerError(
                f"{self.base_url} returned vectors of different lengths {sorted(dims)} for "
                f"model {self.model!r}; check that one model serves every request."
            )
        return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _request(self, batch: list[str]) -> np.ndarray:
        request = urllib.request.Request(
            self.base_url + "/embeddings",
            data=json.dumps({"model": self.model, "input": batch}).encode(),
            headers=self._headers(),
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode(errors="replace")
            hint = f" Set the API key in ${self.api_key_env}." if exc.code in (401, 403) else ""
            kind = EmbeddingServerError if exc.code >= 500 or exc.code == 429 else _Permanent
            raise kind(
                f"{self.base_url}/embeddings answered HTTP {exc.code}: {detail}.{hint}"
            ) from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise EmbeddingServerError(f"Cannot reach {self.base_url}: {exc}") from exc
        return self._parse(raw, len(batch))

    def _parse(self, raw: bytes, n: int) -> np.ndarray:
        try:
            answer = json.loads(raw)
            rows = sorted(answer["data"], key=lambda row: int(row["index"]))
            vectors = np.asarray([row["embedding"] for row in rows], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as exc:
            raise _Permanent(
                f"{self.base_url}/embeddings answer is not an OpenAI embeddings response "
                f"(want {{'data': [{{'index': i, 'embedding': [...]}}]}}): {raw[:200]!r}"
            ) from exc
        if vectors.ndim != 2 or vectors.shape[0] != n or vectors.shape[1] == 0:
            raise _Permanent(
                f"{self.base_url}/embeddings returned shape {vectors.shape} for {n} inputs; "
                f"expected ({n}, dim)."
            )
        if not np.isfinite(vectors).all():
            raise _Permanent(f"{self.base_url}/embeddings returned NaN or inf values.")
        return vectors
