"""bench.coverage_diff: per-cluster differences between two coverage results files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import coverage_diff as cd
from bench import taxonomy as tx
from hercules.errors import InputError


def _results(levels: dict[str, list[tuple[str, int, float, int]]]) -> dict[str, Any]:
    """A results file's shape: per level, clusters of (title, size, coverage, precision)."""
    return {
        "scores": {
            "ours": {
                level: {
                    "clusters": [
                        {"title": t, "size": n, "coverage": c, "precision": p}
                        for t, n, c, p in clusters
                    ]
                }
                for level, clusters in levels.items()
            }
        }
    }


OLD = _results({"1": [("Hockey", 50, 0.8, 1), ("Cars", 40, 0.6, 0)], "2": [("Sports", 90, 0.5, 1)]})
NEW = _results(
    {"1": [("Hockey", 50, 0.8, 1), ("Autos", 40, 0.6, 1)], "2": [("Sports", 90, 0.7, 1)]}
)


def test_differences_are_per_cluster_new_minus_old() -> None:
    rows = cd.differences(OLD, NEW)
    assert [(r["level"], r["differences"], r["changed"]) for r in rows] == [
        (1, [0.0, 0.6], 1),  # "Cars" 0.6 x 0 -> "Autos" 0.6 x 1
        (2, [pytest.approx(0.2)], 0),
    ]
    assert cd.pools(rows) == {"level 1": [0.0, 0.6], "parents": [pytest.approx(0.2)]}


@pytest.mark.parametrize(
    ("values", "mean", "se"),
    [([], 0.0, 0.0), ([0.3], 0.3, 0.0), ([0.0, 1.0], 0.5, 0.5), ([0.1, 0.2, 0.3], 0.2, 0.0577)],
)
def test_mean_se_by_hand(values: list[float], mean: float, se: float) -> None:
    assert tx.mean_se(values) == (pytest.approx(mean), pytest.approx(se, abs=1e-4))


def test_files_of_other_clusters_are_refused() -> None:
    other = _results({"1": [("Hockey", 51, 0.8, 1), ("Cars", 39, 0.6, 0)]})
    with pytest.raises(InputError, match="level 1: the two files score different clusters"):
        cd.differences(OLD, other)
    with pytest.raises(InputError, match="different numbers of runs"):
        cd.differences({"runs": [OLD, OLD]}, {"runs": [OLD]})


def test_main_prints_each_level_and_pool(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(OLD))
    new.write_text(json.dumps(NEW))
    cd.main([str(old), str(new)])
    out = capsys.readouterr().out
    assert "run 0 L1: 2 clusters, 1 titles changed, difference +0.300 ± 0.300" in out
    assert "parents: 1 clusters, difference +0.200 ± 0.000" in out
