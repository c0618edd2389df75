"""The run form's model choices: which embedder and which labeller a new run uses.

Validation happens when Run is pressed (errors quote the bad value); the objects are built in
the worker. Everything here is the library's public API: :class:`~hercules.embed.OpenAIEmbedder`,
:class:`~hercules.Hercules` parameters (an OpenAI-compatible LLM is the labeller
``openai:URL#MODEL``, built by :mod:`hercules.llm.providers`).

Endpoints typed into the browser never receive the server's API keys (``api_key_env=None``):
a keyed service is configured by whoever starts the app, through ``model_options``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from hercules.app.uploads import decode_contents
from hercules.embed.openai_embed import check_base_url
from hercules.errors import InputError, MissingDependencyError, ParameterError
from hercules.params import default

EMBEDDERS = ("minilm", "efficientnet", "precomputed", "openai")
LABELLERS = ("keywords", "auto", "openai")
# The parameter table's default (auto: the local LLM when the llm extra is installed, else
# keywords), as for Hercules() and the CLI.
APP_LABELLER = default("labeller")


def images_available() -> bool:
    """Whether the ``images`` extra (EfficientNet-Lite0 and Pillow) is importable."""
    from hercules.embed.image_efficientnet import check_installed

    try:
        check_installed()
    except MissingDependencyError:
        return False
    return True


def embedder_options(with_images: bool) -> list[dict[str, str]]:
    options = [{"label": "MiniLM-L6 (text, default)", "value": "minilm"}]
    if with_images:
        options.append({"label": "EfficientNet-Lite0 (images)", "value": "efficientnet"})
    options += [
        {"label": "precomputed (.npy upload)", "value": "precomputed"},
        {"label": "OpenAI-compatible endpoint", "value": "openai"},
    ]
    return options


@dataclass(frozen=True)
class Backends:
    """The validated choice. ``embed_*``/``llm_*`` are set only for the OpenAI-compatible ones."""

    embedder: str = "minilm"
    embed_url: str | None = None
    embed_model: str | None = None
    labeller: str = APP_LABELLER
    llm_url: str | None = None
    llm_model: str | None = None


def parse_backends(
    embedder: str | None,
    embed_url: str | None,
    embed_model: str | None,
    labeller: str | None,
    llm_url: str | None,
    llm_model: str | None,
    *,
    with_images: bool,
) -> Backends:
    """The form's fields as :class:`Backends`; ParameterError naming the bad value otherwise."""
    embedder = embedder or "minilm"
    labeller = labeller or APP_LABELLER
    if embedder not in EMBEDDERS:
        raise ParameterError(f"Embedder must be one of {', '.join(EMBEDDERS)}; got {embedder!r}.")
    if embedder == "efficientnet" and not with_images:
        raise MissingDependencyError(
            "The EfficientNet-Lite0 image embedder (restart the app after installing)",
            "hercules-cluster[images]",
        )
    if labeller not in LABELLERS:
        raise ParameterError(f"Labeller must be one of {', '.join(LABELLERS)}; got {labeller!r}.")
    out: dict[str, Any] = {"embedder": embedder, "labeller": labeller}
    if embedder == "openai":
        out["embed_url"] = check_base_url(embed_url, "The embeddings endpoint's base URL")
        out["embed_model"] = _model_name(embed_model, "embeddings endpoint", "nomic-embed-text")
    if labeller == "openai":
        out["llm_url"] = check_base_url(llm_url, "The LLM server's base URL")
        out["llm_model"] = _model_name(llm_model, "LLM server", "qwen2.5:7b-instruct")
    return Backends(**out)


def _model_name(value: str | None, what: str, example: str) -> str:
    name = (value or "").strip()
    if not name or any(ch.isspace() for ch in name):
        raise ParameterError(
            f"Give the model name the {what} serves (e.g. {example!r}); got {value!r}."
        )
    return name


