"""The built-in providers, registered through the same hook a plugin uses.

* ``qwen2.5-coder-1.5b`` (alias ``llm``) and ``smollm2-135m`` (alias ``smollm2``): pinned local
  GGUF models (:mod:`hercules.llm.models`), run in-process by :class:`~hercules.llm.LocalLLM`.
* any path ending in ``.gguf``: that model file, run the same way.
* ``openai:URL#MODEL``: an OpenAI-compatible server (:class:`~hercules.llm.OpenAICompatibleLLM`).
* a callable ``prompt -> text`` (``llm_client=``): :class:`~hercules.llm.CallableLLM`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field

from hercules.errors import ParameterError
from hercules.llm.providers import Provider, ProviderOptions

# llama.cpp slots (requests decoded together). bench/results/llm_slots.json, 12 summary prompts
# of the current format, 2 threads, alone on the machine: 61.9 s with 1 slot, 59.3 with 2, 57.8
# with 3, 55.7 with 4. On this CPU reading the prompt saturates both cores with one sequence;
# more slots mostly batch the writing. Each call takes ~4x as long with 4 slots and the KV
# cache is 4 x 4,096 tokens (~0.5 GB).
DEFAULT_PARALLEL = 4
OPENAI_PREFIX = "openai:"


class LocalOptions(ProviderOptions):
    threads: int | None = Field(
        None, ge=1, description="CPU threads; None: every core this process may use"
    )
    context: int = Field(4096, ge=512, description="context window of each slot, in tokens")
    parallel: int = Field(
        DEFAULT_PARALLEL, ge=1, le=16, description="requests decoded together (llama.cpp slots)"
    )


class OpenAIOptions(ProviderOptions):
    timeout: float = Field(120.0, gt=0, description="seconds to wait for one HTTP answer")
    parallel: int = Field(4, ge=1, le=64, description="calls sent at once")
    api_key_env: str | None = Field(
        "OPENAI_API_KEY", description="environment variable holding the API key; None: no key"
    )
    supports_schema: bool = Field(
        True, description="the server honours JSON-schema response formats"
    )


def _local(spec: Any, options: LocalOptions) -> Any:
    from hercules.llm.local import LocalLLM
    from hercules.llm.models import DEFAULT_MODEL

    model = DEFAULT_MODEL if spec == "llm" else str(spec).strip()
    return LocalLLM(
        model, threads=options.threads, context=options.context, parallel=options.parallel
    )


def _is_gguf(spec: Any) -> bool:
    return isinstance(spec, str) and spec.strip().lower().endswith(".gguf")


def _is_openai(spec: Any) -> bool:
    return isinstance(spec, str) and spec.startswith(OPENAI_PREFIX)


def parse_openai(spec: str) -> tuple[str, str]:
    """``openai:URL#MODEL`` -> ``(URL, MODEL)``; ParameterError naming the spec otherwise."""
    url, _, model = spec[len(OPENAI_PREFIX) :].rpartition("#")
    if not url or not model.strip() or any(ch.isspace() for ch in model.strip()):
        raise ParameterError(
            f"An OpenAI-compatible labeller is written openai:URL#MODEL, e.g. "
            f"'openai:http://localhost:8080/v1#qwen2.5-7b-instruct'; got {spec!r}."
        )
    return url.strip(), model.strip()


def _openai(spec: str, options: OpenAIOptions) -> Any:
    from hercules.llm.openai_http import OpenAICompatibleLLM

    url, model = parse_openai(spec)
    return OpenAICompatibleLLM(
        url,
        model,
        api_key_env=options.api_key_env,
        supports_schema=options.supports_schema,
        timeout=options.timeout,
        max_concurrency=options.parallel,
    )


def _callable(spec: Callable[[str], str], _options: ProviderOptions) -> Any:
    from hercules.llm.callable import CallableLLM

    return CallableLLM(spec)


def _qwen_available() -> bool:
    from hercules.llm.models import default_model_available

    return default_model_available()


def register_providers(register: Callable[[Provider], None]) -> None:
    from hercules.llm.models import QWEN, SMOLLM2

    register(
        Provider(
            QWEN,
            _local,
            LocalOptions,
            aliases=("llm",),
            available=_qwen_available,
            usage=f"{QWEN!r} (alias 'llm')",
            help="Qwen2.5-Coder-1.5B Q4_K_M, the default local model (llm extra)",
        )
    )
    register(
        Provider(
            SMOLLM2,
            _local,
            LocalOptions,
            aliases=("smollm2",),
            usage=f"{SMOLLM2!r}",
            help="SmolLM2-135M: fast and poor, for plumbing tests",
        )
    )
    register(
        Provider("gguf", _local, LocalOptions, matches=_is_gguf, usage="a path to a .gguf file")
    )
    register(
        Provider(
            "openai",
            _openai,
            OpenAIOptions,
            matches=_is_openai,
            usage="'openai:URL#MODEL'",
            help="any OpenAI-compatible chat completions server",
        )
    )
    register(
        Provider(
            "callable",
            _callable,
            matches=callable,
            usage="a function prompt -> text (llm_client=)",
        )
    )
