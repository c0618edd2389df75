"""Per-cluster differences of our titles' coverage x precision between two coverage results.

    python -m bench.coverage_diff OLD.json NEW.json
    python -m bench.coverage_diff HEAD:bench/results/coverage_demo.json \\
        bench/results/coverage_demo.json

A corpus and level structure give the same tree in every build, so two results files of
``bench_coverage`` (or of ``bench_coverage_structures``, run by run) score the same clusters,
and a change reads from each cluster's difference: the mean and its standard error per level,
and per pool as the structures bench pools them (level 1 of the first run, the parents of
all). A level's mean alone moves by 0.1 when one of ten titles changes. ``REV:PATH`` reads a
committed file through ``git show``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.taxonomy import mean_se
from hercules.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def load(spec: str) -> dict[str, Any]:
    """A results file: a path, or ``REV:PATH`` for the file as committed at ``REV``."""
    if ":" in spec and not Path(spec).exists():
        text = subprocess.run(
            ["git", "show", spec], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        return dict(json.loads(text))
    return dict(json.loads(Path(spec).read_text()))


def runs(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs of a results file: the structures bench's several, or the file itself."""
    return list(data["runs"]) if "runs" in data else [data]


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per run and level: ``run``, ``level``, the clusters' ``differences`` (new minus
    old coverage x precision) and how many titles ``changed``.

    Raises InputError when the two files do not score the same clusters.
    """
    if len(runs(old)) != len(runs(new)):
        raise InputError("The two results files hold different numbers of runs; compare like ones.")
    out = []
    for k, (a, b) in enumerate(zip(runs(old), runs(new), strict=True)):
        for level, scored in a["scores"]["ours"].items():
            before = scored["clusters"]
            after = b["scores"]["ours"].get(level, {}).get("clusters", [])
            if [c["size"] for c in before] != [c["size"] for c in after]:
                raise InputError(
                    f"Run {k}, level {level}: the two files score different clusters (sizes "
                    "differ); compare results of the same corpus and levels."
                )
            out.append(
                {
                    "run": k,
                    "level": int(level),
                    "differences": [
                        y["coverage"] * y["precision"] - x["coverage"] * x["precision"]
                        for x, y in zip(before, after, strict=True)
                    ],
                    "changed": sum(
                        x["title"] != y["title"] for x, y in zip(before, after, strict=True)
                    ),
                }
            )
    return out


def pools(rows: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Level 1 of the first run and the parents of every run, as the structures bench pools."""
    level1 = [d for r in rows if r["level"] == 1 and r["run"] == 0 for d in r["differences"]]
    parents = [d for r in rows if r["level"] > 1 for d in r["differences"]]
    return {"level 1": level1, "parents": parents}


def main(argv: Sequence[str] | None = None) -> None:
    args = list(argv if argv is not None else sys.argv[1:])
    if len(args) != 2:
        raise SystemExit(__doc__)
    rows = differences(load(args[0]), load(args[1]))
    for r in rows:
        mean, se = mean_se(r["differences"])
        print(
            f"run {r['run']} L{r['level']}: {len(r['differences'])} clusters, "
            f"{r['changed']} titles changed, difference {mean:+.3f} ± {se:.3f}"
        )
    for name, values in pools(rows).items():
        if values:
            mean, se = mean_se(values)
            print(f"{name}: {len(values)} clusters, difference {mean:+.3f} ± {se:.3f}")


if __name__ == "__main__":
    main()