def load_embeddings(contents: str, filename: str) -> np.ndarray:
    """An uploaded ``.npy`` file as a 2-D float32 array (pickles are refused)."""
    if not str(filename).lower().endswith(".npy"):
        raise InputError(f"Precomputed embeddings must be a .npy file; got {filename!r}.")
    data = decode_contents(contents, filename)
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(
            f"{filename!r} is not a readable .npy array ({exc}); save it with numpy.save."
        ) from exc
    if not isinstance(array, np.ndarray) or array.ndim != 2 or array.shape[0] == 0:
        raise InputError(
            f"{filename!r} holds an array of shape {getattr(array, 'shape', None)}; "
            "give a 2-D array with one row per item, shape (n_items, dim)."
        )
    if not np.issubdtype(array.dtype, np.number):
        raise InputError(f"{filename!r} holds dtype {array.dtype}; give numbers.")
    return np.asarray(array, dtype=np.float32)


def check_pairing(
    choice: Backends, *, kind: str, n_items: int, data_name: str, embeddings: Any, app_image: bool
) -> None:
    """Reject an embedder that cannot embed this upload, with the fix in the message.

    ``kind`` is ``"image"`` or ``"text"`` (tables count as text: numeric ones need no
    embedder). ``app_image`` says the app was started with its own image_embedding_client.
    """
    if choice.embedder == "precomputed":
        if embeddings is None:
            raise InputError(
                "Precomputed embeddings chosen but no .npy file uploaded; drop one on the "
                "embeddings upload area, or pick another embedder."
            )
        rows = int(embeddings.shape[0])
        if rows != n_items:
            raise InputError(
                f"The embeddings file has {rows} rows but {data_name!r} holds {n_items} items; "
                "give one row per item, in input order."
            )
    elif choice.embedder == "efficientnet" and kind != "image":
        raise InputError(
            f"EfficientNet-Lite0 embeds images, but {data_name!r} holds text or a table; "
            "pick MiniLM-L6 (or another text embedder)."
        )
    elif choice.embedder in ("minilm", "openai") and kind == "image" and not app_image:
        name = "MiniLM-L6" if choice.embedder == "minilm" else "The OpenAI-compatible endpoint"
        raise InputError(
            f"{data_name!r} holds {n_items} images, but {name} embeds text; pick "
            "'EfficientNet-Lite0 (images)' (pip install 'hercules-cluster[images]' and restart "
            "the app if it is not offered) or upload precomputed embeddings."
        )


def hercules_options(
    choice: Backends,
    model_options: Mapping[str, Any],
    *,
    progress: Callable[[str, int, int], None],
    note: Callable[[str], None],
) -> dict[str, Any]:
    """Keyword arguments for :class:`~hercules.Hercules` from the choice and the app's options.

    The app's ``model_options`` apply unless the form picked an endpoint for the same role.
    """
    options = dict(model_options)
    if "summarizer" in options:  # the deprecated spelling of a labeller object
        options["labeller"] = options.pop("summarizer")
    if choice.embedder == "openai":
        from hercules.embed import OpenAIEmbedder

        assert choice.embed_url is not None
        assert choice.embed_model is not None
        if "text_embedding_client" in options:
            note("the form's embeddings endpoint replaces the app's text_embedding_client")
        options["text_embedding_client"] = OpenAIEmbedder(
            choice.embed_url,
            choice.embed_model,
            api_key_env=None,
            progress=lambda done, total: progress("Embedding", done, total),
        )
        note(f"embeddings: {choice.embed_model!r} at {choice.embed_url}")
    if choice.labeller == "openai":
        assert choice.llm_url is not None
        assert choice.llm_model is not None
        if {"llm_client", "labeller", "llm_options"} & set(options):
            note("the form's LLM server replaces the app's labeller options")
        for name in ("llm_client", "llm_options"):
            options.pop(name, None)
        # Resolved by the library's provider registry, like any labeller name; saved with the
        # run, so relabelling it later asks the same server. No API key is sent.
        options["labeller"] = f"openai:{choice.llm_url}#{choice.llm_model}"
        options["llm_options"] = {"api_key_env": None}
        note(f"titles: {choice.llm_model!r} at {choice.llm_url}")
    return options
