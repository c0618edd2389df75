"""HERCULES: cluster texts, images or numbers into a tree of clusters with a title and a
description for every cluster.

\b
Start here:
  hercules demo                      2,000 20 Newsgroups posts, end to end
  hercules run FILE --out runs/mine  cluster your file (levels chosen for you)
  hercules show runs/mine            print the saved tree
  hercules serve runs/mine           browse it in the explorer (app extra)

Run "hercules COMMAND --help" for the options of each command.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.tree import Tree

from hercules.cli_explorer import RUN_HELP as _RUN_HELP
from hercules.cli_explorer import register as register_explorer
from hercules.edits import EDITED_MARK
from hercules.errors import HerculesError, InputError
from hercules.estimator import Hercules
from hercules.params import default, help_text
from hercules.params import parse_levels as _parse_levels
from hercules.tree import ClusterTree

# Plain (click) help: rich's option tables truncate long option names at 80 columns and print
# a <bool> type for flags such as --help.
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help=__doc__,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
console = Console(stderr=True)


class _RichProgress:
    """Adapts the library's ``progress(stage, done, total)`` callback to rich bars."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)


def parse_levels(text: str | None) -> list[int] | None:
    """:func:`hercules.params.parse_levels`, its error shown as a usage error of --levels."""
    try:
        return _parse_levels(text)
    except HerculesError as exc:
        raise typer.BadParameter(str(exc)) from None


def _fit(model: Hercules, data: Any, **kwargs: Any) -> None:
    """Fit with one bar per stage (each level's summaries advance per cluster, with an ETA);
    in direct mode the keyword-titled tree is printed as soon as it exists."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as bar:
        model.progress = _RichProgress(bar)

        def draft(tree: ClusterTree) -> None:
            bar.console.print("Hierarchy with keyword titles (LLM titles follow):")
            bar.console.print(_tree_view(tree, max_level0=0))

        model.fit(data, on_draft=draft, **kwargs)
    model.progress = None


_THREADS_HELP = (
    "CPU threads for the local LLM (default: all cores; give fewer on a shared machine)."
)
# The LLM options that `run` and `demo` share.
LabellerOption = Annotated[str, typer.Option(metavar="NAME", help=help_text("labeller"))]
LLMThreadsOption = Annotated[int | None, typer.Option(metavar="N", help=_THREADS_HELP)]
LLMTimeoutOption = Annotated[
    float | None, typer.Option(metavar="SECONDS", help=help_text("llm_timeout"))
]
_DEFAULT_LABELLER = default("labeller")
_DEFAULT_LLM_TIMEOUT = default("llm_timeout")


@app.command()
def run(
    input: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="A CSV, TSV, Parquet, JSONL or text file, or a folder of .txt files or images.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Directory to write the run to.")
    ],
    levels: Annotated[
        str, typer.Option(metavar="K,K,...|auto", help=help_text("level_cluster_counts"))
    ] = "auto",
    mode: Annotated[
        str, typer.Option(metavar="direct|description", help=help_text("representation_mode"))
    ] = default("representation_mode"),
    column: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Column holding the texts (or image paths) in a table."),
    ] = None,
    clean_email: Annotated[
        bool, typer.Option("--clean-email", help=help_text("clean_email"))
    ] = default("clean_email"),
    topic_seed: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help="Steer the titles towards this topic or question."),
    ] = None,
    modality: Annotated[
        str | None,
        typer.Option(
            metavar="text|image|numeric", help="What the items are; detected when omitted."
        ),
    ] = None,
    embeddings: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE.npy",
            help="Precomputed item vectors, one row per item (skips embedding).",
        ),
    ] = None,
    resample: Annotated[
        bool, typer.Option("--resample", help=help_text("use_resampling"))
    ] = default("use_resampling"),
    seed: Annotated[int, typer.Option(metavar="N", help=help_text("random_state"))] = default(
        "random_state"
    ),
    backend: Annotated[str, typer.Option(metavar="local|ray", help=help_text("backend"))] = default(
        "backend"
    ),
    labeller: LabellerOption = _DEFAULT_LABELLER,
    llm_threads: LLMThreadsOption = None,
    llm_timeout: LLMTimeoutOption = _DEFAULT_LLM_TIMEOUT,
    llm_item_descriptions: Annotated[
        bool,
        typer.Option("--llm-item-descriptions", help=help_text("use_llm_for_l0_descriptions")),
    ] = default("use_llm_for_l0_descriptions"),
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Print the LLM calls, tokens and time the run would take; stop."
        ),
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            help="Checkpoint every level in --out; rerunning the same command resumes there."
        ),
    ] = True,
    overwrite: Annotated[
        bool, typer.Option(help="Replace a run of other data already saved in --out")
    ] = False,
) -> None:
    """Cluster INPUT into a labelled hierarchy and save it to --out.

    Texts are embedded with MiniLM, numbers are standardised, images embedded with
    EfficientNet-Lite0 (images extra). Example:

    \b
      hercules run posts.csv --column body --out runs/posts
      hercules run posts.csv --column body --levels 100,20,5 --out runs/posts
    """
    from hercules.data.chunks import open_vectors
    from hercules.data.inputs import load_corpus
    from hercules.store import check_writable, refuse_other_data

    counts = parse_levels(levels)  # before any work
    llm_options = _llm_options(llm_threads)
    if dry_run:
        _dry_run(input, counts, labeller, llm_options, column=column, modality=modality, out=out)
        return
    check_writable(out)  # before any work: a bad --out must not cost an embedding pass
    corpus = load_corpus(input, modality=modality, column=column)
    if corpus.read_as:
        console.print(f"Read {input} as {corpus.read_as}")
    if not overwrite:
        refuse_other_data(out, corpus)
    # Memory-mapped: large vector files are read in row blocks, never loaded whole.
    vectors = None if embeddings is None else open_vectors(embeddings)
    model = Hercules(
        counts,
        clean_email=clean_email,
        representation_mode=mode,
        use_resampling=resample,
        random_state=seed,
        backend=backend,
        labeller=labeller,
        llm_options=llm_options,
        use_llm_for_l0_descriptions=llm_item_descriptions,
        llm_timeout=llm_timeout,
    )
    _fit(
        model,
        corpus,
        topic_seed=topic_seed,
        column=column,
        modality=modality,
        embeddings=vectors,
        checkpoint=out if resume else None,
    )
    model.save_model(out)
    _print_tree(model, max_level0=0)
    _report_labels(model)
    console.print(
        f"[green]Saved[/green] {model.tree_.n_items} items, levels {_sizes(model)} to {out}"
    )


@app.command()
def evaluate(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help=_RUN_HELP)],
    labels: Annotated[
        str | None,
        typer.Option(
            metavar="FILE|COLUMN",
            help="True labels: a file with one label per line, or a column of --source.",
        ),
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option(metavar="TABLE", help="Table file holding the --labels column."),
    ] = None,
) -> None:
    """Print clustering metrics for every level as JSON.

    Internal metrics (silhouette, Davies-Bouldin, ...) always; ARI, NMI and the other external
    metrics too when --labels gives the true label of every item.
    """
    import json

    model = Hercules.load_model(run_dir)
    truth = _read_labels(labels, source, model.tree_.n_items) if labels else None
    results = [model.evaluate_level(lvl, truth) for lvl in range(1, model.tree_.top_level + 1)]
    typer.echo(json.dumps(results, indent=2))


@app.command()
def show(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help=_RUN_HELP)],
    items: Annotated[
        int, typer.Option(metavar="N", help="Also list the first N items of every level-1 cluster.")
    ] = 0,
) -> None:
    """Print a saved run's tree of clusters in the terminal."""
    model = Hercules.load_model(run_dir)
    _print_tree(model, max_level0=items)


