"""Local GGUF models through ``xllamacpp`` (prebuilt llama.cpp wheels), JSON-schema constrained.

Generation on a small CPU is the bottleneck of a run. ``threads=None`` (the default) uses every
core this process may run on; on a machine shared with other busy processes give fewer
(``--llm-threads``): two busy processes sharing two cores slow generation down more than
twentyfold. ``parallel`` slots let llama.cpp batch that many requests at once (continuous
batching); :class:`~hercules.summarize.llm.LLMSummarizer` then sends as many calls at a time
(``max_concurrency``). Every request asks for ``cache_prompt``, so the prompt prefix a slot
already holds (the chat template and the shared instructions) is not computed again.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.request
from typing import Any

from hercules.cores import available_cores
from hercules.errors import ParameterError, require
from hercules.llm.base import Completion
from hercules.llm.chat import chat_request, parse_chat_response
from hercules.llm.models import DEFAULT_MODEL, resolve_model

logger = logging.getLogger(__name__)

XLLAMACPP_PIP = "xllamacpp==2026.10.11549"
# Wall-time speed-up of ``parallel`` slots over one, 12 summary prompts on 2 threads, alone on
# the machine (bench/results/llm_slots.json): on a small CPU one sequence already keeps the
# cores busy reading its prompt, and slots batch only the writing. Measure alone on the
# machine: other work beside it slows one slot most and inflates these factors.
SLOT_SPEEDUP = {1: 1.0, 2: 1.04, 3: 1.07, 4: 1.11}


class LocalLLM:
    """A GGUF model run in-process. ``model`` is a known name or a ``.gguf`` path.

    Decoding is greedy (temperature 0) with a fixed seed, so with one slot the same prompt
    gives the same answer. With ``parallel`` > 1, sequences decoded in one batch can round
    differently, so an uncached rerun may word a few answers differently; the call cache keeps
    reruns and checkpoint resumes exact either way.
    """

    supports_schema = True
    supports_patterns = True  # through the llguidance grammar (see _grammar)

    def __init__(
        self,
        model: str | os.PathLike[str] = DEFAULT_MODEL,
        *,
        threads: int | None = None,
        context: int = 4096,
        parallel: int = 1,
        temperature: float = 0.0,
        seed: int = 42,
    ) -> None:
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise ParameterError(
                f"threads must be None (all cores) or an int >= 1; got {threads!r}."
            )
        if not isinstance(parallel, int) or not 1 <= parallel <= 16:
            raise ParameterError(f"parallel must be an int from 1 to 16; got {parallel!r}.")
        if not isinstance(context, int) or context < 512:
            raise ParameterError(f"context must be an int >= 512 tokens; got {context!r}.")
        self.spec = resolve_model(model)
        self.threads = threads if threads is not None else available_cores()
        self.context = context
        self.parallel = parallel
        self.max_concurrency = parallel
        # What the dry run's estimate assumes for overlapping calls (hercules.summarize.speed).
        self.concurrency_speedup = SLOT_SPEEDUP.get(parallel, max(SLOT_SPEEDUP.values()))
        self.temperature = temperature
        self.seed = seed
        self.model_id = f"gguf:{self.spec.name}:t{temperature}:s{seed}"
        self._server: Any = None
        self._xl: Any = None
        self._grammars: dict[str, str] = {}
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._server is None:
            xl = require("xllamacpp", "The local LLM backend", XLLAMACPP_PIP)
            self._xl = xl
            params = xl.CommonParams()
            params.model.path = str(self.spec.path)
            params.n_ctx = self.context * self.parallel  # split evenly between the slots
            params.n_parallel = self.parallel
            params.cont_batching = True
            params.cache_prompt = True
            params.cpuparams.n_threads = self.threads
            params.cpuparams_batch.n_threads = self.threads
            params.verbosity = -1
            start = time.perf_counter()
            self._server = xl.Server(params)
            logger.info(
                "Loaded %s in %.1fs (%d threads, %d slots)",
                self.spec.path,
                time.perf_counter() - start,
                self.threads,
                self.parallel,
            )
        return self._server

    @property
    def address(self) -> str:
        """The model's own OpenAI-compatible HTTP endpoint (``http://127.0.0.1:PORT``)."""
        return str(self._load().listening_address)

    def count_tokens(self, text: str) -> int:
        body = json.dumps({"content": text}).encode()
        request = urllib.request.Request(
            self.address + "/tokenize", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return len(json.loads(response.read())["tokens"])

    def complete(
        self, prompt: str, *, schema: dict[str, Any] | None = None, max_tokens: int = 256
    ) -> str:
        return self.complete_with_usage(prompt, schema=schema, max_tokens=max_tokens).text

    def complete_with_usage(
        self, prompt: str, *, schema: dict[str, Any] | None = None, max_tokens: int = 256
    ) -> Completion:
        with self._lock:
            server = self._load()
        grammar = self._grammar(schema)
        request = chat_request(
            prompt,
            schema=None if grammar else _without_patterns(schema),
            max_tokens=max_tokens,
            temperature=self.temperature,
            seed=self.seed,
            cache_prompt=True,
            **({"grammar": grammar} if grammar else {}),
        )
        # The server queues requests itself: with several slots, concurrent calls are batched.
        if self.parallel == 1:
            with self._lock:
                start = time.perf_counter()
                result = server.handle_chat_completions(request)
        else:
            start = time.perf_counter()
            result = server.handle_chat_completions(request)
        seconds = time.perf_counter() - start
        return parse_chat_response(result, seconds, self.model_id)

    def _grammar(self, schema: dict[str, Any] | None) -> str | None:
        """The schema as an llguidance grammar for compact JSON, or None to send it as is.

        The server's own ``response_format`` conversion allows newlines and indentation, which
        the model then generates, and drops ``pattern`` constraints; the llguidance grammar
        honours both, so the model writes compact JSON and fewer tokens per cluster.
        """
        if schema is None:
            return None
        text = json.dumps({"x-guidance": {"whitespace_flexible": False}, **schema})
        if text not in self._grammars:
            try:
                grammar = str(self._xl.json_schema_to_grammar(text))
            except Exception as exc:  # an older wheel: fall back to response_format
                logger.info("llguidance grammar unavailable (%s); sending the JSON schema", exc)
                grammar = ""
            self._grammars[text] = grammar if grammar.startswith("%llguidance") else ""
        return self._grammars[text] or None

    def close(self) -> None:
        with self._lock:
            self._server = None


def _without_patterns(schema: Any) -> Any:
    """``schema`` minus string ``pattern``s, which the server's GBNF conversion mishandles."""
    if isinstance(schema, dict):
        return {k: _without_patterns(v) for k, v in schema.items() if k != "pattern"}
    if isinstance(schema, list):
        return [_without_patterns(v) for v in schema]
    return schema
