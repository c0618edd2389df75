"""Language-model backends behind one small protocol (see :mod:`hercules.llm.base`)."""

from hercules.llm.base import LLM, Completion, LLMError, call, count_tokens, model_id
from hercules.llm.callable import CallableLLM
from hercules.llm.local import LocalLLM
from hercules.llm.models import (
    DEFAULT_MODEL,
    QWEN,
    SMOLLM2,
    default_model_available,
    resolve_model,
)
from hercules.llm.openai_http import OpenAICompatibleLLM
from hercules.llm.plugins import registry
from hercules.llm.providers import Provider, ProviderOptions
from hercules.llm.retry import RetryPolicy

__all__ = [
    "DEFAULT_MODEL",
    "LLM",
    "QWEN",
    "SMOLLM2",
    "CallableLLM",
    "Completion",
    "LLMError",
    "LocalLLM",
    "OpenAICompatibleLLM",
    "Provider",
    "ProviderOptions",
    "RetryPolicy",
    "call",
    "count_tokens",
    "default_model_available",
    "model_id",
    "registry",
    "resolve_model",
]
