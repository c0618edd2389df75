"""Command-line interface: ``hercules run | evaluate | show | demo``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.tree import Tree

from hercules.errors import HerculesError, InputError
from hercules.estimator import Hercules

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
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
    if text is None or text.strip().lower() in {"", "auto"}:
        return None
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        raise typer.BadParameter(
            f"--levels must be comma-separated ints like 100,20,5 or 'auto'; got {text!r}"
        ) from None
    if any(c < 1 for c in counts):
        raise typer.BadParameter(f"--levels values must be >= 1; got {text!r}")
    return counts


def _fit(model: Hercules, data: Any, **kwargs: Any) -> None:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        model.progress = _RichProgress(bar)
        model.fit(data, **kwargs)
    model.progress = None


@app.command()
def run(
    input: Annotated[
        str, typer.Argument(help="Text/CSV/Parquet/JSONL file, or a folder of .txt or images")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write the run to")],
    levels: Annotated[
        str | None, typer.Option(help="k per level bottom-up, e.g. 100,20,5; 'auto' chooses")
    ] = None,
    mode: Annotated[str, typer.Option(help="direct or description")] = "direct",
    topic_seed: Annotated[
        str | None, typer.Option(help="Focus the summaries on this topic")
    ] = None,
    column: Annotated[str | None, typer.Option(help="Column of a table file to cluster")] = None,
    modality: Annotated[
        str | None, typer.Option(help="text, image or numeric (auto-detected)")
    ] = None,
    embeddings: Annotated[
        Path | None, typer.Option(help=".npy of precomputed level-0 vectors")
    ] = None,
    resample: Annotated[bool, typer.Option(help="Resampling refinement (Vo et al. 2024)")] = False,
    seed: Annotated[int, typer.Option(help="Random seed")] = 42,
    backend: Annotated[
        str, typer.Option(help="local, or ray: embed and call the LLM on Ray workers")
    ] = "local",
    labeller: Annotated[str, typer.Option(help=_LABELLER_HELP)] = "auto",
    llm_threads: Annotated[int, typer.Option(help="CPU threads for the local LLM")] = 2,
    llm_item_descriptions: Annotated[
        bool, typer.Option(help="One LLM sentence per item as its level-0 description (slow)")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Print the LLM calls, tokens and time it would take; stop")
    ] = False,
    resume: Annotated[
        bool, typer.Option(help="Checkpoint each level in --out and resume an interrupted run")
    ] = True,
    overwrite: Annotated[
        bool, typer.Option(help="Replace a run of other data already saved in --out")
    ] = False,
) -> None:
    """Cluster INPUT into a labelled hierarchy and save it to --out."""
    from hercules.checkpoint import refuse_other_data
    from hercules.data.chunks import open_vectors
    from hercules.data.inputs import load_corpus
    from hercules.persist import check_writable

    _llm_env(llm_threads)
    if dry_run:
        _dry_run(input, parse_levels(levels), labeller, column=column, modality=modality)
        return
    check_writable(out)  # before any work: a bad --out must not cost an embedding pass
    corpus = load_corpus(input, modality=modality, column=column)
    if not overwrite:
        refuse_other_data(out, corpus)
    # Memory-mapped: large vector files are read in row blocks, never loaded whole.
    vectors = None if embeddings is None else open_vectors(embeddings)
    model = Hercules(
        parse_levels(levels),
        representation_mode=mode,
        use_resampling=resample,
        random_state=seed,
        backend=backend,
        labeller=labeller,
        use_llm_for_l0_descriptions=llm_item_descriptions,
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
    run_dir: Annotated[Path, typer.Argument(help="A directory written by `hercules run`")],
    labels: Annotated[
        str | None,
        typer.Option(help="Ground truth: a file with one label per line, or a column of --source"),
    ] = None,
    source: Annotated[
        Path | None, typer.Option(help="Table file holding the --labels column")
    ] = None,
) -> None:
    """Print metrics for every level (internal; external too with --labels)."""
    import json

    model = Hercules.load_model(run_dir)
    truth = _read_labels(labels, source, model.tree_.n_items) if labels else None
    results = [model.evaluate_level(lvl, truth) for lvl in range(1, model.tree_.top_level + 1)]
    typer.echo(json.dumps(results, indent=2))


@app.command()
def show(
    run_dir: Annotated[Path, typer.Argument(help="A directory written by `hercules run`")],
    items: Annotated[
        int, typer.Option(help="Level-0 items to list under each level-1 cluster")
    ] = 0,
) -> None:
    """Show the saved hierarchy as a tree in the terminal."""
    model = Hercules.load_model(run_dir)
    _print_tree(model, max_level0=items)


@app.command()
def assign(
    run_dir: Annotated[Path, typer.Argument(help="A directory written by `hercules run`")],
    input: Annotated[str, typer.Argument(help="New items: a file or folder, as for `run`")],
    column: Annotated[str | None, typer.Option(help="Column of a table file")] = None,
    append: Annotated[bool, typer.Option(help="Add the items to the run and save it")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the assignments to this CSV")
    ] = None,
    stale_threshold: Annotated[
        float, typer.Option(help="With --append: flag clusters that grew by more than this")
    ] = 0.1,
) -> None:
    """Route new items into a saved hierarchy (nearest level-1 centroid, then up the tree)."""
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
    run_dir: Annotated[Path, typer.Argument(help="A directory written by `hercules run`")],
    stale: Annotated[
        bool, typer.Option("--stale/--all", help="Only clusters flagged stale")
    ] = True,
) -> None:
    """Rewrite cluster summaries of a saved run (by default only the stale ones) and save it."""
    model = Hercules.load_model(run_dir)
    done = model.relabel(stale_only=stale)
    model.save_model(run_dir)
    console.print(f"Relabelled {sum(done.values())} cluster(s): {done or 'none were stale'}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to save the run")] = Path(
        "runs/demo"
    ),
    n: Annotated[int, typer.Option(help="Number of 20 Newsgroups documents to sample")] = 2000,
    levels: Annotated[str, typer.Option(help="k per level")] = "40,10,4",
    labeller: Annotated[str, typer.Option(help=_LABELLER_HELP)] = "auto",
    llm_threads: Annotated[int, typer.Option(help="CPU threads for the local LLM")] = 2,
) -> None:
    """The main job on the embedded default models: a 20 Newsgroups sample, end to end."""
    _llm_env(llm_threads)
    from hercules.data.newsgroups import load_newsgroups
    from hercules.persist import check_writable

    check_writable(out)

    try:
        corpus = load_newsgroups()
    except InputError as exc:
        raise InputError(
            f"{exc} The demo needs that file (it ships with the project's shared data)."
        ) from None
    rng = np.random.default_rng(0)
    keep = np.sort(rng.choice(len(corpus.texts), size=min(n, len(corpus.texts)), replace=False))
    texts = [corpus.texts[i] for i in keep]
    truth = [corpus.categories[i] for i in keep]
    console.print(f"20 Newsgroups: {len(texts)} documents sampled from {len(corpus.texts)}")
    model = Hercules(parse_levels(levels), labeller=labeller)
    _fit(model, texts)
    model.save_model(out)
    _print_tree(model, max_level0=0)
    _report_labels(model)
    for lvl in range(1, model.tree_.top_level + 1):
        m = model.evaluate_level(lvl, truth, calculate_llm_internal_metrics=False)
        console.print(
            f"level {lvl}: {m['n_clusters']} clusters, ARI {m['ari']:.3f}, NMI {m['nmi']:.3f}"
        )
    console.print(f"[green]Saved[/green] to {out}; explore with `hercules show {out}`")


_LABELLER_HELP = (
    "auto (local LLM when installed, else keywords), llm, keywords, smollm2-135m or a .gguf path"
)


def _llm_env(threads: int) -> None:
    import os

    if threads < 1:
        raise typer.BadParameter(f"--llm-threads must be >= 1; got {threads}")
    os.environ["HERCULES_LLM_THREADS"] = str(threads)


def _dry_run(
    data: str, levels: list[int] | None, labeller: str, *, column: str | None, modality: str | None
) -> None:
    import json

    from hercules.data.inputs import load_corpus
    from hercules.summarize.choose import DEFAULT_BATCH_SIZE, resolve_labeller
    from hercules.summarize.keywords import KeywordSummarizer
    from hercules.summarize.plan import plan_run

    corpus = load_corpus(data, modality=modality, column=column)
    chosen = resolve_labeller(labeller, cache=False)
    name = "keywords" if isinstance(chosen, KeywordSummarizer) else chosen_name(chosen)
    plan = plan_run(corpus, levels, labeller=name, batch_size=DEFAULT_BATCH_SIZE)
    console.print(
        f"{len(corpus)} items; levels {plan['levels']}"
        + (" (guessed; automatic k)" if plan["levels_guessed"] else "")
        + f"; labeller {name}: {plan['calls']} LLM calls, ~{plan['prompt_tokens']:,} prompt "
        f"and ~{plan['generated_tokens']:,} generated tokens, ~{plan['seconds'] / 60:.1f} min "
        "on 2 CPU threads (uncached)"
    )
    typer.echo(json.dumps(plan))


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
    tree = model.tree_
    root = Tree(f"[bold]{tree.n_items} items[/bold], levels {_sizes(model)}")
    stack = [(node, root) for node in reversed(tree.nodes(tree.top_level))]
    while stack:
        node, parent = stack.pop()
        # Titles come from an LLM or from user data: print them literally, never as markup.
        label = f"L{node.level} #{node.id} ({node.num_items}) "
        branch = parent.add(label + _escape(node.title))
        kids = node.children if node.level > 1 else node.children[:max_level0]
        stack.extend((child, branch) for child in reversed(kids))
    Console().print(root)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# ---------------------------------------------------------------------- explorer (app extra)
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _serve(dash_app: Any, host: str, port: int) -> None:
    if host not in _LOCAL_HOSTS:
        console.print(
            f"[yellow]Warning:[/yellow] binding {_escape(host)}:{port} exposes the explorer (and "
            "its upload/run form) to other machines; it has no authentication."
        )
    console.print(f"Explorer on http://{_escape(host)}:{port}  (Ctrl+C to stop)")
    dash_app.run(host=host, port=port, debug=False)


@app.command()
def serve(
    run_dir: Annotated[Path, typer.Argument(help="A directory written by `hercules run`")],
    host: Annotated[str, typer.Option(help="Interface to bind; 127.0.0.1 is local only")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8050,
) -> None:
    """Open a saved run in the interactive explorer (needs the app extra)."""
    from hercules.errors import RunDirectoryError, require

    if not run_dir.is_dir():
        raise RunDirectoryError(f"{run_dir} is not a directory; give a run folder to serve.")
    require("dash", "hercules serve", "hercules-cluster[app]")
    from hercules.app import make_app

    _serve(make_app(run_dir), host, port)


@app.command("app")
def app_command(
    host: Annotated[str, typer.Option(help="Interface to bind; 127.0.0.1 is local only")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8050,
    workdir: Annotated[
        Path | None, typer.Option(help="Where runs made in the app are saved (default: a temp dir)")
    ] = None,
) -> None:
    """Start the explorer empty: upload data, configure and run in the browser."""
    from hercules.errors import require

    require("dash", "hercules app", "hercules-cluster[app]")
    from hercules.app import make_app

    _serve(make_app(None, workdir=workdir), host, port)


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A directory written by `hercules run`")],
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write")] = Path(
        "report.html"
    ),
) -> None:
    """Write one self-contained HTML file (tree, treemap, scatter) that opens offline."""
    from hercules.errors import require

    require("plotly", "hercules report", "hercules-cluster[app]")
    from hercules.app.report import write_report

    path = write_report(run_dir, out)
    console.print(f"[green]Wrote[/green] {_escape(str(path))}")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except HerculesError as exc:
        console.print(f"[red]Error:[/red] {_escape(str(exc))}")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
