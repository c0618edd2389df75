"""bench/README.md's tables are what ``python -m bench.report`` prints from the results files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import report

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "bench" / "README.md"
RESULTS = ROOT / "bench" / "results"


def _printed() -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.report"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return report.readme_tables(done.stdout)


def test_every_readme_table_is_what_the_report_prints() -> None:
    printed = _printed()
    in_readme = report.readme_tables(README.read_text())
    assert sorted(in_readme) == sorted(printed), "a table is missing from bench/README.md"
    for name, table in printed.items():
        assert in_readme[name] == table, (
            f"bench/README.md's table {name!r} differs from `python -m bench.report {name}`; "
            "run `python -m bench.report --update-readme`"
        )


def test_every_results_file_is_in_a_table() -> None:
    used = {name for files, _ in report.TABLES.values() for name in files}
    assert used == {p.name for p in RESULTS.glob("*.json")}


@pytest.mark.parametrize("path", sorted(RESULTS.glob("*.json")), ids=lambda p: p.name)
def test_every_results_file_carries_its_provenance(path: Path) -> None:
    data = json.loads(path.read_text())
    assert data["command"].startswith("python -m bench."), data["command"]
    assert len(data["revision"].removesuffix("-dirty")) == 40
    assert data["machine"]


def test_readme_tables_reads_marked_blocks() -> None:
    text = (
        "intro\n<!-- report: a -->\n| x |\n\n*src*\n<!-- /report -->\n"
        "more\n<!-- report: b -->\n<!-- /report -->\n"
    )
    assert report.readme_tables(text) == {"a": "| x |\n\n*src*", "b": ""}


def test_update_readme_rewrites_only_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text("# T\n\n<!-- report: ray -->\nstale\n<!-- /report -->\n\n- a finding\n")
    report.update_readme(path)
    text = path.read_text()
    assert text.startswith("# T\n\n<!-- report: ray -->\n")
    assert text.endswith("<!-- /report -->\n\n- a finding\n")
    assert "stale" not in text
    assert report.readme_tables(text)["ray"] == report.render("ray")


@pytest.mark.parametrize(
    ("products", "cell"),
    [
        ((), "0.50"),  # no per-cluster scores (the oracle): the mean alone
        ((0.5,), "0.50"),  # one cluster: no spread to read
        ((0.0, 1.0), "0.50 ± 0.50"),  # stdev 0.707 over sqrt(2)
        ((0.4, 0.5, 0.6, 0.5), "0.50 ± 0.04"),  # stdev 0.0816 over 2
    ],
)
def test_coverage_cells_give_the_standard_error_over_clusters(
    products: tuple[float, ...], cell: str
) -> None:
    row = {"coverage": 0.5, "precision": 1.0, "coverage_x_precision": 0.5, "too_broad": 0.0}
    assert report._coverage_cells(row, products) == f"0.50 | 1.00 | {cell} | 0.00 |"


def test_pooled_structures_carry_the_standard_error() -> None:
    from bench.bench_coverage_structures import pooled

    def run(products: list[float]) -> dict[str, object]:
        clusters = [
            {"coverage": p, "precision": 1.0, "oracle": {"coverage": 1.0}} for p in products
        ]
        level = {"clusters": clusters}
        return {"scores": {"ours": {"1": level, "2": level}, "keywords": {"1": level, "2": level}}}

    rows = pooled([run([0.0, 1.0]), run([0.0, 1.0])])
    by = {(r["clusters"], r["titles"]): r for r in rows}
    assert by["level 1", "ours"]["coverage_x_precision_se"] == 0.5  # the first run's only
    # The parents of both runs pooled: [0, 1, 0, 1], stdev 0.577 over sqrt(4).
    assert by["parents", "ours"]["coverage_x_precision_se"] == pytest.approx(0.289, abs=1e-3)
    assert by["parents", "oracle"]["coverage_x_precision_se"] == 0.0