@app.command()
def assign(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help=_RUN_HELP)],
    input: Annotated[
        str, typer.Argument(metavar="INPUT", help="New items: a file or folder, as for run.")
    ],
    column: Annotated[
        str | None, typer.Option(metavar="NAME", help="Column of a table file.")
    ] = None,
    append: Annotated[
        bool, typer.Option("--append", help="Add the items to the run and save it.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="CSV",
            help="Write the assignments to this CSV (default: print them).",
        ),
    ] = None,
    stale_threshold: Annotated[
        float,
        typer.Option(
            metavar="FRACTION",
            help="With --append: flag clusters that grew by more than this fraction.",
        ),
    ] = 0.1,
) -> None:
    """Put new items into a saved tree, without reclustering.

    Each item goes to its nearest level-1 cluster and up the tree; prints one CSV row per item.
    """
    model = Hercules.load_model(run_dir)
    frame = model.predict(input, column=column, append=append, stale_threshold=stale_threshold)
    if output is not None:
        frame.to_csv(output, index=False)
    else:
        typer.echo(frame.to_csv(index=False), nl=False)
    if append:
        model.save_model(run_dir)
        stale = sum(
            int(n.summary_stale)
            for lvl in range(1, model.tree_.top_level + 1)
            for n in model.tree_.nodes(lvl)
        )
        console.print(
            f"Appended {len(frame)} items; {stale} cluster(s) flagged stale "
            f"(`hercules relabel {run_dir} --stale` rewrites their summaries)."
        )


