"""Title coverage against the 20NG taxonomy: our titles, keyword titles and the oracle, per level.

Beside our titles, "best weighed" scores the best title, by the taxonomy, among those the namer
weighed for each cluster (``Cluster.title_candidates``): what a perfect choice would reach, so a
gap to the oracle can be told apart into the titles offered and the choice among them.

Scores a saved run (by default the demo's: ``hercules demo`` saves to runs/demo) with the
measures of :mod:`bench.taxonomy`. Each item's newsgroup comes from drawing the demo's sample
again (``hercules.data.newsgroups.sample_posts``, same seed) and checking that its texts are
the run's, item for item. Keyword titles are those the keyword labeller gives the same tree
(the run is loaded a second time and relabelled with ``labeller="keywords"``). Writes
bench/results/coverage_demo.json.

    python -m bench.bench_coverage --run runs/demo                 # rescore a saved demo run
    python -m bench.bench_coverage --run runs/demo --replay        # renamed with its answers
    flock /tmp/hercules-heavy.lock python -m bench.bench_coverage --build      # demo, then score
    flock /tmp/hercules-heavy.lock python -m bench.bench_coverage --build --all --levels 100,20,5 \\
        --out bench/results/coverage_20ng.json                    # all of 20NG
    python -m bench.bench_coverage --smoke                          # tiny corpus, fake models
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench import taxonomy as tx
from bench.common import RESULTS_DIR, machine, save_json
from hercules import Hercules
from hercules.errors import InputError

# Our titles; the best by the taxonomy among the titles the namer weighed for each cluster
# (how much a perfect choice would gain; the run's own titles where none were kept); keywords.
SOURCES = ("ours", "best weighed", "keywords")
ROOT = Path(__file__).resolve().parents[1]


def tree_titles(model: Hercules) -> tuple[dict[int, list[str]], dict[int, list[np.ndarray]]]:
    """Every level's titles and each cluster's level-0 members."""
    tree = model.tree_
    titles = {lvl: list(tree.levels[lvl].titles) for lvl in range(1, tree.top_level + 1)}
    members = {lvl: [tree.members(lvl, i) for i in range(len(tree.levels[lvl]))] for lvl in titles}
    return titles, members


def weighed_titles(model: Hercules) -> dict[int, list[list[str]]]:
    """Every cluster's title and the other titles the namer weighed for it, the title first."""
    tree = model.tree_
    return {
        lvl: [
            list(dict.fromkeys((node.title, *node.title_candidates)))
            for node in (tree.node(lvl, i) for i in range(len(tree.levels[lvl])))
        ]
        for lvl in range(1, tree.top_level + 1)
    }


def keyword_titles(run: Path, **load: Any) -> dict[int, list[str]]:
    """The keyword labeller's titles for the saved run's own tree (the run is not changed)."""
    model = Hercules.load_model(run, labeller="keywords", **load)
    model.relabel(stale_only=False)
    return tree_titles(model)[0]


def newsgroups_of(texts: Sequence[str], n: int) -> list[str]:
    """The newsgroup of each of the run's items, from the demo's own sample of ``n`` posts.

    Raises InputError when the run's texts are not that sample's (another ``--n``, another
    corpus), naming the fix.
    """
    from hercules.data.newsgroups import load_newsgroups, sample_posts

    corpus = load_newsgroups()
    sample, groups, _ = sample_posts(corpus, min(n, len(corpus.texts)))
    if len(sample) != len(texts) or any(a != b for a, b in zip(sample, texts, strict=True)):
        raise InputError(
            f"The run's {len(texts)} items are not the demo's sample of {n} posts "
            f"({len(sample)} non-empty). Pass the --n the run was made with (or --all)."
        )
    return groups


