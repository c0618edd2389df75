"""Pick the labeller: the local LLM when its model is available, keyword titles otherwise.

``labeller`` is ``"auto"`` (the default), ``"llm"`` (the default local model, an error if it is
missing), ``"keywords"``, or a local model name / ``.gguf`` path. ``$HERCULES_LABELLER`` replaces
``"auto"`` (the test suite sets it to ``keywords``); ``$HERCULES_LLM_THREADS`` sets the threads of
the local model (default: every core this process may use; give fewer on a shared machine).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from hercules.errors import ParameterError
from hercules.summarize.base import Summarizer
from hercules.summarize.keywords import KeywordSummarizer

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 1  # chosen from bench/results/llm_batch.json
# llama.cpp slots (requests decoded together). bench/results/llm_slots.json, 6 summary prompts,
# 2 threads: 9.1 tokens/s with 1 slot, 16.2 with 2 (1.78x), 18.5 with 4 (2.03x) on a busy
# machine; 4 slots double each call's latency and the KV memory for 14% more than 2.
DEFAULT_PARALLEL = 2


def resolve_labeller(
    labeller: str,
    *,
    llm_client: Callable[[str], str] | None = None,
    cache: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    timeout: float | None = None,
) -> Summarizer:
    """The summarizer for ``labeller``; ``timeout`` bounds each LLM call in seconds."""
    from hercules.cache import Cache
    from hercules.summarize.llm import LLMSummarizer

    if not isinstance(labeller, str) or not labeller:
        raise ParameterError(
            f"labeller must be 'auto', 'llm', 'keywords', a model name or a .gguf path; "
            f"got {labeller!r}."
        )
    store = Cache() if cache else None
    if llm_client is not None:
        from hercules.llm.callable import CallableLLM

        return LLMSummarizer(
            CallableLLM(llm_client), cache=store, batch_size=batch_size, timeout=timeout
        )
    choice = labeller
    if choice == "auto":
        choice = os.environ.get("HERCULES_LABELLER", "auto") or "auto"
    if choice == "keywords":
        return KeywordSummarizer()
    from hercules.llm.local import LocalLLM
    from hercules.llm.models import DEFAULT_MODEL, default_model_available

    if choice == "auto":
        if not default_model_available():
            logger.info(
                "No local LLM available (pip install 'hercules-cluster[llm]'); "
                "using keyword titles."
            )
            return KeywordSummarizer()
        choice = DEFAULT_MODEL
    if choice == "llm":
        choice = DEFAULT_MODEL
    llm: Any = LocalLLM(choice, threads=_threads(), parallel=DEFAULT_PARALLEL)
    return LLMSummarizer(llm, cache=store, batch_size=batch_size, timeout=timeout)


def _threads() -> int | None:
    text = os.environ.get("HERCULES_LLM_THREADS", "")
    if not text:
        return None  # every core
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ParameterError(f"HERCULES_LLM_THREADS must be an int >= 1; got {text!r}.")
    return value