@app.command()
def relabel(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help=_RUN_HELP)],
    stale: Annotated[
        bool,
        typer.Option(
            "--stale/--all", help="Only clusters flagged stale by assign --append, or all."
        ),
    ] = True,
) -> None:
    """Rewrite the titles and descriptions of a saved run.

    By default only the clusters that assign --append flagged as grown; the run is saved.
    Titles set by hand (hercules edit) are kept.
    """
    model = Hercules.load_model(run_dir)
    done = model.relabel(stale_only=stale)
    model.save_model(run_dir)
    kept = sum(
        node.title_edited and (node.summary_stale or not stale)
        for lvl in range(1, model.tree_.top_level + 1)
        for node in model.tree_.nodes(lvl)
    )
    note = f"; kept {kept} title(s) set by hand" if kept else ""
    console.print(f"Relabelled {sum(done.values())} cluster(s): {done or 'none were stale'}{note}")


@app.command()
def edit(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help=_RUN_HELP)],
    cluster_id: Annotated[
        str,
        typer.Argument(metavar="CLUSTER_ID", help="The cluster's id (hercules show lists them)."),
    ],
    title: Annotated[str, typer.Option(metavar="TEXT", help="The new title.")],
    description: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help="A new description (default: keep the current one)."),
    ] = None,
) -> None:
    """Set a cluster's title by hand; the run is saved.

    The title is marked as edited wherever it shows, and relabel never rewrites it.
    """
    model = Hercules.load_model(run_dir)
    node = model.set_title(cluster_id, title, description)
    model.save_model(run_dir)
    console.print(
        f"L{node.level} #{node.id} is now titled {_escape(repr(node.title))} "
        f"{EDITED_MARK}; saved to {_escape(str(run_dir))}."
    )


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Where to save the run.")
    ] = Path("runs/demo"),
    n: Annotated[
        int, typer.Option(metavar="N", help="Number of 20 Newsgroups posts to sample.")
    ] = 2000,
    levels: Annotated[
        str,
        typer.Option(metavar="K,K,...|auto", help="Clusters per level, bottom-up (as for run)."),
    ] = "40,10,4",
    labeller: LabellerOption = _DEFAULT_LABELLER,
    llm_threads: LLMThreadsOption = None,
    llm_timeout: LLMTimeoutOption = _DEFAULT_LLM_TIMEOUT,
) -> None:
    """Cluster a 20 Newsgroups sample end to end on the default models.

    Reads 20newsgroups-bydate.jsonl.gz from ../shared/data beside the checkout (or the path in
    $HERCULES_20NG), prints the tree and its agreement (ARI, NMI) with the 20 newsgroups, and
    saves the run for show, serve and report.
    """
    counts = parse_levels(levels)
    llm_options = _llm_options(llm_threads)
    from hercules.data.newsgroups import load_newsgroups, sample_posts
    from hercules.store import check_writable

    check_writable(out)

    try:
        corpus = load_newsgroups()
    except InputError as exc:
        raise InputError(
            f"{exc} The demo needs that file (it ships with the project's shared data)."
        ) from None
    texts, truth, empty = sample_posts(corpus, n)
    console.print(
        f"20 Newsgroups: {len(texts) + empty} of {len(corpus.texts)} posts sampled; {empty} are "
        f"empty once headers, quotes and signatures are stripped: left out, {len(texts)} remain"
    )
    model = Hercules(counts, labeller=labeller, llm_options=llm_options, llm_timeout=llm_timeout)
    _fit(model, texts, checkpoint=out)
    model.save_model(out)
    _print_tree(model, max_level0=0)
    _report_labels(model)
    for lvl in range(1, model.tree_.top_level + 1):
        m = model.evaluate_level(lvl, truth, calculate_llm_internal_metrics=False)
        console.print(
            f"level {lvl}: {m['n_clusters']} clusters, ARI {m['ari']:.3f}, NMI {m['nmi']:.3f}"
        )
    console.print(f"[green]Saved[/green] to {out}; explore with `hercules show {out}`")


def _llm_options(threads: int | None) -> dict[str, Any] | None:
    """--llm-threads as the labeller's provider options (Hercules(llm_options=...))."""
    if threads is None:
        return None
    if threads < 1:
        raise typer.BadParameter(f"--llm-threads must be >= 1; got {threads}")
    return {"threads": threads}


