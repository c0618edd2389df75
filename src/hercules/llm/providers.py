"""The provider registry: which :class:`~hercules.llm.LLM` a labeller name stands for.

A provider turns a spec (a name such as ``qwen2.5-coder-1.5b``, a ``.gguf`` path,
``openai:URL#MODEL``, or a callable) and its checked options into an LLM. Providers come from
plugin hooks, the built-in ones included (:mod:`hercules.llm.default_providers`): a plugin is
a module or object with a function

    def register_providers(register):
        register(Provider("my-model", build=..., options=MyOptions))

listed in the ``hercules.providers`` entry-point group of its package::

    [project.entry-points."hercules.providers"]
    my_plugin = "my_package.hercules_plugin"

Options are pydantic models with ``extra="forbid"`` and strict types: a misspelt or mistyped
option is an error that quotes the value, never a silent default. ``labeller="auto"`` is the
first provider of :data:`AUTO` whose model is installed (else keyword titles; see
:mod:`hercules.summarize.choose`). No setting is read from the environment here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from hercules.errors import ParameterError

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "hercules.providers"

# What labeller="auto" tries, in order; the first available wins. The test suite empties it so
# that "auto" means keyword titles there (tests/conftest.py).
AUTO: tuple[str, ...] = ("qwen2.5-coder-1.5b",)


class ProviderOptions(BaseModel):
    """Base of every provider's options: unknown names and wrong types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _always() -> bool:
    return True


@dataclass(frozen=True)
class Provider:
    """``build(spec, options)`` returns the LLM. A provider is found by ``name`` or one of its
    ``aliases``, or, when ``matches`` is given, by ``matches(spec)`` (paths, URLs, callables).
    ``usage`` says how to name it in messages; ``available()`` says whether it can run now
    without installing anything (used by ``auto``)."""

    name: str
    build: Callable[[Any, Any], Any]
    options: type[ProviderOptions] = ProviderOptions
    aliases: tuple[str, ...] = ()
    matches: Callable[[Any], bool] | None = None
    available: Callable[[], bool] = _always
    usage: str = ""
    help: str = ""


class Registry:
    """Providers by name, plus the pattern providers tried in registration order."""

    def __init__(self) -> None:
        self.by_name: dict[str, Provider] = {}
        self.patterns: list[Provider] = []

    def register(self, provider: Provider) -> None:
        keys = [provider.name, *provider.aliases]
        taken = [k for k in keys if k in self.by_name]
        if taken or any(p.name == provider.name for p in self.patterns):
            logger.warning("Provider %r is registered already; keeping the first.", provider.name)
            return
        if provider.matches is not None:
            self.patterns.append(provider)
        else:
            self.by_name.update(dict.fromkeys(keys, provider))

    def providers(self) -> list[Provider]:
        named = list({id(p): p for p in self.by_name.values()}.values())
        return named + self.patterns

    def find(self, spec: Any) -> Provider:
        if isinstance(spec, str) and spec.strip() in self.by_name:
            return self.by_name[spec.strip()]
        for provider in self.patterns:
            if provider.matches is not None and provider.matches(spec):
                return provider
        known = ", ".join(p.usage or repr(p.name) for p in self.providers())
        raise ParameterError(
            f"Unknown labeller {spec!r}; use 'auto', 'keywords' or one of the providers: {known}."
        )

    def options(self, provider: Provider, values: Mapping[str, Any] | None) -> ProviderOptions:
        """``values`` checked against the provider's options model."""
        try:
            return provider.options(**dict(values or {}))
        except ValidationError as exc:
            problems = "; ".join(_problem(e) for e in exc.errors())
            raise ParameterError(
                f"llm_options for provider {provider.name!r}: {problems}. Its options: "
                f"{describe_options(provider.options)}."
            ) from None

    def build(self, spec: Any, values: Mapping[str, Any] | None = None) -> Any:
        """The LLM for ``spec`` with its options ``values`` (a dict such as {'threads': 2})."""
        provider = self.find(spec)
        return provider.build(spec, self.options(provider, values))

    def auto(self) -> str | None:
        """The first name in :data:`AUTO` whose provider is available, else ``None``."""
        for name in AUTO:
            provider = self.by_name.get(name)
            if provider is not None and provider.available():
                return name
        return None


def _problem(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "options"
    if error["type"] == "extra_forbidden":
        return f"{where!r} is not an option (got {error['input']!r})"
    return f"{where!r}: {error['msg'].lower()}, got {error['input']!r}"


def describe_options(options: type[ProviderOptions]) -> str:
    fields = options.model_fields
    if not fields:
        return "none"
    return ", ".join(
        f"{name} ({field.description or field.annotation}; default {field.default!r})"
        for name, field in fields.items()
    )
