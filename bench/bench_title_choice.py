"""Which candidate title to keep: selection rules replayed on a run's stored candidates, no LLM.

``bench_titles`` stores every cluster's candidate titles and the title it kept. This script
rebuilds the same clusters (direct mode: clusters do not depend on titles; keyword titles,
seconds), embeds the titles and the label names with MiniLM, and scores top-1 per level (the
title's nearest label name is the members' majority label) for rules that pick one title of a
cluster's set (its candidates plus the title it kept, which differs from them where the run
fell back to a conjunction):

- ``kept``: the title the run kept (its verifier's pick, or the fallback);
- ``nearest_own_centroid``: the title closest to the centroid of the cluster's members;
- ``margin_all``: the level-1 verifier before the tenth session, ``own + (own - max other)``
  over the centroids of every other cluster of the level;
- ``margin_half_cousins``: the verifier since then, half of that margin taken over the
  clusters under other parents only (the same as ``margin_all`` when parents are unknown);
- ``mean_candidate``: a title of the set drawn at random (the mean over the set);
- ``oracle``: any title of the set names the majority label, the ceiling of every rule that
  picks among them. The set holds the candidates the verifier rejected (copies of a child,
  duplicates), so above level 1 the oracle is optimistic; the rules do not apply the
  verifier's rejections either.

For the rules that pick one title per cluster it also scores faithfulness among siblings of
the titles alone (64 sampled members per cluster; the run's descriptions are not stored).
Several results files (``--from A B ...``, independent runs of the same clusters) are replayed
one by one and averaged, so a rule is judged on more than one run's candidates.

It answers whether a better choice or better candidates would move top-1. Writes
bench/results/title_choice_<corpus>.json.

    python -m bench.bench_title_choice --from bench/results/titles_20ng.json --corpus 20ng
    python -m bench.bench_title_choice --corpus 20ng --from bench/results/titles_20ng.json \\
        bench/results/titles_20ng_ninth.json bench/results/titles_20ng_slots2.json
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
from hercules.title_quality import FAITHFULNESS_SAMPLE, faithfulness, unit_rows


def _key(title: str) -> str:
    return " ".join(title.lower().split())


PICKING_RULES = ("kept", "nearest_own_centroid", "margin_all", "margin_half_cousins")


def replay_level(
    candidates: list[list[str]],
    kept: list[str],
    member_labels: list[np.ndarray],
    member_vectors: list[np.ndarray],
    names: list[str],
    embedder: Any,
    parents: list[int] | None = None,
    sample: int = FAITHFULNESS_SAMPLE,
) -> dict[str, Any]:
    """Top-1 of each selection rule over one level's clusters, and the faithfulness (among
    siblings, titles alone) of the rules that pick one title per cluster.

    ``parents`` gives each cluster's parent at the next level (None: the level is the top, or
    unknown, and every cluster is every other's sibling)."""
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
    vectors = unit_rows(vectors)
    k = len(sets)
    centroids = unit_rows(np.stack([unit_rows(members).mean(0) for members in member_vectors]))
    groups = parents if parents is not None else [0] * k
    picks: dict[str, list[int]] = {rule: [] for rule in PICKING_RULES}
    mean, oracle = [], []
    start = 0
    for c, titles in enumerate(sets):
        own_hits = hits[start : start + len(titles)]
        sims = vectors[start : start + len(titles)] @ centroids.T
        own = sims[:, c]
        margin = own - np.delete(sims, c, axis=1).max(axis=1) if k > 1 else np.zeros(len(titles))
        cousins = [j for j in range(k) if groups[j] != groups[c]]
        half = 0.5 * margin + 0.5 * (own - sims[:, cousins].max(axis=1)) if cousins else margin
        picks["kept"].append(start)
        picks["nearest_own_centroid"].append(start + int(np.argmax(own)))
        picks["margin_all"].append(start + int(np.argmax(own + margin)))
        picks["margin_half_cousins"].append(start + int(np.argmax(own + half)))
        mean.append(float(np.mean(own_hits)))
        oracle.append(any(own_hits))
        start += len(titles)
    # Faithfulness among siblings of each rule's titles, on a seeded sample of members.
    rng = np.random.default_rng(0)
    sampled = [
        rows[np.sort(rng.choice(len(rows), size=min(sample, len(rows)), replace=False))]
        for rows in member_vectors
    ]
    pool = np.concatenate(sampled)
    bounds = np.cumsum([0] + [len(rows) for rows in sampled])
    members = [np.arange(bounds[c], bounds[c + 1]) for c in range(k)]
    siblings = [np.flatnonzero(np.asarray(groups) == groups[c]) for c in range(k)]
    with_rivals = np.array([len(rivals) > 1 for rivals in siblings])
    top1 = {rule: float(np.mean([hits[i] for i in rows])) for rule, rows in picks.items()}
    faith = {
        rule: float(np.mean(faithfulness(vectors[rows], pool, members, siblings)[with_rivals]))
        if with_rivals.any()
        else float("nan")
        for rule, rows in picks.items()
    }
    return {
        "clusters": k,
        "titles_per_cluster": round(len(flat) / max(k, 1), 2),
        "top1": {
            **{rule: round(value, 4) for rule, value in top1.items()},
            "mean_candidate": round(float(np.mean(mean)), 4),
            "oracle": round(float(np.mean(oracle)), 4),
        },
        "faithfulness_siblings": {rule: round(value, 4) for rule, value in faith.items()},
    }


