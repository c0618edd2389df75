"""Declared parameter constraints for :class:`~hercules.Hercules`, checked in one place."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Integral, Real
from typing import Any

from hercules.errors import ParameterError

MODES = ("direct", "description")
ENGINES = ("auto", "sklearn", "faiss")


def _int_at_least(low: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, Integral) and not isinstance(v, bool) and int(v) >= low


def _counts(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        return False
    return all(_int_at_least(1)(v) for v in value)


CONSTRAINTS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "level_cluster_counts": (_counts, "None (automatic) or a non-empty list of ints >= 1"),
    "representation_mode": (lambda v: v in MODES, f"one of {MODES}"),
    "engine": (
        lambda v: v in ENGINES or hasattr(v, "fit"),
        f"one of {ENGINES} or an engine object",
    ),
    "random_state": (_int_at_least(0), "an int >= 0"),
    "use_resampling": (lambda v: isinstance(v, bool), "a bool"),
    "resampling_steps": (_int_at_least(0), "an int >= 0"),
    "resampling_points_per_cluster": (
        lambda v: v is None or _int_at_least(2)(v),
        "None or an int >= 2",
    ),
    "weight_by_size": (lambda v: isinstance(v, bool), "a bool"),
    "n_representatives": (_int_at_least(1), "an int >= 1"),
    "min_clusters_per_level": (_int_at_least(2), "an int >= 2"),
    "max_levels": (_int_at_least(1), "an int >= 1"),
    "auto_k_max": (lambda v: v is None or _int_at_least(2)(v), "None or an int >= 2"),
    "embed_descriptions": (lambda v: isinstance(v, bool), "a bool"),
    "normalize_centroids": (lambda v: v is None or isinstance(v, bool), "None (auto) or a bool"),
    "use_llm_for_l0_descriptions": (lambda v: isinstance(v, bool), "a bool"),
    "clean_email": (lambda v: isinstance(v, bool), "a bool"),
    "llm_timeout": (
        lambda v: v is None or (isinstance(v, Real) and not isinstance(v, bool) and float(v) > 0),
        "None (no limit) or a number of seconds > 0",
    ),
}


def validate_params(owner: str, params: dict[str, Any]) -> None:
    for name, (check, expected) in CONSTRAINTS.items():
        if name in params and not check(params[name]):
            raise ParameterError(
                f"The {name!r} parameter of {owner} must be {expected}. "
                f"Got {params[name]!r} instead."
            )
