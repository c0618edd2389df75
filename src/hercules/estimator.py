"""The :class:`Hercules` estimator: the public face of the pipeline.

It only wires steps together: reading data (``data``), level-0 vectors (``embed``), building
levels (``builder``), views (``reduce``), metrics (``evaluate``) and files (``persist``).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from hercules.builder import BuildSettings, ProgressFn, build_tree, summarise_clusters
from hercules.data.chunks import open_vectors
from hercules.data.clean import clean_corpus
from hercules.data.dataset import Corpus
from hercules.data.inputs import load_corpus
from hercules.embed.base import Embedder, as_embedder
from hercules.errors import InputError, ParameterError
from hercules.evaluate import evaluate_tree_level
from hercules.incremental import append_items, route
from hercules.parallel import (
    LocalExecutor,
    distribute_embedder,
    distribute_engine,
    distribute_summarizer,
)
from hercules.parallel import make_executor as _executor
from hercules.params import from_saved, get_params, set_params, to_saved, validate
from hercules.persist import load_run, projections_from_info, save_run
from hercules.reduce import add_reductions, apply_reductions
from hercules.summarize.base import Summarizer
from hercules.summarize.items import image_captions
from hercules.summarize.level0 import level0_summaries
from hercules.title_quality import annotate_tree, tree_quality
from hercules.tree import Cluster, ClusterTree, Level
from hercules.vectors import apply_scaling, check_embeddings, resolve_unit_norm, standardize

logger = logging.getLogger(__name__)


class Hercules:
    """Hierarchical k-means with a title and description for every cluster at every level.

    Parameters mirror the paper's ``pyhercules`` where they exist. ``level_cluster_counts``
    such as ``[100, 20, 5]`` fixes k per level (bottom-up); ``None`` chooses k automatically at
    every level (:mod:`hercules.engine.auto_k`) until the top has fewer than 8 clusters.
    ``representation_mode='direct'`` clusters centroids of the data vectors,
    ``'description'`` clusters embeddings of the clusters' written summaries.
    ``clean_email=True`` strips headers, quoted replies and signatures from raw e-mail and
    forum texts before anything reads them (:mod:`hercules.data.clean`).

    Every parameter, its default, constraint and help are declared in :mod:`hercules.params`;
    they are stored here as given and checked when :meth:`fit` starts.
    """

    def __init__(
        self,
        level_cluster_counts: Sequence[int] | None = None,
        *,
        representation_mode: str = "direct",
        text_embedding_client: Embedder | Callable[[list[str]], Any] | None = None,
        llm_client: Callable[[str], str] | None = None,
        image_embedding_client: Embedder | Callable[[list[Any]], Any] | None = None,
        image_captioning_client: Callable[[list[Any]], list[str]] | None = None,
        summarizer: Summarizer | None = None,
        engine: Any = "auto",
        backend: Any = "local",
        random_state: int = 42,
        use_resampling: bool = False,
        resampling_steps: int = 3,
        resampling_points_per_cluster: int | None = None,
        weight_by_size: bool = True,
        n_representatives: int = 5,
        min_clusters_per_level: int = 2,
        max_levels: int = 6,
        auto_k_max: int | None = None,
        embed_descriptions: bool = True,
        normalize_centroids: bool | None = None,
        use_llm_for_l0_descriptions: bool = False,
        clean_email: bool = False,
        labeller: str = "auto",
        llm_options: dict[str, Any] | None = None,
        cache: bool = True,
        llm_timeout: float | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        self.level_cluster_counts = level_cluster_counts
        self.representation_mode = representation_mode
        self.text_embedding_client = text_embedding_client
        self.llm_client = llm_client
        self.image_embedding_client = image_embedding_client
        self.image_captioning_client = image_captioning_client
        self.summarizer = summarizer
        self.engine = engine
        self.backend = backend  # "local", "ray" or an executor (hercules.parallel)
        self.random_state = random_state
        self.use_resampling = use_resampling
        self.resampling_steps = resampling_steps
        self.resampling_points_per_cluster = resampling_points_per_cluster
        self.weight_by_size = weight_by_size
        self.n_representatives = n_representatives
        self.min_clusters_per_level = min_clusters_per_level
        self.max_levels = max_levels
        self.auto_k_max = auto_k_max
        self.embed_descriptions = embed_descriptions
        self.normalize_centroids = normalize_centroids
        self.use_llm_for_l0_descriptions = use_llm_for_l0_descriptions
        self.clean_email = clean_email
        self.labeller = labeller
        self.llm_options = llm_options
        self.cache = cache
        self.llm_timeout = llm_timeout
        self.progress = progress

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        X: Any = None,
        y: Any = None,
        *,
        topic_seed: str | None = None,
        numeric_metadata: dict[str, dict[str, str]] | None = None,
        embeddings: np.ndarray | str | os.PathLike[str] | None = None,
        modality: str | None = None,
        column: str | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        on_draft: Callable[[ClusterTree], None] | None = None,
    ) -> Hercules:
        """Build the hierarchy. Sets ``tree_``, ``labels_``, ``corpus_``; returns ``self``.

        With ``checkpoint=DIR`` the tree is saved there after every level, and a rerun with the
        same data and parameters resumes from the last finished level. In ``direct`` mode with
        a language model, the whole hierarchy is built first with keyword titles:
        ``on_draft(tree)`` is called with it (and it is saved to ``checkpoint``) before the
        model rewrites the titles level by level, saving after each.

        ``embeddings`` may be an array, a ``np.memmap`` or the path of a ``.npy`` file (opened
        memory-mapped): vectors on disk stay there, and every pass over them reads row blocks
        (out of core; docs/architecture.md). With ``X=None`` the items are the vectors
        themselves (a numeric table, not standardised).
        """
        validate(type(self).__name__, self.get_params(deep=False))
        if checkpoint is not None:  # before any work: an unwritable folder fails now
            from hercules.persist import check_writable

            check_writable(checkpoint)
        if embeddings is not None:
            embeddings = open_vectors(embeddings)
        if X is None:
            if embeddings is None:
                raise InputError("fit() needs data X, or embeddings= when X is None; got neither.")
            X = embeddings
        corpus = load_corpus(X, modality=modality, column=column, numeric_metadata=numeric_metadata)
        if self.clean_email:
            corpus = clean_corpus(corpus)
        summarizer = self._resolve_summarizer()
        self.summarizer_ = summarizer
        level0 = self._level0(corpus, embeddings, summarizer)
        settings = BuildSettings(
            level_cluster_counts=self.level_cluster_counts,
            representation_mode=self.representation_mode,
            engine=distribute_engine(self.engine, _executor(self.backend)),
            random_state=self.random_state,
            use_resampling=self.use_resampling,
            resampling_steps=self.resampling_steps,
            resampling_points_per_cluster=self.resampling_points_per_cluster,
            weight_by_size=self.weight_by_size,
            n_representatives=self.n_representatives,
            min_clusters_per_level=self.min_clusters_per_level,
            max_levels=self.max_levels,
            auto_k_max=self.auto_k_max,
            unit_norm_upper_levels=resolve_unit_norm(
                self.normalize_centroids, level0.representation
            ),
        )
        describe = self._describe_fn()
        save, start, labelled = self._checkpointing(checkpoint, corpus, level0, topic_seed)
        views: dict[str, Any] = {}

        def on_level(tree: ClusterTree, titled: int) -> None:
            if save is None:
                return
            if not views and tree.top_level > titled:  # the draft: views make it openable
                views.update(add_reductions(tree, seed=self.random_state))
            save(tree, titled, views)

        tree = build_tree(
            level0,
            corpus,
            settings,
            summarizer,
            describe=describe,
            topic_seed=topic_seed,
            progress=self.progress,
            on_level=on_level,
            on_draft=on_draft,
            start=start,
            start_labelled=labelled,
        )
        if tree.top_level == 0:
            raise InputError(
                f"No level could be built above the {len(corpus)} items (automatic k found no "
                "structure). Give level_cluster_counts explicitly, e.g. [5]."
            )
        annotate_tree(tree, tree_quality(tree, describe, seed=self.random_state))
        self.projections_ = add_reductions(tree, seed=self.random_state)
        self.tree_ = tree
        self.corpus_ = corpus
        self.topic_seed_ = topic_seed
        self.labels_ = {lvl: tree.cluster_ids(lvl) for lvl in range(1, tree.top_level + 1)}
        return self

    def cluster(
        self,
        data: Any,
        topic_seed: str | None = None,
        numeric_metadata: dict[str, dict[str, str]] | None = None,
        **fit_kwargs: Any,
    ) -> list[Cluster]:
        """Fit and return the top-level clusters (the paper's entry point)."""
        self.fit(data, topic_seed=topic_seed, numeric_metadata=numeric_metadata, **fit_kwargs)
        return self.tree_.nodes(self.tree_.top_level)

    def _level0(
        self, corpus: Corpus, embeddings: np.ndarray | None, summarizer: Summarizer
    ) -> Level:
        titles, descriptions = level0_summaries(corpus)
        n = len(corpus)
        failed = None
        if corpus.image_paths is not None and self.image_captioning_client is not None:
            descriptions = image_captions(self.image_captioning_client, corpus.image_paths)
            corpus.captions = descriptions
        elif self.use_llm_for_l0_descriptions:
            descriptions, flags = self._llm_descriptions(corpus, descriptions, summarizer)
            failed = np.asarray(flags, dtype=bool)
        shares_description = False
        if embeddings is not None:
            vectors = check_embeddings(embeddings, n)
        elif corpus.modality == "text":
            vectors = self._text_embedder().embed(corpus.texts or [])
            # Snippet descriptions are cut from the texts themselves; re-embedding them would
            # triple the cost (as the paper's package does) for nearly the same vector.
            shares_description = not self.use_llm_for_l0_descriptions
        elif corpus.modality == "numeric":
            assert corpus.numeric is not None
            vectors, mean, scale = standardize(corpus.numeric.to_numpy())
            self.numeric_scaler_ = (mean, scale)
        else:
            vectors = self._image_embedder().embed(corpus.image_paths or [])
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        description_embedding = None
        if shares_description:
            description_embedding = vectors
        elif self.representation_mode == "description":
            description_embedding = np.asarray(
                self._text_embedder().embed(descriptions), dtype=np.float32
            )
        return Level(
            level=0,
            ids=list(corpus.ids),
            representation=vectors,
            num_items=np.ones(n, dtype=np.int64),
            titles=titles,
            descriptions=descriptions,
            description_embedding=description_embedding,
            summary_failed=failed,
        )

    def _llm_descriptions(
        self, corpus: Corpus, snippets: list[str], summarizer: Summarizer
    ) -> tuple[list[str], list[bool]]:
        from hercules.summarize.items import describe_items

        return describe_items(corpus, snippets, summarizer, progress=self.progress)

    def _text_embedder(self) -> Embedder:
        if getattr(self, "_text_embedder_cache", None) is None:
            if self.text_embedding_client is not None:
                self._text_embedder_cache = distribute_embedder(
                    as_embedder(self.text_embedding_client, name="text"), _executor(self.backend)
                )
            else:
                from hercules.embed.onnx_minilm import MiniLMEmbedder

                self._text_embedder_cache = distribute_embedder(
                    MiniLMEmbedder(progress=None if self.cache else self._embed_progress),
                    _executor(self.backend),
                )
                if self.cache:  # our own model has a known identity; user clients may not
                    from hercules.cache import Cache, CachedEmbedder

                    # Stored chunk by chunk: a kill during embedding loses one chunk at most.
                    # Distributed passes start their workers per call: larger chunks there.
                    local = isinstance(_executor(self.backend), LocalExecutor)
                    self._text_embedder_cache = CachedEmbedder(
                        self._text_embedder_cache,
                        Cache(),
                        chunk_size=512 if local else 16_384,
                        progress=self._embed_progress,
                    )
        return self._text_embedder_cache

    def _embed_progress(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress("Embedding", done, total)

    def _image_embedder(self) -> Embedder:
        if self.image_embedding_client is not None:
            return as_embedder(self.image_embedding_client, name="image")
        if getattr(self, "_image_embedder_cache", None) is None:
            from hercules.embed.image_efficientnet import EfficientNetImageEmbedder, check_installed

            # Fail before any image is read; the message names the pip command.
            check_installed(
                ", used for image data when no image_embedding_client= or embeddings= is given,"
            )
            self._image_embedder_cache = EfficientNetImageEmbedder(progress=self._embed_progress)
        return self._image_embedder_cache

    def _describe_fn(self) -> Callable[[list[str]], np.ndarray] | None:
        if not self.embed_descriptions and self.representation_mode == "direct":
            return None
        return self._text_embedder().embed

    def _resolve_summarizer(self) -> Summarizer:
        from hercules.summarize.choose import resolve_summarizer

        chosen = resolve_summarizer(
            self.labeller,
            summarizer=self.summarizer,
            llm_client=self.llm_client,
            llm_options=self.llm_options,
            cache=self.cache,
            timeout=self.llm_timeout,
        )
        if self.summarizer is not None:  # the caller's own object, used as it is
            return chosen
        return distribute_summarizer(chosen, _executor(self.backend))

    def _checkpointing(
        self,
        path: str | os.PathLike[str] | None,
        corpus: Corpus,
        level0: Level,
        topic_seed: str | None,
    ) -> tuple[Callable[..., None] | None, ClusterTree | None, int | None]:
        if path is None:
            return None, None, None
        from hercules.checkpoint import checkpointing

        params = to_saved(self.get_params(deep=False), roles=("model",))
        point, save, start, labelled = checkpointing(
            path, corpus, level0, params, topic_seed, self.summarizer_
        )
        self.checkpoint_fingerprint_ = point.fingerprint
        return save, start, labelled

    # ------------------------------------------------------------------ results
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Every constructor parameter by name (scikit-learn's contract, so ``clone`` works)."""
        return get_params(self, deep=deep)

    def set_params(self, **params: Any) -> Hercules:
        """Set parameters by name (``name__sub`` reaches into a nested object); checked at fit."""
        set_params(self, params)
        return self

    def _check_fitted(self) -> ClusterTree:
        tree = getattr(self, "tree_", None)
        if tree is None:
            raise InputError(
                "This Hercules instance is not fitted yet; call fit() or cluster() first."
            )
        return tree

    def evaluate_level(
        self,
        level: int,
        ground_truth_labels: Sequence[Any] | None = None,
        calculate_llm_internal_metrics: bool = True,
        topic_seed: str | None = None,
    ) -> dict[str, float | int]:
        tree = self._check_fitted()
        seed_text = topic_seed if topic_seed is not None else getattr(self, "topic_seed_", None)
        return evaluate_tree_level(
            tree,
            level,
            ground_truth=ground_truth_labels,
            llm_metrics=calculate_llm_internal_metrics,
            topic_seed=seed_text,
            embed=self._text_embedder().embed if seed_text else None,
            seed=self.random_state,
        )

    def get_cluster_membership_dataframe(self) -> pd.DataFrame:
        """One row per item: its id and, per level, the cluster id and title that hold it."""
        tree = self._check_fitted()
        frame = pd.DataFrame({"item_index": np.arange(tree.n_items), "item_id": tree.levels[0].ids})
        frame["item_title"] = tree.levels[0].titles
        for lvl in range(1, tree.top_level + 1):
            labels = tree.labels(lvl)
            frame[f"level_{lvl}_id"] = np.asarray(tree.levels[lvl].ids)[labels]
            frame[f"level_{lvl}_title"] = np.asarray(tree.levels[lvl].titles, dtype=object)[labels]
        return frame

    def format_hierarchy(self, *, max_level0: int = 0, indent: str = "  ") -> str:
        """The tree as text, top level first; ``max_level0`` items shown per level-1 cluster."""
        tree = self._check_fitted()
        lines = []
        stack = [(node, 0) for node in reversed(tree.nodes(tree.top_level))]
        while stack:
            node, depth = stack.pop()
            lines.append(
                f"{indent * depth}L{node.level} #{node.id} ({node.num_items} items) {node.title}"
            )
            children = node.children
            if node.level == 1:
                children = children[:max_level0]
            stack.extend((c, depth + 1) for c in reversed(children))
        return "\n".join(lines)

    def print_hierarchy(self, *, max_level0: int = 0, file: TextIO | None = None) -> None:
        print(self.format_hierarchy(max_level0=max_level0), file=file or sys.stdout)

    # ------------------------------------------------------------------ new items
    def predict(
        self,
        X: Any,
        *,
        embeddings: np.ndarray | None = None,
        column: str | None = None,
        append: bool = False,
        stale_threshold: float = 0.1,
    ) -> pd.DataFrame:
        """Route new items down the fitted tree; one row per item with its cluster per level.

        ``append=True`` adds them to the model (sizes and cluster vectors update) and flags
        clusters whose membership grew by more than ``stale_threshold`` of their size;
        :meth:`relabel` then rewrites only those summaries.
        """
        tree = self._check_fitted()
        if not 0 <= stale_threshold:
            raise ParameterError(f"stale_threshold must be >= 0, got {stale_threshold}.")
        corpus = load_corpus(X, modality=self.corpus_.modality, column=column, validate=False)
        if getattr(self, "clean_email", False):
            corpus = clean_corpus(corpus)
        vectors = self._new_vectors(corpus, embeddings)
        paths = route(tree, vectors)
        frame = pd.DataFrame({"item_id": corpus.ids})
        for lvl, idx in paths.items():
            frame[f"level_{lvl}_id"] = np.asarray(tree.levels[lvl].ids)[idx]
            frame[f"level_{lvl}_title"] = np.asarray(tree.levels[lvl].titles, dtype=object)[idx]
        centroids = tree.levels[1].representation[paths[1]]
        frame["level_1_distance"] = np.linalg.norm(vectors - centroids, axis=1)
        if append:
            titles, descriptions = level0_summaries(corpus)
            append_items(
                tree,
                self.corpus_,
                corpus,
                vectors,
                paths,
                titles=titles,
                descriptions=descriptions,
                stale_threshold=stale_threshold,
            )
            for level in tree.levels:
                level.reductions.clear()
            apply_reductions(tree, self.projections_)
            self.labels_ = {lvl: tree.cluster_ids(lvl) for lvl in range(1, tree.top_level + 1)}
        return frame

    def relabel(self, *, stale_only: bool = True, topic_seed: str | None = None) -> dict[int, int]:
        """Rewrite summaries (only the stale ones by default); returns clusters redone per level."""
        tree = self._check_fitted()
        summarizer = self._resolve_summarizer()
        seed = topic_seed if topic_seed is not None else getattr(self, "topic_seed_", None)
        done: dict[int, int] = {}
        for level in range(1, tree.top_level + 1):
            data = tree.levels[level]
            if stale_only:
                flags = data.summary_stale
                indices = np.flatnonzero(flags) if flags is not None else np.zeros(0, np.int64)
            else:
                indices = np.arange(len(data))
            if len(indices) == 0:
                continue
            describe = self._describe_fn() if data.description_embedding is not None else None
            summarise_clusters(
                tree,
                self.corpus_,
                summarizer,
                level,
                indices,
                n_representatives=self.n_representatives,
                topic_seed=seed,
                describe=describe,
                progress=self.progress,
            )
            done[level] = len(indices)
        return done

    def _new_vectors(self, corpus: Corpus, embeddings: np.ndarray | None) -> np.ndarray:
        if embeddings is not None:
            return check_embeddings(embeddings, len(corpus))
        if corpus.modality == "text":
            return np.asarray(self._text_embedder().embed(corpus.texts or []), dtype=np.float32)
        if corpus.modality == "image":
            return np.asarray(self._image_embedder().embed(corpus.image_paths or []), np.float32)
        assert corpus.numeric is not None
        assert self.corpus_.numeric is not None
        expected = list(self.corpus_.numeric.columns)
        if list(corpus.numeric.columns) != expected:
            raise InputError(
                f"New numeric items have columns {list(corpus.numeric.columns)}; the run was "
                f"fitted on {expected}. Give the same columns in the same order."
            )
        scaler = getattr(self, "numeric_scaler_", None)
        if scaler is None:
            raise InputError("This run has no saved numeric scaling; refit it to route items.")
        mean, scale = scaler
        return apply_scaling(corpus.numeric.to_numpy(dtype=np.float64), mean, scale)

    def _scaler_json(self) -> dict[str, list[float]] | None:
        scaler = getattr(self, "numeric_scaler_", None)
        if scaler is None:
            return None
        return {"mean": scaler[0].tolist(), "scale": scaler[1].tolist()}

    # ------------------------------------------------------------------ persistence
    def save_model(self, path: str | os.PathLike[str]) -> None:
        tree = self._check_fitted()
        save_run(
            path,
            tree,
            self.corpus_,
            params=to_saved(self.get_params(deep=False)),
            extra={"topic_seed": self.topic_seed_, "numeric_scaler": self._scaler_json()},
            projections=self.projections_,
        )
        log = getattr(getattr(self, "summarizer_", None), "call_log", None)
        if getattr(self, "checkpoint_fingerprint_", None):
            # Saving where the run checkpointed: a rerun of the same command reuses it whole.
            from hercules.checkpoint import mark_complete

            mark_complete(Path(path), self.checkpoint_fingerprint_, tree.top_level)
        if log:
            from hercules.checkpoint import write_log

            write_log(Path(path), log)

    @classmethod
    def load_model(cls, path: str | os.PathLike[str], **params: Any) -> Hercules:
        """Load a saved run with its saved parameters. Pass the same clients (e.g.
        ``text_embedding_client=``) again; any other parameter given here replaces the saved one."""
        tree, corpus, info = load_run(path)
        model = cls(**(from_saved(info["params"]) | params))
        model.tree_ = tree
        model.corpus_ = corpus
        model.topic_seed_ = info.get("topic_seed")
        if info.get("numeric_scaler"):
            scaler = info["numeric_scaler"]
            model.numeric_scaler_ = (np.asarray(scaler["mean"]), np.asarray(scaler["scale"]))
        model.projections_ = projections_from_info(info)
        model.labels_ = {lvl: tree.cluster_ids(lvl) for lvl in range(1, tree.top_level + 1)}
        return model
