"""The filled provider registry: the built-in providers, then every installed plugin.

Both register through the same ``register_providers`` hook (see :mod:`hercules.llm.providers`);
this module is the one place that knows where they come from.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from hercules.llm import default_providers
from hercules.llm.providers import ENTRY_POINT_GROUP, Registry

logger = logging.getLogger(__name__)


def _plugins() -> Iterable[Any]:
    from importlib.metadata import entry_points

    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            yield point.load()
        except Exception as exc:  # one broken plugin must not stop every run
            logger.warning("Cannot load the %s plugin %r: %s", ENTRY_POINT_GROUP, point.name, exc)


_REGISTRY: Registry | None = None


def registry() -> Registry:
    """The registry, filled on first use: the built-ins, then every installed plugin."""
    global _REGISTRY
    if _REGISTRY is None:
        found = Registry()
        for plugin in (default_providers, *_plugins()):
            hook = getattr(plugin, "register_providers", plugin)
            hook(found.register)
        _REGISTRY = found
    return _REGISTRY
