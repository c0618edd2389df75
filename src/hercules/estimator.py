"""The :class:`Hercules` estimator: the public face of the pipeline.

It only wires steps together: reading data (``data``), level 0 (``level0``), building levels
(``builder``), views (``reduce``), metrics (``evaluate``), new items (``incremental``), titles
set by hand (``edits``), read-outs (``results``) and files (``store``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hercules import datamap, map_page
from hercules.builder import BuildSettings, ProgressFn, build_tree
from hercules.data.inputs import fit_input
from hercules.edits import set_title as set_cluster_title
from hercules.embed.base import Embedder
from hercules.errors import ParameterError
from hercules.evaluate import evaluate_tree_level
from hercules.incremental import append_new, placement_frame, relabel_clusters
from hercules.level0 import Level0
from hercules.parallel import distribute_engine, distribute_summarizer, make_executor
from hercules.params import from_saved, get_params, parameters_doc, set_params, to_saved, validate
from hercules.reduce import add_reductions
from hercules.results import Readouts
from hercules.store import check_writable, checkpointing, load_fitted, save_fitted
from hercules.summarize.base import Summarizer
from hercules.summarize.choose import resolve_summarizer
from hercules.title_quality import annotate_tree, tree_quality
from hercules.topics import corpus_topic_tree
from hercules.tree import Cluster, ClusterTree
from hercules.vectors import resolve_unit_norm

if TYPE_CHECKING:
    import plotly.graph_objects as go


class Hercules(Readouts):
    """Hierarchical k-means with a title and description for every cluster at every level.

    Parameters mirror the paper's ``pyhercules`` where they exist. Each one's default,
    constraint and meaning are declared once, in :mod:`hercules.params` (listed below, and in
    the CLI's option help); they are stored here as given and checked when :meth:`fit` starts.
    ``level_cluster_counts=[100, 20, 5]`` fixes k per level, bottom-up; ``None`` chooses it.
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
        labeller: str | Summarizer = "auto",
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
        params = self.get_params(deep=False)
        validate(type(self).__name__, params)
        if checkpoint is not None:  # before any work: an unwritable folder fails now
            check_writable(checkpoint)
        corpus, embeddings = fit_input(
            X, embeddings, modality, column, numeric_metadata, clean_email=self.clean_email
        )
        summarizer = self.summarizer_ = self._resolve_summarizer()
        level0, scaler = self._level0.build(corpus, embeddings, summarizer)
        if scaler is not None:
            self.numeric_scaler_ = scaler
        unit_norm = resolve_unit_norm(self.normalize_centroids, level0.representation)
        settings = BuildSettings.from_params(
            params,
            engine=distribute_engine(self.engine, make_executor(self.backend)),
            unit_norm_upper_levels=unit_norm,
        )
        describe = self._level0.describe_fn()
        resume = checkpointing(checkpoint, corpus, level0, params, topic_seed, summarizer)
        self.checkpoint_fingerprint_ = resume.fingerprint
        tree = build_tree(
            level0,
            corpus,
            settings,
            summarizer,
            describe=describe,
            topic_seed=topic_seed,
            progress=self.progress,
            on_level=resume.on_level,
            on_draft=on_draft,
            start=resume.start,
            start_labelled=resume.labelled,
        )
        # The namer's topic tree, where it embedded one: the same embedder, so not again.
        topics = partial(corpus_topic_tree, corpus, describe) if describe is not None else None
        quality = tree_quality(tree, describe, seed=self.random_state, topics=topics)
        annotate_tree(tree, quality)
        self.projections_ = add_reductions(tree, seed=self.random_state)
        self.layout_ = None  # the 2-D map: drawn the first time a map is asked for (datamap)
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

    def _resolve_summarizer(self) -> Summarizer:
        """The labeller: the caller's own object (``labeller=``, or the deprecated
        ``summarizer=``) as it is, else the one the name or ``llm_client`` chooses."""
        own = None if isinstance(self.labeller, str) else self.labeller
        if self.summarizer is not None:
            warnings.warn(
                "Hercules(summarizer=...) is deprecated; pass the object as labeller=.",
                DeprecationWarning,
                stacklevel=3,
            )
            own = self.summarizer
        chosen = resolve_summarizer(
            "auto" if own is not None else self.labeller,
            summarizer=own,
            llm_client=self.llm_client,
            llm_options=self.llm_options,
            cache=self.cache,
            timeout=self.llm_timeout,
        )
        if own is not None:  # the caller's own object is used as it is
            return chosen
        return distribute_summarizer(chosen, make_executor(self.backend))

    # ------------------------------------------------------------------ parameters
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Every constructor parameter by name (scikit-learn's contract, so ``clone`` works)."""
        return get_params(self, deep=deep)

    def set_params(self, **params: Any) -> Hercules:
        """Set parameters by name (``name__sub`` reaches into a nested object); checked at fit."""
        set_params(self, params)
        self.__dict__.pop("_level0", None)  # its embedders came from the old settings
        return self

    # ------------------------------------------------------------------ results
    def evaluate_level(
        self,
        level: int,
        ground_truth_labels: Sequence[Any] | None = None,
        calculate_llm_internal_metrics: bool = True,
        topic_seed: str | None = None,
    ) -> dict[str, float | int]:
        """Metrics of ``level`` (:func:`hercules.evaluate.evaluate_tree_level`): internal, against
        ``ground_truth_labels`` when given, of the written descriptions, and topic alignment."""
        tree = self._check_fitted()
        seed_text = topic_seed if topic_seed is not None else getattr(self, "topic_seed_", None)
        return evaluate_tree_level(
            tree,
            level,
            ground_truth=ground_truth_labels,
            llm_metrics=calculate_llm_internal_metrics,
            topic_seed=seed_text,
            embed=self._level0.text_embedder().embed if seed_text else None,
            seed=self.random_state,
        )

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
        corpus, vectors = self._level0.new_items(X, embeddings, column)
        frame, paths = placement_frame(tree, corpus, vectors)
        if append:
            append_new(
                tree,
                self.corpus_,
                corpus,
                vectors,
                paths,
                stale_threshold=stale_threshold,
                projections=self.projections_,
                layout=getattr(self, "layout_", None),
            )
            self.labels_ = {lvl: tree.cluster_ids(lvl) for lvl in range(1, tree.top_level + 1)}
        return frame

    def relabel(self, *, stale_only: bool = True, topic_seed: str | None = None) -> dict[int, int]:
        """Rewrite summaries (only the stale ones by default); returns clusters redone per level."""
        tree = self._check_fitted()
        seed = topic_seed if topic_seed is not None else getattr(self, "topic_seed_", None)
        return relabel_clusters(
            tree,
            self.corpus_,
            self._resolve_summarizer(),
            stale_only=stale_only,
            topic_seed=seed,
            describe=self._level0.describe_fn,
            n_representatives=self.n_representatives,
            progress=self.progress,
        )

    def set_title(self, cluster_id: Any, title: str, description: str | None = None) -> Cluster:
        """Name cluster ``cluster_id`` by hand (and describe it, when ``description`` is given);
        returns the cluster. The title is marked as edited wherever it shows, :meth:`relabel`
        never rewrites it, and a parent named again reads it; :meth:`save_model` keeps it.
        Checks and what else changes: :func:`hercules.edits.set_title`."""
        return set_cluster_title(self._check_fitted(), cluster_id, title, description)

    # ------------------------------------------------------------------ maps
    def plot_map(
        self, *, selected: Cluster | None = None, max_points: int = datamap.MAX_POINTS
    ) -> go.Figure:
        """The data map (:mod:`hercules.datamap`) as a plotly figure: every item a point on
        the run's 2-D layout (UMAP, drawn once and saved with the run), cluster titles as
        label layers (legend entries), ``selected`` cluster highlighted."""
        tree = self._check_fitted()
        layout = datamap.model_layout(self)
        where = (selected.level, selected.index) if selected is not None else None
        return datamap.map_figure(tree, self.corpus_, layout, selected=where, max_points=max_points)

    def plot_tree(self, kind: str = "treemap", *, selected: Cluster | None = None) -> go.Figure:
        """The hierarchy as a plotly treemap (or ``kind="sunburst"``), in the map's colours."""
        tree = self._check_fitted()
        where = (selected.level, selected.index) if selected is not None else None
        return datamap.hierarchy_figure(tree, kind=kind, selected=where)

    def map_html(
        self,
        path: str | os.PathLike[str],
        *,
        title: str | None = None,
        max_points: int = datamap.MAX_POINTS,
    ) -> Path:
        """Write the data map as one self-contained HTML file (no network); returns its path."""
        self._check_fitted()
        return map_page.write_map(self, path, title=title, max_points=max_points)

    @cached_property
    def _level0(self) -> Level0:
        """The level-0 side of this model (its embedders are made once, then reused)."""
        return Level0(self)

    # ------------------------------------------------------------------ persistence
    def save_model(self, path: str | os.PathLike[str]) -> None:
        """Save the run to the folder ``path`` (format: :mod:`hercules.store.run`)."""
        self._check_fitted()
        save_fitted(path, self, params=to_saved(self.get_params(deep=False)))

    @classmethod
    def load_model(cls, path: str | os.PathLike[str], **params: Any) -> Hercules:
        """Load a saved run with its saved parameters. Pass the same clients (e.g.
        ``text_embedding_client=``) again; any other parameter given here replaces the saved one."""
        saved = load_fitted(path)
        model = cls(**(from_saved(saved.params) | params))
        return saved.restore(model)


if Hercules.__doc__:  # None under python -OO
    Hercules.__doc__ = f"{Hercules.__doc__.rstrip()}\n\n{parameters_doc()}"
