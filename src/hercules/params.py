"""The parameters of :class:`~hercules.Hercules`, declared once.

Each :class:`Param` gives a default, a constraint with the phrase used in its error message, a
help text and a role:

* ``"model"``: shapes the tree. Saved with a run and part of a checkpoint's fingerprint.
* ``"runtime"``: how the run is carried out (labeller, backend, cache, timeouts). Saved with a
  run, so ``load_model`` + ``relabel`` uses the same labeller, but a rerun that changes one
  still resumes from its checkpoint.
* ``"client"``: objects and callables (embedders, LLM clients, progress). Never saved; pass them
  again to ``load_model``.

``Hercules.__init__`` stores its arguments verbatim (scikit-learn convention); :func:`validate`
checks them when ``fit`` starts; ``get_params``/``set_params``, what ``save_model`` writes, the
CLI's option defaults and help, and the explorer's form defaults all read this table.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from hercules.errors import ParameterError

MODES = ("direct", "description")
ENGINES = ("auto", "sklearn", "faiss")
BACKENDS = ("local", "ray")
ROLES = ("model", "runtime", "client")


@dataclass(frozen=True)
class Param:
    """One parameter: ``check(value)`` says whether a value is allowed (``expected`` in words).

    ``names`` marks a parameter that takes a name or an object (``engine``, ``backend``): it is
    saved as ``str(value)``, and a saved value that is not one of ``names`` loads as the default.
    """

    name: str
    default: Any
    check: Callable[[Any], bool]
    expected: str
    help: str
    role: str = "model"
    names: tuple[str, ...] = ()

    @property
    def saved(self) -> bool:
        return self.role != "client"


def _int_at_least(low: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, Integral) and not isinstance(v, bool) and int(v) >= low


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _counts(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        return False
    return all(_int_at_least(1)(v) for v in value)


def _optional_callable(value: Any) -> bool:
    return value is None or callable(value)


def _anything(_value: Any) -> bool:
    return True


def _options(value: Any) -> bool:
    return value is None or (isinstance(value, Mapping) and all(isinstance(k, str) for k in value))


_CLIENT = "None or a callable (checked where it is used)"

PARAMS: tuple[Param, ...] = (
    Param(
        "level_cluster_counts",
        None,
        _counts,
        "None (automatic) or a non-empty list of ints >= 1",
        "Clusters per level, bottom-up: 100,20,5 groups the items into 100 clusters, those into "
        "20, those into 5. auto (the default) picks k at every level from the data: the best "
        "silhouette among k from about sqrt(n)/2 to 2*sqrt(n) for the n items or clusters below "
        "(fewer only for clearly separated groups), adding levels until the top has fewer than 8 "
        "clusters (6 levels at most).",
    ),
    Param(
        "representation_mode",
        "direct",
        lambda v: v in MODES,
        f"one of {MODES}",
        "What the levels above 1 cluster: direct = the mean vectors of the clusters' items; "
        "description = embeddings of the clusters' written titles and descriptions.",
    ),
    Param(
        "text_embedding_client",
        None,
        _anything,
        _CLIENT,
        "Embeds texts: an Embedder or a function list[str] -> vectors (default: MiniLM-L6).",
        role="client",
    ),
    Param(
        "llm_client",
        None,
        _optional_callable,
        "None or a function prompt -> answer text",
        "A function prompt -> text that writes the titles (replaces labeller).",
        role="client",
    ),
    Param(
        "image_embedding_client",
        None,
        _anything,
        _CLIENT,
        "Embeds images: an Embedder or a function list[path] -> vectors (default: "
        "EfficientNet-Lite0, images extra).",
        role="client",
    ),
    Param(
        "image_captioning_client",
        None,
        _optional_callable,
        "None or a function list[path] -> list[str]",
        "Captions images for their level-0 descriptions.",
        role="client",
    ),
    Param(
        "summarizer",
        None,
        lambda v: v is None or hasattr(v, "summarize_level"),
        "None or an object with a summarize_level(request) method",
        "Deprecated: pass the object as labeller= instead.",
        role="client",
    ),
    Param(
        "engine",
        "auto",
        lambda v: v in ENGINES or hasattr(v, "fit"),
        f"one of {ENGINES} or an engine object",
        "The k-means engine: auto (faiss for large or memory-mapped data), sklearn or faiss.",
        names=ENGINES,
    ),
    Param(
        "backend",
        "local",
        lambda v: v in BACKENDS or (not isinstance(v, str) and hasattr(v, "map")),
        f"one of {BACKENDS} or an executor object",
        "ray: embed and call the LLM on Ray workers (ray extra).",
        role="runtime",
        names=BACKENDS,
    ),
    Param("random_state", 42, _int_at_least(0), "an int >= 0", "Random seed."),
    Param(
        "use_resampling",
        False,
        _is_bool,
        "a bool",
        "Resampling refinement of k-means (Vo et al. 2024).",
    ),
    Param("resampling_steps", 3, _int_at_least(0), "an int >= 0", "Resampling rounds per level."),
    Param(
        "resampling_points_per_cluster",
        None,
        lambda v: v is None or _int_at_least(2)(v),
        "None or an int >= 2",
        "Points drawn per cluster in each resampling round (empty: automatic).",
    ),
    Param(
        "weight_by_size",
        True,
        _is_bool,
        "a bool",
        "Weigh each cluster by its number of items when clustering the level above.",
    ),
    Param(
        "n_representatives",
        5,
        _int_at_least(1),
        "an int >= 1",
        "Representative samples per cluster shown to the labeller.",
    ),
    Param(
        "min_clusters_per_level",
        2,
        _int_at_least(2),
        "an int >= 2",
        "Stop adding levels when a level would have fewer clusters than this.",
    ),
    Param(
        "max_levels",
        6,
        _int_at_least(1),
        "an int >= 1",
        "Most levels built when k is chosen automatically.",
    ),
    Param(
        "auto_k_max",
        None,
        lambda v: v is None or _int_at_least(2)(v),
        "None or an int >= 2",
        "Largest k tried by the automatic choice (default: from the data).",
    ),
    Param(
        "embed_descriptions",
        True,
        _is_bool,
        "a bool",
        "Embed every cluster's description (used by the title-quality metrics).",
    ),
    Param(
        "normalize_centroids",
        None,
        lambda v: v is None or isinstance(v, bool),
        "None (auto) or a bool",
        "Scale upper-level vectors to unit length (default: when the item vectors are).",
    ),
    Param(
        "use_llm_for_l0_descriptions",
        False,
        _is_bool,
        "a bool",
        "Also one LLM sentence per item (slow: a call per item).",
    ),
    Param(
        "clean_email",
        False,
        _is_bool,
        "a bool",
        "For raw e-mail, newsgroup or forum exports: drop header lines (From:, Subject:, ...), "
        "quoted replies and signatures before embedding and titling. Off by default.",
    ),
    Param(
        "labeller",
        "auto",
        lambda v: (isinstance(v, str) and bool(v.strip())) or hasattr(v, "summarize_level"),
        "a provider name: 'auto', 'llm', 'keywords', a model name, a .gguf path or "
        "'openai:URL#MODEL'; or an object with a summarize_level(request) method",
        "Who writes the titles: auto (the local LLM when the llm extra is installed, else "
        "keywords), llm, keywords (fast, no model), smollm2-135m, the path of a .gguf model, "
        "openai:URL#MODEL for an OpenAI-compatible server, or your own labeller object (it is "
        "not saved: pass it again to load_model).",
        role="runtime",
    ),
    Param(
        "llm_options",
        None,
        _options,
        "None or a dict of the labeller provider's options, such as {'threads': 2}",
        "Options of the labeller's provider (local models: threads, context, parallel; "
        "openai: timeout, parallel, api_key_env, supports_schema).",
        role="runtime",
    ),
    Param("cache", True, _is_bool, "a bool", "Cache LLM answers and embeddings.", role="runtime"),
    Param(
        "llm_timeout",
        None,
        lambda v: v is None or (isinstance(v, Real) and not isinstance(v, bool) and float(v) > 0),
        "None (no limit) or a number of seconds > 0",
        "Seconds to wait for one LLM answer before retrying it (default: no limit).",
        role="runtime",
    ),
    Param(
        "progress",
        None,
        _optional_callable,
        "None or a function progress(stage, done, total)",
        "Called as work advances: progress(stage, done, total).",
        role="client",
    ),
)

BY_NAME: dict[str, Param] = {p.name: p for p in PARAMS}


def default(name: str) -> Any:
    """The declared default of parameter ``name``."""
    return BY_NAME[name].default


def help_text(name: str) -> str:
    return BY_NAME[name].help


def parameters_doc(indent: str = "    ") -> str:
    """The table as a numpydoc ``Parameters`` section, each line after ``indent`` (it ends
    ``Hercules.__doc__``, so ``help(Hercules)`` lists every parameter)."""
    lines = ["Parameters", "----------"]
    for param in PARAMS:
        lines.append(f"{param.name} : {param.expected}, default={param.default!r}")
        lines += textwrap.wrap(
            param.help,
            88 - len(indent),
            initial_indent=" " * 4,
            subsequent_indent=" " * 4,
            break_on_hyphens=False,
        )
    return "\n".join(indent + line for line in lines) + "\n"


def validate(owner: str, params: Mapping[str, Any]) -> None:
    """Raise :class:`ParameterError` for the first value outside its declared constraint."""
    for name, value in params.items():
        param = BY_NAME.get(name)
        if param is not None and not param.check(value):
            raise ParameterError(
                f"The {name!r} parameter of {owner} must be {param.expected}. "
                f"Got {value!r} instead."
            )


def get_params(owner: Any, *, deep: bool = True) -> dict[str, Any]:
    """``owner``'s parameters as scikit-learn returns them; with ``deep``, also ``name__sub``
    for every parameter value that has ``get_params`` itself."""
    out = {p.name: getattr(owner, p.name) for p in PARAMS}
    if deep:
        for name, value in list(out.items()):
            if hasattr(value, "get_params") and not isinstance(value, type):
                out.update({f"{name}__{k}": v for k, v in value.get_params().items()})
    return out


def set_params(owner: Any, params: Mapping[str, Any]) -> None:
    """Set ``owner``'s parameters by name; ``name__sub`` goes to that value's ``set_params``."""
    nested: dict[str, dict[str, Any]] = {}
    for key, value in params.items():
        name, _, sub = key.partition("__")
        if name not in BY_NAME:
            raise ParameterError(
                f"{key!r} is not a parameter of {type(owner).__name__}; the parameters are "
                f"{', '.join(BY_NAME)}."
            )
        if sub:
            nested.setdefault(name, {})[sub] = value
        else:
            setattr(owner, name, value)
    for name, subs in nested.items():
        getattr(owner, name).set_params(**subs)


def to_saved(
    values: Mapping[str, Any], roles: tuple[str, ...] = ("model", "runtime")
) -> dict[str, Any]:
    """The JSON form of the parameters whose role is in ``roles`` (see :class:`Param`)."""
    out: dict[str, Any] = {}
    for param in PARAMS:
        if param.role not in roles or param.name not in values:
            continue
        value = values[param.name]
        if param.names:
            value = str(value)
        elif param.name == "level_cluster_counts" and value is not None:
            value = [int(v) for v in value]
        elif param.name == "llm_options" and value is not None:
            value = dict(value)
        elif param.name == "labeller" and not isinstance(value, str):
            value = param.default  # a labeller object is a client: pass it again on load
        out[param.name] = value
    return out


def from_saved(saved: Mapping[str, Any]) -> dict[str, Any]:
    """Constructor keywords from a saved run's ``params`` (names unknown here are dropped)."""
    out: dict[str, Any] = {}
    for name, value in saved.items():
        param = BY_NAME.get(name)
        if param is None or not param.saved:
            continue
        if param.names and value not in param.names:
            value = param.default  # an object was used; only its name was saved
        out[name] = value
    return out


def parse_levels(text: str | None) -> list[int] | None:
    """``"auto"``, empty or ``None`` -> ``None``; ``"100, 20,5"`` -> ``[100, 20, 5]``.

    Anything else raises :class:`ParameterError` naming the part that is not a whole number
    >= 1 (an empty part too: ``"20,,5"`` is refused, not read as ``20,5``).
    """
    if text is None or text.strip().lower() in {"", "auto"}:
        return None
    counts = []
    for position, raw in enumerate(text.split(","), start=1):
        part = raw.strip()
        try:
            value = int(part)
        except ValueError:
            value = 0
        if value < 1:
            shown = repr(part) if part else "empty"
            raise ParameterError(
                f"Levels must be comma-separated whole numbers >= 1 such as 100,20,5, or "
                f"'auto'; got {text!r} (value {position} is {shown})."
            )
        counts.append(value)
    return counts
