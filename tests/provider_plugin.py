"""A third-party provider plugin as a package would ship it (entry point ``hercules.providers``).

``tests/test_providers.py`` loads it through a stand-in entry point: the registry finds it the
way it finds an installed plugin, next to the built-ins registered by the same hook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field

from hercules.llm.providers import Provider, ProviderOptions
from tests.llm_fakes import ScriptedLLM

BUILT: list[Any] = []  # the options of every LLM this plugin built


class EchoOptions(ProviderOptions):
    threads: int = Field(1, ge=1, description="pretend CPU threads")
    prefix: str = Field("", description="put before every title")


def _build(spec: Any, options: EchoOptions) -> ScriptedLLM:
    BUILT.append(options)
    llm = ScriptedLLM(title_prefix=options.prefix)
    llm.model_id = f"echo:{options.prefix}"
    return llm


def register_providers(register: Callable[[Provider], None]) -> None:
    register(Provider("echo", _build, EchoOptions, usage="'echo'", help="scripted test titles"))
