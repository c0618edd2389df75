"""Which candidate title to keep: selection rules replayed on a run's stored candidates, no LLM.

``bench_titles`` stores every cluster's candidate titles and the title it kept. This script
rebuilds the same clusters (direct mode: clusters do not depend on titles; keyword titles,
seconds), embeds the titles and the label names with MiniLM, and scores top-1 per level (the
title's nearest label name is the members' majority label) for rules that pick one title of a
cluster's set (its candidates plus the title it kept, which differs from them where the run
fell back to a conjunction):

- ``kept``: the title the run kept (its verifier's pick, or the fallback);
- ``nearest_own_centroid``: the title closest to the centroid of the cluster's members;
- ``mean_candidate``: a title of the set drawn at random (the mean over the set);
- ``oracle``: any title of the set names the majority label, the ceiling of every rule that
  picks among them. The set holds the candidates the verifier rejected (copies of a child,
  duplicates), so above level 1 the oracle is optimistic.

It answers whether a better choice or better candidates would move top-1. Writes
bench/results/title_choice_<corpus>.json.

    python -m bench.bench_title_choice --from bench/results/titles_20ng.json --corpus 20ng
    python -m bench.bench_title_choice --from bench/results/titles_bbc.json --corpus bbc \\
        --levels 20,5
    python -m bench.bench_title_choice --smoke    # the bench_titles smoke run, then its replay
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import RESULTS_DIR, machine, save_json
from bench.llm_common import title_hits
from hercules.engine.base import members_by_group


def _key(title: str) -> str:
    return " ".join(title.lower().split())


def replay_level(
    candidates: list[list[str]],
    kept: list[str],
    member_labels: list[np.ndarray],
    member_vectors: list[np.ndarray],
    names: list[str],
    embedder: Any,
) -> dict[str, Any]:
    """Top-1 of each selection rule over one level's clusters."""
    sets = [
        [title] + [c for c in offered if _key(c) != _key(title)]
        for offered, title in zip(candidates, kept, strict=True)
    ]
    flat = [title for titles in sets for title in titles]
    vectors = np.asarray(embedder.embed(flat), dtype=np.float32)
    hits = title_hits(
        vectors,
        [m for m, titles in zip(member_labels, sets, strict=True) for _ in titles],
        names,
        embedder,
    )
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    kept_hits, nearest, mean, oracle = [], [], [], []
    start = 0
    for titles, members in zip(sets, member_vectors, strict=True):
        own = hits[start : start + len(titles)]
        centroid = (
            members / np.maximum(np.linalg.norm(members, axis=1, keepdims=True), 1e-12)
        ).mean(0)
        fit = vectors[start : start + len(titles)] @ centroid
        kept_hits.append(own[0])
        nearest.append(own[int(np.argmax(fit))])
        mean.append(float(np.mean(own)))
        oracle.append(any(own))
        start += len(titles)
    return {
        "clusters": len(candidates),
        "titles_per_cluster": round(len(flat) / max(len(sets), 1), 2),
        "top1": {
            rule: round(float(np.mean(values)), 4)
            for rule, values in (
                ("kept", kept_hits),
                ("nearest_own_centroid", nearest),
                ("mean_candidate", mean),
                ("oracle", oracle),
            )
        },
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, help="a bench_titles results file")
    parser.add_argument("--corpus", choices=["20ng", "bbc"], default="20ng")
    parser.add_argument("--n", type=int, default=None, help="as given to bench_titles")
    parser.add_argument("--levels", default="100,20,5")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="tiny corpus and a fake LLM")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    from bench import bench_titles

    if args.smoke:
        source = Path(tempfile.mkdtemp(prefix="hercules-choice-")) / "titles.json"
        bench_titles.main(["--smoke", "--labellers", "llm", "--out", str(source)])
        texts, labels, vectors, embedder = bench_titles.smoke_corpus()
        args.levels = "6,2"
    else:
        if args.source is None:
            parser.error("--from names the bench_titles results file to replay")
        from hercules.embed import MiniLMEmbedder

        source = args.source
        texts, labels, vectors, _ = bench_titles.load(args.corpus, args.n, args.seed)
        embedder = MiniLMEmbedder()
    stored = json.loads(source.read_text())
    candidates = stored["results"]["llm"]["candidates"]
    stored_titles = stored["results"]["llm"]["titles"]
    levels = [int(k) for k in args.levels.split(",")]
    model, _, _ = bench_titles.run("keywords", texts, vectors, levels, None, embedder)
    tree, truth = model.tree_, np.asarray(labels)
    names = sorted(set(truth.tolist()))
    rows = []
    for level in range(1, tree.top_level + 1):
        groups = tree.labels(level)
        level_candidates = candidates[f"L{level}"]
        if len(level_candidates) != len(tree.levels[level]):
            parser.error(
                f"{source} holds {len(level_candidates)} clusters at level {level}, the rebuilt "
                f"tree {len(tree.levels[level])}: give the --corpus, --n, --levels and --seed "
                "the run used"
            )
        members = members_by_group(groups, len(level_candidates))
        row = replay_level(
            [list(titles) for titles in level_candidates],
            list(stored_titles[f"L{level}"]),
            [truth[rows] for rows in members],
            [np.asarray(vectors)[rows] for rows in members],
            names,
            embedder,
        )
        rows.append({"level": level, **row})
        print(json.dumps(rows[-1]), flush=True)
    payload = {
        "what": "top-1 of title selection rules replayed on stored candidates (no LLM)",
        "source": str(source) if not args.smoke else "bench_titles --smoke",
        "corpus": args.corpus if not args.smoke else "smoke",
        "levels": levels,
        "results": rows,
        "machine": machine(),
    }
    out = args.out or RESULTS_DIR / f"title_choice_{payload['corpus']}.json"
    save_json(out, payload)
    return payload


if __name__ == "__main__":
    main()
