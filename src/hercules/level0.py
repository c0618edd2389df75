"""Level 0 of a :class:`~hercules.Hercules` run: the items' vectors and first summaries, and
the embedders that make them.

Texts are embedded with ``text_embedding_client`` or the built-in MiniLM (cached on disk, and
spread over the executor of ``backend``), images with ``image_embedding_client`` or
EfficientNet-Lite0, numbers are standardised; ``embeddings=`` replaces all of that. Titles and
descriptions are snippets cut from the items (:mod:`hercules.summarize.snippets`), image captions
from ``image_captioning_client``, or one model sentence per item
(``use_llm_for_l0_descriptions=True``). The same text embedder later embeds the clusters'
descriptions, so it is made once per model and kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from hercules.data.clean import clean_corpus
from hercules.data.dataset import Corpus
from hercules.data.inputs import load_corpus
from hercules.embed.base import Embedder, as_embedder
from hercules.errors import InputError
from hercules.parallel import LocalExecutor, distribute_embedder, make_executor
from hercules.summarize.base import Summarizer
from hercules.summarize.items import image_captions
from hercules.summarize.snippets import level0_summaries
from hercules.tree import Level
from hercules.vectors import apply_scaling, check_embeddings, standardize

Scaler = tuple[np.ndarray, np.ndarray]


class Level0:
    """The level-0 side of ``model``: its settings are read when used, its embedders made once.

    ``model`` is the estimator (duck-typed: only its parameters and, for new items, its fitted
    ``corpus_`` and ``numeric_scaler_`` are read).
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self._text: Embedder | None = None
        self._image: Embedder | None = None

    # ------------------------------------------------------------------ building
    def build(
        self, corpus: Corpus, embeddings: np.ndarray | None, summarizer: Summarizer
    ) -> tuple[Level, Scaler | None]:
        """The level-0 :class:`~hercules.tree.Level` of ``corpus``, and the numeric scaling
        (mean, scale) when the vectors were standardised from numbers."""
        model = self.model
        titles, descriptions = level0_summaries(corpus)
        n = len(corpus)
        failed = None
        scaler = None
        if corpus.image_paths is not None and model.image_captioning_client is not None:
            descriptions = image_captions(model.image_captioning_client, corpus.image_paths)
            corpus.captions = descriptions
        elif model.use_llm_for_l0_descriptions:
            descriptions, flags = self._llm_descriptions(corpus, descriptions, summarizer)
            failed = np.asarray(flags, dtype=bool)
        shares_description = False
        if embeddings is not None:
            vectors = check_embeddings(embeddings, n)
        elif corpus.modality == "text":
            vectors = self.text_embedder().embed(corpus.texts or [])
            # Snippet descriptions are cut from the texts themselves; re-embedding them would
            # triple the cost (as the paper's package does) for nearly the same vector.
            shares_description = not model.use_llm_for_l0_descriptions
        elif corpus.modality == "numeric":
            assert corpus.numeric is not None
            vectors, mean, scale = standardize(corpus.numeric.to_numpy())
            scaler = (mean, scale)
        else:
            vectors = self.image_embedder().embed(corpus.image_paths or [])
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        description_embedding = None
        if shares_description:
            description_embedding = vectors
        elif model.representation_mode == "description":
            description_embedding = np.asarray(
                self.text_embedder().embed(descriptions), dtype=np.float32
            )
        level = Level(
            level=0,
            ids=list(corpus.ids),
            representation=vectors,
            num_items=np.ones(n, dtype=np.int64),
            titles=titles,
            descriptions=descriptions,
            description_embedding=description_embedding,
            summary_failed=failed,
        )
        return level, scaler

    def _llm_descriptions(
        self, corpus: Corpus, snippets: list[str], summarizer: Summarizer
    ) -> tuple[list[str], list[bool]]:
        from hercules.summarize.items import describe_items

        return describe_items(corpus, snippets, summarizer, progress=self.model.progress)

    def new_items(
        self, data: Any, embeddings: np.ndarray | None, column: str | None
    ) -> tuple[Corpus, np.ndarray]:
        """New items, read as the fitted run's were (its modality, ``clean_email``), and their
        vectors in its space (:meth:`new_vectors`)."""
        model = self.model
        corpus = load_corpus(data, modality=model.corpus_.modality, column=column, validate=False)
        if model.clean_email:
            corpus = clean_corpus(corpus)
        return corpus, self.new_vectors(corpus, embeddings)

    def new_vectors(self, corpus: Corpus, embeddings: np.ndarray | None) -> np.ndarray:
        """Vectors of new items in the fitted run's space (same embedder, same scaling)."""
        if embeddings is not None:
            return check_embeddings(embeddings, len(corpus))
        if corpus.modality == "text":
            return np.asarray(self.text_embedder().embed(corpus.texts or []), dtype=np.float32)
        if corpus.modality == "image":
            return np.asarray(self.image_embedder().embed(corpus.image_paths or []), np.float32)
        fitted = self.model.corpus_.numeric
        assert corpus.numeric is not None
        assert fitted is not None
        expected = list(fitted.columns)
        if list(corpus.numeric.columns) != expected:
            raise InputError(
                f"New numeric items have columns {list(corpus.numeric.columns)}; the run was "
                f"fitted on {expected}. Give the same columns in the same order."
            )
        scaler = getattr(self.model, "numeric_scaler_", None)
        if scaler is None:
            raise InputError("This run has no saved numeric scaling; refit it to route items.")
        mean, scale = scaler
        return apply_scaling(corpus.numeric.to_numpy(dtype=np.float64), mean, scale)

    # ------------------------------------------------------------------ embedders
    def text_embedder(self) -> Embedder:
        if self._text is None:
            self._text = self._make_text_embedder()
        return self._text

    def _make_text_embedder(self) -> Embedder:
        model = self.model
        executor = make_executor(model.backend)
        if model.text_embedding_client is not None:
            return distribute_embedder(
                as_embedder(model.text_embedding_client, name="text"), executor
            )
        from hercules.embed.onnx_minilm import MiniLMEmbedder

        embedder = distribute_embedder(
            MiniLMEmbedder(progress=None if model.cache else self._embed_progress), executor
        )
        if not model.cache:
            return embedder
        # Our own model has a known identity (user clients may not), so it is cached.
        from hercules.cache import Cache, CachedEmbedder

        # Stored chunk by chunk: a kill during embedding loses one chunk at most.
        # Distributed passes start their workers per call: larger chunks there.
        local = isinstance(executor, LocalExecutor)
        return CachedEmbedder(
            embedder,
            Cache(),
            chunk_size=512 if local else 16_384,
            progress=self._embed_progress,
        )

    def image_embedder(self) -> Embedder:
        client = self.model.image_embedding_client
        if client is not None:
            return as_embedder(client, name="image")
        if self._image is None:
            from hercules.embed.image_efficientnet import EfficientNetImageEmbedder, check_installed

            # Fail before any image is read; the message names the pip command.
            check_installed(
                ", used for image data when no image_embedding_client= or embeddings= is given,"
            )
            self._image = EfficientNetImageEmbedder(progress=self._embed_progress)
        return self._image

    def describe_fn(self) -> Callable[[list[str]], np.ndarray] | None:
        """What embeds the clusters' descriptions; None when nothing needs them."""
        if not self.model.embed_descriptions and self.model.representation_mode == "direct":
            return None
        return self.text_embedder().embed

    def _embed_progress(self, done: int, total: int) -> None:
        if self.model.progress is not None:
            self.model.progress("Embedding", done, total)
