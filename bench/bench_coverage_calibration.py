"""How well the library's coverage agrees with coverage against the 20NG taxonomy.

:func:`hercules.title_quality.coverage_of` needs no labels: the share of the members for which
a part of the title is about as close as any other title of the tree (within ``margin``),
times the share whose topics the title's topic holds (:mod:`hercules.topics`). Before
it chooses titles it is checked here against the labelled hierarchy. For every cluster of a
saved demo run, the candidate titles are the taxonomy's own names (each node holding >= 10% of
the cluster, alone and in pairs and triples, as the oracle enumerates them) and the run's and
keyword titles; each gets both measures. Reported per margin:

* ``spearman``: rank agreement of the library score (coverage, halved when a part names under
  10% of the members) with the taxonomy's coverage x precision, over all (cluster, title) pairs;
* ``agree_at_80``: share of pairs on the same side of 0.8 coverage in both measures;
* ``picked``: mean taxonomy coverage x precision of the title the library score would choose
  per cluster, against ``oracle`` (the best any of them reaches).

    python -m bench.bench_coverage_calibration --run runs/demo
    python -m bench.bench_coverage_calibration --smoke
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from bench import taxonomy as tx
from bench.bench_coverage import keyword_titles, newsgroups_of, smoke_run
from bench.common import RESULTS_DIR, save_json
from hercules import Hercules
from hercules.title_quality import (
    FAITHFULNESS_SAMPLE,
    RIVAL_SCOPES,
    SUPPORT_SHARE,
    coverage_of,
    keyword_words,
    member_space,
    sample_members,
    supported,
    title_parts,
    tree_rivals,
    unit_rows,
)
from hercules.topics import topic_tree

MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25)


def candidate_titles(taxonomy: tx.Taxonomy, groups: Sequence[str]) -> list[tuple[str, ...]]:
    """Node ids, alone and in pairs and triples, of the nodes holding >= 10% of ``groups``."""
    share = tx.shares(taxonomy, groups)
    big = [n for n in taxonomy.named_nodes if share[n] >= tx.MIN_SHARE]
    return [combo for size in (1, 2, 3) for combo in itertools.combinations(big, size)]


def calibrate(
    model: Hercules,
    groups: Sequence[str],
    taxonomy: tx.Taxonomy,
    embed: Callable[[list[str]], np.ndarray],
    extra_titles: dict[int, list[str]] | None = None,
    margins: Sequence[float] = MARGINS,
    scopes: Sequence[str] = RIVAL_SCOPES,
) -> dict[str, Any]:
    """Both measures for every (cluster, candidate title) pair, summarized per margin."""
    tree = model.tree_
    embed = _memo(embed)
    members_space = member_space(tree, embed)
    if members_space is None:
        raise ValueError("the run has no member vectors in its text embedder's space")
    matcher = tx.NodeMatcher(taxonomy, embed)
    titles = [t for lvl in tree.levels[1:] for t in lvl.titles]
    title_vectors = unit_rows(np.asarray(embed(titles), dtype=np.float32))
    topics = topic_tree(embed)
    cache: dict[str, np.ndarray] = {}

    def vectors_of(texts: list[str]) -> np.ndarray:
        key = "\n".join(texts)
        if key not in cache:
            cache[key] = unit_rows(np.asarray(embed(texts), dtype=np.float32))
        return cache[key]

    group_array = np.asarray(groups, dtype=object)
    rows: list[dict[str, Any]] = []
    for lvl in range(1, tree.top_level + 1):
        k = len(tree.levels[lvl])
        sampled = sample_members(tree.labels(lvl), k, FAITHFULNESS_SAMPLE, lvl)
        for c in range(k):
            member_groups = group_array[tree.members(lvl, c)].tolist()
            texts = [
                ", ".join(taxonomy.names[n] for n in combo)
                for combo in candidate_titles(taxonomy, member_groups)
            ]
            texts += [tree.levels[lvl].titles[c]]
            if extra_titles:
                texts += [extra_titles[lvl][c]]
            rivals = {sc: title_vectors[tree_rivals(tree, lvl, c, sc)] for sc in scopes}
            vectors = members_space[sampled[c]]
            for text in dict.fromkeys(texts):
                truth = tx.score_title(matcher, text, member_groups)
                row = {
                    "level": lvl,
                    "cluster": c,
                    "title": text,
                    "truth": truth["coverage"] * truth["precision"],
                    "truth_coverage": truth["coverage"],
                }
                parts = vectors_of(title_parts(text))
                words = keyword_words(text)
                named = vectors_of(words) if words else None
                for scope, margin in itertools.product(scopes, margins):
                    cov, shares = coverage_of(
                        parts, vectors, rivals[scope], topics=topics, margin=margin, named=named
                    )
                    row[f"cov@{scope}@{margin}"] = cov
                    row[f"ok@{scope}@{margin}"] = supported(shares, SUPPORT_SHARE)
                rows.append(row)
    return {"rows": rows, "summary": summarize_rows(rows, margins, scopes)}


def _memo(embed: Callable[[list[str]], np.ndarray]) -> Callable[[list[str]], np.ndarray]:
    """``embed`` that embeds each distinct text once."""
    seen: dict[str, np.ndarray] = {}

    def cached(texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in seen]
        if new:
            seen.update(zip(new, np.asarray(embed(new), dtype=np.float32), strict=True))
        return np.stack([seen[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)

    return cached


def summarize_rows(
    rows: list[dict[str, Any]], margins: Sequence[float], scopes: Sequence[str]
) -> list[dict[str, Any]]:
    truth = np.array([r["truth"] for r in rows])
    truth_cov = np.array([r["truth_coverage"] for r in rows])
    out = []
    keys = sorted({(r["level"], r["cluster"]) for r in rows})
    at = {key: [i for i, r in enumerate(rows) if (r["level"], r["cluster"]) == key] for key in keys}
    for scope, margin in itertools.product(scopes, margins):
        cov = np.array([r[f"cov@{scope}@{margin}"] for r in rows])
        ok = np.array([r[f"ok@{scope}@{margin}"] for r in rows])
        score = cov * np.where(ok, 1.0, 0.5)
        picked, best = [], []
        by_level: dict[int, list[float]] = {}
        for key in keys:
            idx = at[key]
            picked.append(truth[idx][int(np.argmax(score[idx]))])
            best.append(truth[idx].max())
            by_level.setdefault(key[0], []).append(picked[-1])
        out.append(
            {
                "scope": scope,
                "margin": margin,
                "pairs": len(rows),
                "spearman": round(float(spearmanr(score, truth).statistic), 3),
                "agree_at_80": round(float(np.mean((cov >= 0.8) == (truth_cov >= 0.8))), 3),
                "picked": round(float(np.mean(picked)), 3),
                "oracle": round(float(np.mean(best)), 3),
                "picked_per_level": {
                    str(lvl): round(float(np.mean(v)), 3) for lvl, v in sorted(by_level.items())
                },
            }
        )
    return out


def print_table(summary: list[dict[str, Any]]) -> None:
    print(
        f"{'scope':>9} {'margin':>7} {'pairs':>6} {'spearman':>9} {'agree@0.8':>10} "
        f"{'picked':>7} {'oracle':>7}"
    )
    for row in summary:
        print(
            f"{row['scope']:>9} {row['margin']:>7} {row['pairs']:>6} {row['spearman']:>9.3f} "
            f"{row['agree_at_80']:>10.3f} {row['picked']:>7.3f} {row['oracle']:>7.3f} "
            + " ".join(f"L{k} {v:.3f}" for k, v in row["picked_per_level"].items())
        )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("runs/demo"))
    parser.add_argument("--n", type=int, default=2000, help="the demo's --n for that run")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "coverage_calibration.json")
    parser.add_argument("--smoke", action="store_true", help="tiny corpus, fake models")
    args = parser.parse_args(argv)
    if args.smoke:
        with tempfile.TemporaryDirectory() as tmp:
            run, groups, taxonomy, load = smoke_run(Path(tmp))
            model = Hercules.load_model(run, **load)
            embed = model._level0.text_embedder().embed
            result = calibrate(model, groups, taxonomy, embed, margins=(0.0, 0.05))
        print_table(result["summary"])
        return result
    model = Hercules.load_model(args.run)
    assert model.corpus_.texts is not None
    groups = newsgroups_of(model.corpus_.texts, args.n)
    embed = model._level0.text_embedder().embed
    extra = keyword_titles(args.run)
    result = calibrate(model, groups, tx.load_taxonomy(), embed, extra)
    print_table(result["summary"])
    save_json(
        args.out,
        {
            "run": str(args.run),
            "summary": result["summary"],
        },
    )
    return result


if __name__ == "__main__":
    main()
