"""Title coverage over several hierarchies of the same demo sample, pooled per cluster.

The demo's levels [40, 10, 4] give 14 parents: one title more or less right moves a level's
mean by 0.07 to 0.25. Here the same 2,000 posts are clustered with several level structures
(the same 40 level-1 clusters under 7 to 20 level-2 ones), each run scored with
:mod:`bench.bench_coverage`, and the clusters are pooled: level 1 once (it is the same in
every run), the parents (level 2 and up) of all runs together. The runs share one cache, so
a level-1 cluster is asked once; every parent is asked in its own run.

    flock /tmp/hercules-heavy.lock python -m bench.bench_coverage_structures
    python -m bench.bench_coverage_structures --smoke
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench import taxonomy as tx
from bench.bench_coverage import (
    build_demo,
    newsgroups_of,
    refuse_saved_run,
    score_run,
    smoke_run,
)
from bench.common import RESULTS_DIR, save_json
from hercules import Hercules

STRUCTURES = ("40,10,4", "40,14,5", "40,7,3", "40,20,6")
SOURCES = ("ours", "keywords")


def pooled(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean coverage, precision and their product per title source, over level 1 of the first
    run and over the parents of all runs (one row each)."""
    rows = []
    for group in ("level 1", "parents"):
        for source in (*SOURCES, "oracle"):
            cells: list[tuple[float, float]] = []
            for k, run in enumerate(runs):
                scores = run["scores"]["ours" if source == "oracle" else source]
                for level, data in scores.items():
                    if (group == "level 1") != (level == "1") or (group == "level 1" and k):
                        continue
                    for c in data["clusters"]:
                        if source == "oracle":
                            cells.append((c["oracle"]["coverage"], 1.0))
                        else:
                            cells.append((c["coverage"], c["precision"]))
            values = np.asarray(cells, dtype=float).reshape(-1, 2)
            rows.append(
                {
                    "clusters": group,
                    "titles": source,
                    "n": len(values),
                    "coverage": round(float(values[:, 0].mean()), 3),
                    "precision": round(float(values[:, 1].mean()), 3),
                    "coverage_x_precision": round(float((values[:, 0] * values[:, 1]).mean()), 3),
                    "coverage_x_precision_se": round(
                        float(tx.mean_se(values[:, 0] * values[:, 1])[1]), 3
                    ),
                }
            )
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    heads = ("clusters", "titles", "n", "coverage", "precision", "cov x prec")
    print(" ".join(f"{h:>10}" for h in heads))
    for r in rows:
        print(
            f"{r['clusters']:>10} {r['titles']:>10} {r['n']:>10} {r['coverage']:>10.3f} "
            f"{r['precision']:>10.3f} {r['coverage_x_precision']:>10.3f}"
        )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--structures", nargs="+", default=list(STRUCTURES))
    parser.add_argument("--runs", type=Path, default=Path("runs/coverage-structures"))
    parser.add_argument("--n", type=int, default=2000, help="posts in the demo's sample")
    parser.add_argument("--smoke", action="store_true", help="tiny corpus and fake models")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "coverage_structures.json")
    args = parser.parse_args(argv)
    runs: list[dict[str, Any]] = []
    if args.smoke:
        with tempfile.TemporaryDirectory(prefix="bench-structures-") as tmp:
            run, groups, taxonomy, load = smoke_run(Path(tmp))
            for label in ("smoke", "smoke again"):
                runs.append({"levels": label, **score_run(run, groups, taxonomy, **load)})
    else:
        taxonomy = tx.load_taxonomy()
        for levels in args.structures:  # before the first build, not after it
            refuse_saved_run(args.runs / levels.replace(",", "-"))
        with tempfile.TemporaryDirectory(prefix="bench-structures-cache-") as cache:
            for levels in args.structures:
                out = args.runs / levels.replace(",", "-")
                build = build_demo(out, args.n, levels, [], cache=Path(cache))
                texts = Hercules.load_model(out).corpus_.texts or []
                scored = score_run(out, newsgroups_of(texts, args.n), taxonomy)
                runs.append({"levels": levels, "build": build, **scored})
                print(f"{levels}: {build}")
    rows = pooled(runs)
    print_table(rows)
    payload = {  # save_json adds the command, revision and machine
        "what": "title coverage against the 20NG taxonomy, pooled over several hierarchies",
        "corpus": "smoke" if args.smoke else f"20NG demo sample of {args.n}",
        "table": rows,
        "runs": runs,
    }
    save_json(args.out, payload)
    return payload


if __name__ == "__main__":
    main()