def score_run(
    run: Path,
    groups: Sequence[str],
    taxonomy: tx.Taxonomy,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    model: Hercules | None = None,
    **load: Any,
) -> dict[str, Any]:
    """Per level: our titles' scores, the best of the titles weighed for each cluster, the
    keyword titles', and the oracle's (in ``ours``); ``model`` is the run as loaded, or as
    renamed (:mod:`bench.replay`) when given."""
    model = model if model is not None else Hercules.load_model(run, **load)
    if model.corpus_.texts is None:
        raise InputError(f"The run in {run} holds no texts; the coverage bench needs a text run.")
    if len(groups) != model.tree_.n_items:
        raise InputError(
            f"{len(groups)} newsgroups for the {model.tree_.n_items} items of the run in {run}."
        )
    embedder = embed or model._level0.text_embedder().embed
    matcher = tx.NodeMatcher(taxonomy, embedder)
    titles, members = tree_titles(model)
    ours = tx.score_levels(matcher, titles, members, groups)
    best = tx.best_titles(matcher, weighed_titles(model), members, groups)
    weighed = tx.score_levels(matcher, best, members, groups, with_oracle=False)
    keywords = tx.score_levels(
        matcher, keyword_titles(run, **load), members, groups, with_oracle=False
    )
    return {
        # a name as saved ("auto"), or the id of the model a renaming summarizer stands in for
        "labeller": model.labeller
        if isinstance(model.labeller, str)
        else str(getattr(model.labeller, "model_id", type(model.labeller).__name__)),
        "levels": [len(titles[lvl]) for lvl in sorted(titles)],
        "items": model.tree_.n_items,
        "scores": {"ours": ours, "best weighed": weighed, "keywords": keywords},
    }