def _mean_rows(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per level, each rule's figures averaged over the replayed runs."""
    out = []
    for rows in zip(*runs, strict=True):
        first = rows[0]
        out.append(
            {
                "level": first["level"],
                "clusters": first["clusters"],
                "runs": len(rows),
                **{
                    key: {
                        rule: round(float(np.mean([row[key][rule] for row in rows])), 4)
                        for rule in first[key]
                    }
                    for key in ("top1", "faithfulness_siblings")
                },
            }
        )
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--from",
        dest="sources",
        type=Path,
        nargs="+",
        help="bench_titles results files of the same clusters (replayed one by one, averaged)",
    )
    parser.add_argument("--corpus", choices=["20ng", "bbc"], default="20ng")
    parser.add_argument("--n", type=int, default=None, help="as given to bench_titles")
    parser.add_argument("--levels", default="100,20,5")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="tiny corpus and a fake LLM")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    from bench import bench_titles

    if args.smoke:
        sources = [Path(tempfile.mkdtemp(prefix="hercules-choice-")) / "titles.json"]
        bench_titles.main(["--smoke", "--labellers", "llm", "--out", str(sources[0])])
        texts, labels, vectors, embedder = bench_titles.smoke_corpus()
        args.levels = "6,2"
    else:
        if not args.sources:
            parser.error("--from names the bench_titles results files to replay")
        from hercules.embed import MiniLMEmbedder

        sources = args.sources
        texts, labels, vectors, _ = bench_titles.load(args.corpus, args.n, args.seed)
        embedder = MiniLMEmbedder()
    levels = [int(k) for k in args.levels.split(",")]
    model, _, _ = bench_titles.run("keywords", texts, vectors, levels, None, embedder)
    tree, truth = model.tree_, np.asarray(labels)
    names = sorted(set(truth.tolist()))
    runs: dict[str, list[dict[str, Any]]] = {}
    for source in sources:
        stored = json.loads(source.read_text())["results"]["llm"]
        rows = []
        for level in range(1, tree.top_level + 1):
            offered = stored["candidates"][f"L{level}"]
            if len(offered) != len(tree.levels[level]):
                parser.error(
                    f"{source} holds {len(offered)} clusters at level {level}, the rebuilt tree "
                    f"{len(tree.levels[level])}: give the --corpus, --n, --levels and --seed "
                    "the run used"
                )
            members = members_by_group(tree.labels(level), len(offered))
            above = tree.levels[level].parent
            row = replay_level(
                [list(titles) for titles in offered],
                list(stored["titles"][f"L{level}"]),
                [truth[items] for items in members],
                [np.asarray(vectors)[items] for items in members],
                names,
                embedder,
                parents=None if above is None else [int(p) for p in above],
            )
            rows.append({"level": level, **row})
        runs[source.name if args.smoke else str(source)] = rows
        print(source, json.dumps([(row["level"], row["top1"]) for row in rows]), flush=True)
    mean = _mean_rows(list(runs.values()))
    for row in mean:
        print(json.dumps(row), flush=True)
    payload = {
        "what": "title selection rules replayed on stored candidates (no LLM)",
        "sources": list(runs) if not args.smoke else ["bench_titles --smoke"],
        "corpus": args.corpus if not args.smoke else "smoke",
        "levels": levels,
        "results": mean,
        "runs": runs,
        "machine": machine(),
    }
    out = args.out or RESULTS_DIR / f"title_choice_{payload['corpus']}.json"
    save_json(out, payload)
    return payload


if __name__ == "__main__":
    main()