def _dry_run(
    data: str,
    levels: list[int] | None,
    labeller: str,
    llm_options: dict[str, Any] | None,
    *,
    column: str | None,
    modality: str | None,
    out: Path | None = None,
) -> None:
    import json

    from hercules.data.inputs import load_corpus
    from hercules.summarize.choose import DEFAULT_BATCH_SIZE, resolve_summarizer
    from hercules.summarize.keywords import KeywordSummarizer
    from hercules.summarize.plan import plan_run

    corpus = load_corpus(data, modality=modality, column=column)
    if corpus.read_as:
        console.print(f"Read {data} as {corpus.read_as}")
    chosen = resolve_summarizer(labeller, llm_options=llm_options, cache=False)
    name = "keywords" if isinstance(chosen, KeywordSummarizer) else chosen_name(chosen)
    calibration = None if name == "keywords" else _calibrate(chosen, out)
    plan = plan_run(
        corpus, levels, labeller=name, batch_size=DEFAULT_BATCH_SIZE, calibration=calibration
    )
    console.print(
        f"{len(corpus)} items; levels {plan['levels']}"
        + (" (guessed; automatic k)" if plan["levels_guessed"] else "")
        + f"; labeller {name}: {plan['calls']} LLM calls, ~{plan['prompt_tokens']:,} prompt "
        f"and ~{plan['generated_tokens']:,} generated tokens, ~{plan['seconds'] / 60:.1f} min "
        f"(uncached; speed from {plan.get('speed_source', 'defaults')})"
    )
    typer.echo(json.dumps(plan))


def _calibrate(summarizer: Any, out: Path | None) -> Any:
    """The model's speed: from the call log of an earlier run in --out if it has one, else
    measured with two short calls; ``None`` (built-in rates) if neither works."""
    from hercules.store import read_log
    from hercules.summarize import speed

    if out is not None and out.is_dir():
        model = getattr(summarizer, "model_id", None)
        found = speed.from_log([r for r in read_log(out) if r.get("model") == model])
        if found is not None:
            return found
    try:
        return speed.measure(summarizer.llm)
    except Exception as exc:  # a dry run must still answer; say why the rates are generic
        console.print(f"[yellow]Could not measure the model's speed ({exc}); using defaults.")
        return None


def _report_labels(model: Hercules) -> None:
    """Which labeller wrote the titles, and which clusters it failed on (keyword titles)."""
    summarizer = getattr(model, "summarizer_", None)
    console.print(f"Titles by {chosen_name(summarizer)}")
    for lvl in range(1, model.tree_.top_level + 1):
        level = model.tree_.levels[lvl]
        failed = [] if level.summary_failed is None else list(np.flatnonzero(level.summary_failed))
        if failed:
            ids = ", ".join(str(level.ids[i]) for i in failed[:10])
            console.print(
                f"[yellow]level {lvl}: {len(failed)} summaries failed[/yellow] (keyword titles "
                f"instead; clusters {ids}{'...' if len(failed) > 10 else ''}; see llm_log.jsonl)"
            )


def chosen_name(summarizer: Any) -> str:
    return str(getattr(summarizer, "model_id", type(summarizer).__name__))


def _read_labels(labels: str, source: Path | None, n: int) -> list[str]:
    from hercules.data.inputs import read_table

    path = Path(labels)
    if source is None and path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"--labels {labels!r} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                "re-save it as UTF-8."
            ) from None
        values = [line.rstrip("\n") for line in text.splitlines()]
    else:
        if source is None:
            raise InputError(
                f"--labels {labels!r} is not a file; to use a column, also pass --source TABLE."
            )
        if not source.is_file():
            raise InputError(f"No such file: --source {str(source)!r}; give the table file.")
        frame = read_table(source)
        if labels not in frame.columns:
            raise InputError(f"Column {labels!r} not in {source}; columns: {list(frame.columns)}.")
        values = frame[labels].astype(str).tolist()
    if len(values) != n:
        raise InputError(f"--labels gives {len(values)} labels but the run has {n} items.")
    return values


def _sizes(model: Hercules) -> list[int]:
    return [len(level) for level in model.tree_.levels[1:]]


def _print_tree(model: Hercules, *, max_level0: int) -> None:
    Console().print(_tree_view(model.tree_, max_level0=max_level0))


def _tree_view(tree: ClusterTree, *, max_level0: int) -> Tree:
    sizes = [len(level) for level in tree.levels[1:]]
    root = Tree(f"[bold]{tree.n_items} items[/bold], levels {sizes}")
    stack = [(node, root) for node in reversed(tree.nodes(tree.top_level))]
    while stack:
        node, parent = stack.pop()
        # Titles come from an LLM or from user data: print them literally, never as markup.
        label = f"L{node.level} #{node.id} ({node.num_items}) "
        mark = f" [italic]{_escape(EDITED_MARK)}[/italic]" if node.title_edited else ""
        branch = parent.add(label + _escape(node.title) + mark)
        kids = node.children if node.level > 1 else node.children[:max_level0]
        stack.extend((child, branch) for child in reversed(kids))
    return root


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# The explorer's commands (app extra) live in their own module.
register_explorer(app)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except HerculesError as exc:
        console.print(f"[red]Error:[/red] {_escape(str(exc))}")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