def table(scores: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per level and title source (ours, best weighed, keywords, oracle, oracle not too
    broad); a results file without a source has no row for it."""
    rows = []
    ours = scores["ours"]
    for level in sorted(ours, key=int):
        for source in (s for s in SOURCES if s in scores):
            m = scores[source][level]["means"]
            rows.append({"level": int(level), "titles": source} | _rounded(m))
        m = ours[level]["means"]
        rows.append(
            {"level": int(level), "titles": "oracle (<= 3 names)"}
            | _rounded(
                {
                    "coverage": m["oracle_coverage"],
                    "precision": 1.0,
                    "coverage_x_precision": m["oracle_coverage"],
                    "too_broad": None,
                }
            )
        )
        rows.append(
            {"level": int(level), "titles": "oracle, not too broad"}
            | _rounded(
                {
                    "coverage": m["oracle_specific_coverage"],
                    "precision": 1.0,
                    "coverage_x_precision": m["oracle_specific_coverage"],
                    "too_broad": 0.0,
                }
            )
        )
    return rows


def _rounded(means: dict[str, Any]) -> dict[str, Any]:
    keys = ("coverage", "precision", "coverage_x_precision", "too_broad")
    return {k: None if means.get(k) is None else round(float(means[k]), 3) for k in keys}


def print_table(rows: list[dict[str, Any]]) -> None:
    keys = ("coverage", "precision", "coverage_x_precision", "too_broad")
    heads = ("coverage", "precision", "cov x prec", "too broad")
    print(f"{'level':>5}  {'titles':<22}" + "".join(f" {h:>10}" for h in heads))
    for r in rows:
        cells = ["-" if r[k] is None else f"{r[k]:.3f}" for k in keys]
        print(f"{r['level']:>5}  {r['titles']:<22}" + "".join(f" {c:>10}" for c in cells))


def refuse_saved_run(out: Path) -> None:
    """Exit when ``out`` holds a saved run: `hercules demo` would resume it, not build anew."""
    if (out / "manifest.json").exists():
        raise SystemExit(
            f"{out} holds a saved run, which `hercules demo` would resume instead of building "
            "a new one; remove it or build into another folder."
        )


def build_demo(
    out: Path, n: int, levels: str, extra: list[str], cache: Path | None = None
) -> dict[str, Any]:
    """Run ``hercules demo`` into ``out``; its wall time and the LLM's tokens from the run's log.

    Without ``cache`` the run starts from an empty cache, as in a new clone: every post
    embedded, every title asked. With it, runs that share it ask a level-1 cluster once."""
    from bench.llm_common import log_totals
    from hercules.store import read_log

    refuse_saved_run(out)
    command = [sys.executable, "-m", "hercules.cli", "demo", "--out", str(out)]
    command += ["--n", str(n), "--levels", levels, *extra]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-coverage-cache-") as fresh:
        where = str(cache) if cache is not None else fresh
        subprocess.run(command, check=True, env=dict(os.environ, HERCULES_CACHE_DIR=where))
    seconds = round(time.perf_counter() - start, 1)
    return {"seconds": seconds, "llm": log_totals(read_log(out))}


def smoke_run(folder: Path) -> tuple[Path, list[str], tx.Taxonomy, dict[str, Any]]:
    """A tiny run on six disjoint vocabularies, fake LLM, hashed vectors, and a toy taxonomy."""
    from bench.bench_llm_batch import _Hashing
    from bench.smoke import FakeLLM, tiny_newsgroups
    from hercules.summarize.llm import LLMSummarizer

    news = tiny_newsgroups()
    embedder = _Hashing()
    model = Hercules(
        [6, 2],
        labeller=LLMSummarizer(FakeLLM(), cache=None),
        text_embedding_client=embedder,
        cache=False,
    )
    model.fit(news.texts)
    run = folder / "run"
    model.save_model(run)
    nodes: dict[str, Any] = {}
    for group in dict.fromkeys(news.categories):
        area = group.split(".")[0]
        nodes.setdefault(area, {"name": area, "parent": None})
        nodes[group] = {"name": group.split(".")[-1], "parent": area}
    return (
        run,
        list(news.categories),
        tx.taxonomy_from_dict({"nodes": nodes}),
        {"text_embedding_client": embedder},
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--run", type=Path, default=Path("runs/demo"), help="saved run to score")
    parser.add_argument("--build", action="store_true", help="run `hercules demo` into --run first")
    parser.add_argument("--n", type=int, default=2000, help="posts in the demo's sample")
    parser.add_argument("--all", action="store_true", help="all of 20NG (the sample is every post)")
    parser.add_argument("--levels", default="40,10,4", help="levels for --build")
    parser.add_argument("--demo-args", default="", help="more arguments for `hercules demo`")
    parser.add_argument("--taxonomy", type=Path, default=None, help="20ng_taxonomy.json")
    parser.add_argument(
        "--replay",
        action="store_true",
        help="rename --run with its own build's answers first (bench.replay): this code's "
        "titles from that build's model, prompts it lacks asked anew",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny corpus and fake models")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "coverage_demo.json")
    args = parser.parse_args(argv)
    build: dict[str, Any] | None = None
    replays: dict[str, int] | None = None  # calls replayed and asked anew (--replay)
    if args.smoke:
        tmp = Path(tempfile.mkdtemp(prefix="bench-coverage-"))
        run, groups, taxonomy, load = smoke_run(tmp)
        result = score_run(run, groups, taxonomy, **load)
    else:
        n = 10**6 if args.all else args.n
        taxonomy = tx.load_taxonomy(args.taxonomy)
        if args.build:
            build = build_demo(args.run, n, args.levels, shlex.split(args.demo_args))
        elif not (args.run / "manifest.json").is_file():
            parser.error(
                f"no saved run in {args.run}; make one with `hercules demo` or pass --build"
            )
        if args.replay:
            from bench.replay import replayed

            model, llm = replayed(args.run)
            replays = {"replayed": llm.replayed, "asked": llm.asked}
        else:
            model = Hercules.load_model(args.run)
        texts = model.corpus_.texts or []
        result = score_run(args.run, newsgroups_of(texts, n), taxonomy, model=model)
    rows = table(result["scores"])
    print_table(rows)
    payload = {
        "what": "title coverage, precision and breadth against the 20NG taxonomy, per level",
        "run": str(args.run) if not args.smoke else "smoke",
        "corpus": "smoke"
        if args.smoke
        else ("20NG, all posts" if args.all else f"20NG demo sample of {args.n}"),
        "thresholds": {
            "min_share": tx.MIN_SHARE,
            "too_broad_share": tx.TOO_BROAD_SHARE,
            "oracle_names": tx.ORACLE_NAMES,
        },
        "build": build,
        "replay": replays,
        **{k: result[k] for k in ("labeller", "levels", "items")},
        "table": rows,
        "scores": result["scores"],
        "machine": machine() | {"threads_env": os.environ.get("OMP_NUM_THREADS")},
    }
    save_json(args.out, payload)
    return payload


if __name__ == "__main__":
    main()
