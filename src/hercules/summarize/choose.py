"""The one place where the labeller is chosen: a summarizer, an LLM client or a labeller name.

In order: a ``summarizer`` given by the caller is used as it is; else ``llm_client`` (a
function prompt -> text); else ``labeller``: ``"keywords"`` (c-TF-IDF titles, no model),
``"auto"`` (the first installed model of :data:`hercules.llm.providers.AUTO`, else keywords) or
any provider spec of :mod:`hercules.llm.providers` (``"llm"``, a model name, a ``.gguf`` path,
``"openai:URL#MODEL"``, a plugin's name), built with ``llm_options`` (e.g. ``{"threads": 2}``).
Nothing here reads the environment: every setting arrives as an argument.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from hercules.errors import ParameterError
from hercules.llm.default_providers import DEFAULT_PARALLEL as DEFAULT_PARALLEL
from hercules.llm.plugins import registry
from hercules.summarize.base import Summarizer
from hercules.summarize.keywords import KeywordSummarizer

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 1  # chosen from bench/results/llm_batch.json


def resolve_summarizer(
    labeller: Any = "auto",
    *,
    summarizer: Any = None,
    llm_client: Callable[[str], str] | None = None,
    llm_options: Mapping[str, Any] | None = None,
    cache: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    timeout: float | None = None,
) -> Summarizer:
    """The summarizer that writes the titles; ``timeout`` bounds each LLM call in seconds."""
    if summarizer is not None:
        if not hasattr(summarizer, "summarize_level"):
            raise ParameterError(
                f"summarizer must have a summarize_level(request) method; got "
                f"{type(summarizer).__name__}."
            )
        return summarizer
    spec: Any = llm_client if llm_client is not None else labeller
    if isinstance(spec, str) and spec.strip() == "auto":
        spec = registry().auto()
        if spec is None:
            logger.info(
                "No local LLM available (pip install 'hercules-cluster[llm]'); "
                "using keyword titles."
            )
            return KeywordSummarizer()
    if isinstance(spec, str) and spec.strip() == "keywords":
        return KeywordSummarizer()
    llm = registry().build(spec, llm_options)
    from hercules.cache import Cache
    from hercules.summarize.llm import LLMSummarizer

    return LLMSummarizer(
        llm, cache=Cache() if cache else None, batch_size=batch_size, timeout=timeout
    )
