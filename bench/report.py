"""Every table of bench/README.md, printed from the results files in bench/results/.

    python -m bench.report                  # every table, each under its marker
    python -m bench.report ablation demo    # some of them
    python -m bench.report --update-readme  # rewrite the tables in bench/README.md

Each table sits in bench/README.md between a line ``<!-- report: NAME -->`` and a line
``<!-- /report -->``; ``tests/test_bench_report.py`` checks that they match what this prints.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.taxonomy import mean_se

RESULTS_DIR = Path(__file__).resolve().parent / "results"
README = Path(__file__).resolve().parent / "README.md"
MARKER = re.compile(r"^<!-- report: ([\w-]+) -->$")

METRIC_NAMES = {
    "ari": "ARI (L2 vs 6 groups)",
    "silhouette": "Silhouette",
    "llm_silhouette": "LLM Silhouette",
    "topic_alignment": "Topic Alignment",
    "seconds": "time (s)",
}


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def ablation_tables(data: dict[str, Any]) -> str:
    """One row per factor: each metric's means at its two levels, and the p of Mann-Whitney U."""
    metrics = [m for m in METRIC_NAMES if m != "seconds"] + ["seconds"]
    lines = [
        "| factor (A vs B) | "
        + " | ".join(f"{METRIC_NAMES[m]}: A / B (p)" for m in metrics)
        + " |",
        "| --- | " + " | ".join("---" for _ in metrics) + " |",
    ]
    for factor, row in data["main_effects"].items():
        a, b = row["levels"]
        cells = []
        for metric in metrics:
            if metric not in row:
                cells.append("-")
                continue
            m = row[metric]
            digits = 0 if metric == "seconds" else 3
            cells.append(
                f"{_fmt(m['mean'][0], digits)} / {_fmt(m['mean'][1], digits)} ({m['p']:.3f})"
            )
        lines.append(f"| {factor} ({a} vs {b}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def pyhercules_table(data: dict[str, Any]) -> str:
    ours, theirs = data["results"]["hercules"], data["results"]["pyhercules"]
    ratios = data["ratios"]
    rows = [
        ("wall time, end to end (s)", "total_seconds", "speedup_total"),
        ("embedding (s)", "embed_seconds", "speedup_embed"),
        ("LLM (s)", "llm_seconds", "speedup_llm"),
        ("other: clustering, prompts, bookkeeping (s)", "other_seconds", "speedup_other"),
        ("LLM calls", "llm_calls", "llm_calls_ratio"),
        ("prompt tokens", "prompt_tokens", "prompt_tokens_ratio"),
        ("generated tokens", "generated_tokens", "generated_tokens_ratio"),
        ("texts embedded", "embed_texts", "embedded_texts_ratio"),
        ("peak RSS of the process (MB)", "peak_rss_mb", "peak_rss_ratio"),
        ("failed or empty titles", "failed_or_empty_titles", None),
    ]
    lines = [
        "| | HERCULES | pyhercules 1.1.1 | pyhercules / HERCULES |",
        "| --- | --- | --- | --- |",
    ]
    for label, key, ratio in rows:
        r = ratios.get(ratio) if ratio else None
        lines.append(
            f"| {label} | {_fmt(ours[key], 1)} | {_fmt(theirs[key], 1)} | "
            f"{_fmt(r, 2) if r is not None else ''} |"
        )
    for level in ours["levels_scores"]:
        a, b = ours["levels_scores"][level], theirs["levels_scores"].get(level, {})
        for metric, truth in (("newsgroups", "20 newsgroups"), ("super_groups", "6 groups")):
            lines.append(
                f"| level {level} ({a['clusters']} clusters) ARI / NMI vs {truth} | "
                f"{a['ari_' + metric]:.3f} / {a['nmi_' + metric]:.3f} | "
                f"{_fmt(b.get('ari_' + metric))} / {_fmt(b.get('nmi_' + metric))} | |"
            )
        if "title_top1_newsgroups" in a:  # scored only where the results file has it
            lines.append(
                f"| level {level} titles: top-1 (nearest newsgroup name = members' majority) | "
                f"{a['title_top1_newsgroups']:.2f} | {_fmt(b.get('title_top1_newsgroups'), 2)} | |"
            )
    return "\n".join(lines)


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RESULTS_DIR / name).read_text())
    return data


def _pm(stat: dict[str, float], digits: int = 3) -> str:
    return f"{stat['mean']:.{digits}f} ± {stat['std']:.{digits}f}"


def _machine(data: dict[str, Any]) -> str:
    machine = data.get("machine")
    if isinstance(machine, dict):
        return str(machine.get("summary") or f"{machine.get('cores')}-core {machine.get('cpu')}")
    return str(machine or "unknown machine")


def source_line(name: str, data: dict[str, Any]) -> str:
    """Where a table comes from: the file, the code revision and the machine."""
    revision = data.get("revision") or data.get("git_revision") or "?"
    return f"*`results/{name}`, revision {str(revision)[:10]}, {_machine(data)}*"


def foundation_table(data: dict[str, Any]) -> str:
    s = data["summary"]
    return "\n".join(
        [
            "| | level-2 ARI | level-2 NMI | fit (s) |",
            "| --- | --- | --- | --- |",
            f"| HERCULES {data['levels']} | {_pm(s['hercules_l2_ari'])} | "
            f"{_pm(s['hercules_l2_nmi'])} | {_pm(s['hercules_fit_seconds'], 1)} |",
            f"| flat KMeans(20), same vectors | {_pm(s['flat_ari'])} | {_pm(s['flat_nmi'])} | |",
        ]
    )


AUTO_K_CORPORA = {
    "20ng_stripped_300": "20NG 300 (20)",
    "20ng_stripped_1000": "20NG 1,000 (20)",
    "20ng_stripped_3000": "20NG 3,000 (20)",
    "20ng_raw_300": "20NG raw 300 (20)",
    "20ng_raw_1000": "20NG raw 1,000 (20)",
    "digits": "digits (10)",
    "wine": "wine (3)",
    "iris": "iris (3)",
}


def auto_k_table(data: dict[str, Any]) -> str:
    rules = list(next(iter(data["summary"].values())))
    lines = [
        "| corpus (labels) | "
        + " | ".join(f"best ARI, {r}" for r in rules)
        + " | level sizes, floor (per seed) |",
        "| --- | " + " | ".join("---" for _ in rules) + " | --- |",
    ]
    for key, row in data["summary"].items():
        cells = " | ".join(f"{row[r]['best_ari_mean']:.3f}" for r in rules)
        sizes = ", ".join(str(s) for s in row["floor"]["sizes"])
        lines.append(f"| {AUTO_K_CORPORA.get(key, key)} | {cells} | {sizes} |")
    return "\n".join(lines)


TABLE1_METHODS = {
    "lsa_kmeans": "LSA + KMeans(20)",
    "lsa_agglomerative": "LSA + Agglomerative(20)",
    "embeddings_kmeans": "MiniLM + KMeans(20)",
    "embeddings_agglomerative": "MiniLM + Agglomerative(20)",
    "hercules_direct": "HERCULES direct [100, 20, 5], level 2",
}


def table1_table(data: dict[str, Any]) -> str:
    lines = [
        "| method | runs | ARI | NMI | seconds, median (min) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, name in TABLE1_METHODS.items():
        row = data["summary"][key]
        secs = row["seconds"]
        lines.append(
            f"| {name} | {row['runs']} | {_pm(row['ari'])} | {_pm(row['nmi'])} | "
            f"{secs['median']:.2f} ({secs['min']:.2f}) |"
        )
    return "\n".join(lines)


def demo_table(named: list[tuple[str, dict[str, Any]]]) -> str:
    lines = [
        "| command | code | first tree on screen (s) | end to end (s) | LLM calls | "
        "prompt / generated tokens |",
        "| --- | --- | --- | --- | --- | --- |",
    ]

    def row(command: str, code: str, run: dict[str, Any]) -> str:
        calls = run.get("llm_calls")
        tokens = (
            f"{run['prompt_tokens']:,} / {run['generated_tokens']:,}" if calls is not None else "-"
        )
        return (
            f"| `{command}` | {code} | {run['first_tree_seconds']:.1f} | {run['seconds']:.1f} | "
            f"{calls if calls is not None else '-'} | {tokens} |"
        )

    for _, data in named:
        command = data["measured_command"].strip()
        lines.append(row(command, str(data.get("revision", "?"))[:10], data))
        if "against" in data:  # the same demo at an earlier revision, run just before
            base = data["against"]
            lines.append(row(command, f"{base['revision'][:10]} (run just before)", base))
    return "\n".join(lines)


def slots_table(data: dict[str, Any]) -> str:
    lines = [
        "| slots | requests | wall (s) | tokens/s | generated/s | mean call (s) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in sorted(data["runs"], key=lambda r: r["slots"]):
        lines.append(
            f"| {run['slots']} | {run['requests']} | {run['wall_seconds']:.1f} | "
            f"{run['tokens_per_s']:.1f} | {run['generated_per_s']:.2f} | "
            f"{run['mean_call_seconds']:.1f} |"
        )
    return "\n".join(lines)


def estimate_table(data: dict[str, Any]) -> str:
    est, real = data["estimate"], data["real"]
    return "\n".join(
        [
            "| | LLM calls | prompt tokens | generated tokens | LLM wall time (s) |",
            "| --- | --- | --- | --- | --- |",
            f"| dry-run estimate | {est['calls']} | {est['prompt_tokens']:,} | "
            f"{est['generated_tokens']:,} | {est['seconds']:.1f} |",
            f"| real run | {real['calls']} | {real['prompt_tokens']:,} | "
            f"{real['generated_tokens']:,} | {real['llm_wall_seconds']:.1f} |",
        ]
    )


BATCHINGS = {
    "previous (32 a pass, char sort)": "32 texts a pass, sorted by characters",
    "tokens_per_batch=512": "512 tokens a pass, two 1-thread sessions (default)",
    "one 2-thread session, 512 tokens a pass": "512 tokens a pass, one 2-thread session",
}


def embed_batches_table(data: dict[str, Any]) -> str:
    lines = [
        "| texts (mean tokens) | batching | docs/s | speed-up over 32 a pass | min cosine to it |",
        "| --- | --- | --- | --- | --- |",
    ]
    for corpus, block in data["results"].items():
        for i, (name, run) in enumerate(block["runs"].items()):
            label = f"{corpus} ({block['mean_tokens']:.0f})" if i == 0 else ""
            lines.append(
                f"| {label} | {BATCHINGS.get(name, name)} | {run['docs_per_s']:.1f} | "
                f"{run['speedup_vs_previous']:.2f} | {run['min_cosine_vs_previous']:.4f} |"
            )
    return "\n".join(lines)


def embed_int8_table(data: dict[str, Any]) -> str:
    q = data["quality"]
    lines = [
        "| compute | docs/s, posts | docs/s, snippets | kNN-10 accuracy | flat ARI | "
        "HERCULES L2 ARI |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    rates = data["docs_per_second"]
    corpora = list(rates)
    for compute in ("float32", "int8"):
        row = q[compute]
        lines.append(
            f"| {compute} | {rates[corpora[0]][compute]:.1f} | {rates[corpora[1]][compute]:.1f} | "
            f"{row['knn10_accuracy']:.3f} | {_pm(row['flat_ari'])} | "
            f"{_pm(row['hercules_l2_ari'])} |"
        )
    return "\n".join(lines)


def llm_runtime_table(named: list[tuple[str, dict[str, Any]]]) -> str:
    lines = [
        "| build | calls | prompt tok/s | generated tok/s | prompt share of time | total (s) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for _, data in named:
        s = data["summary"]
        lines.append(
            f"| {data['label']} | {s['calls']} | {s['prompt_tok_per_s']:.1f} | "
            f"{s['generated_tok_per_s']:.1f} | {s['prompt_share_of_time']:.2f} | "
            f"{s['seconds']:.1f} |"
        )
    return "\n".join(lines)


def llm_20ng_table(data: dict[str, Any]) -> str:
    cold, warm = data["cold"], data["warm_rerun"]
    return "\n".join(
        [
            "| run | total (s) | LLM (s) | calls | prompt / generated tokens | title top-1 |",
            "| --- | --- | --- | --- | --- | --- |",
            f"| cold | {cold['total_seconds']:.1f} | {cold['llm_seconds']:.1f} | "
            f"{cold['calls']} | {cold['prompt_tokens']:,} / {cold['generated_tokens']:,} | "
            f"{data['title_match_top1_all_levels']:.2f} |",
            f"| warm (cached answers) | {warm['total_seconds']:.1f} | {warm['llm_seconds']:.1f} | "
            f"{warm['calls']} ({warm['cached_calls']} cached) | "
            f"{warm['prompt_tokens']:,} / {warm['generated_tokens']:,} | |",
        ]
    )


def llm_batch_table(data: dict[str, Any]) -> str:
    lines = [
        "| clusters per call | calls | prompt / generated tokens | LLM (s) | title top-1 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for run in data["runs"]:
        lines.append(
            f"| {run['batch_size']} | {run['calls']} | {run['prompt_tokens']:,} / "
            f"{run['generated_tokens']:,} | {run['llm_seconds']:.1f} | {run['top1_match']:.2f} |"
        )
    return "\n".join(lines)


def llm_contrast_table(data: dict[str, Any]) -> str:
    lines = [
        "| arm | prompt tokens | LLM (s) | L1 top-1 | L1 title retrieval | L2 top-1 | "
        "L2 copied a child |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for arm, row in data["mean_by_arm"].items():
        lines.append(
            f"| {arm} | {row['prompt_tokens']:,.0f} | {row['llm_seconds']:.1f} | "
            f"{row['L1_top1_match']:.2f} | {row['L1_title_retrieval']:.2f} | "
            f"{row['L2_top1_match']:.2f} | {row['L2_copied_child']:.2f} |"
        )
    return "\n".join(lines)


def scale_table(data: dict[str, Any]) -> str:
    lines = [
        "| n x d | levels | engine | data (MB) | fit (s) | peak RSS (MB) | "
        "one assignment pass (s) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in data["results"]:
        lines.append(
            f"| {row['n']:,} x {row['d']} | {row['levels']} | {row['engine']} | "
            f"{row['data_mb']:,.1f} | {row['fit_seconds']:.1f} | {row['peak_rss_mb']:,.1f} | "
            f"{row['assign_pass_seconds']:.3f} |"
        )
    return "\n".join(lines)


def outofcore_table(data: dict[str, Any]) -> str:
    lines = [
        "| n x d (float32 .npy) | levels | file (MB) | fit (s) | peak RSS (MB) | peak RSS / file |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in data["results"]:
        lines.append(
            f"| {row['n']:,} x {row['d']} | {row['levels']} | {row['file_mb']:,.0f} | "
            f"{row['fit_seconds']:.1f} | {row['peak_rss_mb']:,.1f} | {row['peak_over_file']:.3f} |"
        )
    return "\n".join(lines)


def ray_table(data: dict[str, Any]) -> str:
    local = data["local_2_threads"]
    lines = [
        f"| embedding {data['docs']:,} posts | seconds | docs/s | equal to local |",
        "| --- | --- | --- | --- |",
        f"| local, 2 threads | {local['seconds']:.1f} | {local['docs_per_s']:.1f} | |",
    ]
    for workers, row in data["ray_workers"].items():
        lines.append(
            f"| Ray, {workers} worker{'s' if workers != '1' else ''} | {row['seconds']:.1f} | "
            f"{row['docs_per_s']:.1f} | {'yes' if row['equal_to_local'] else 'no'} |"
        )
    return "\n".join(lines)


def _coverage_cells(row: dict[str, Any], products: Sequence[float] = ()) -> str:
    """A taxonomy row's coverage, precision, their product and too broad, as table cells; the
    product with its standard error over the clusters when their ``products`` are given."""
    product = _fmt(row["coverage_x_precision"], 2)
    if len(products) > 1:
        product += f" ± {mean_se(products)[1]:.2f}"
    cells = (_fmt(row["coverage"], 2), _fmt(row["precision"], 2), product)
    return " | ".join((*cells, _fmt(row["too_broad"], 2))) + " |"


def _products(data: dict[str, Any], titles: str, level: int) -> list[float]:
    """Coverage x precision of each cluster of a level, for one title source (none for a
    source without per-cluster scores, such as the oracle)."""
    clusters = data.get("scores", {}).get(titles, {}).get(str(level), {}).get("clusters", [])
    return [c["coverage"] * c["precision"] for c in clusters]


def coverage_table(named: list[tuple[str, dict[str, Any]]]) -> str:
    """Per run and level: coverage, precision, their product and too broad, per title source."""
    lines = [
        "| run | level (clusters) | titles | coverage | precision "
        "| coverage x precision (± s.e.) | too broad |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, data in named:
        sizes = data.get("levels") or data.get("layers") or []
        shown = None
        for row in data["table"]:
            level = row["level"]
            clusters = sizes[level - 1] if level - 1 < len(sizes) else "?"
            head = f"{label} | L{level} ({clusters})" if (label, level) != shown else " | "
            shown = (label, level)
            cells = _coverage_cells(row, _products(data, row["titles"], level))
            lines.append(f"| {head} | {row['titles']} | {cells}")
    return "\n".join(lines)


def toponymy_table(named: list[tuple[str, dict[str, Any]]]) -> str:
    """Toponymy's layers beside our levels on the same corpus: the taxonomy scores, and the
    share of the posts that lie in a named cluster (Toponymy leaves some out of every topic;
    ours name every post)."""
    (_, ours), (_, topo) = named
    lines = [
        "| level | titles | clusters | posts in a named cluster | coverage | precision "
        "| coverage x precision | too broad |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    levels = sorted(
        {row["level"] for row in ours["table"]} | {row["level"] for row in topo["table"]}
    )
    for level in levels:
        rows = [
            (row, ours["levels"][level - 1], "100%")
            for row in ours["table"]
            if row["level"] == level and row["titles"] in ("ours", "keywords")
        ]
        rows += [
            (row, row["clusters"], f"{100 * (1 - row['unclustered']):.0f}%")
            for row in topo["table"]
            if row["level"] == level and row["titles"] == "toponymy"
        ]
        for row, clusters, posts in rows:
            name = "Toponymy" if row["titles"] == "toponymy" else row["titles"]
            lines.append(f"| L{level} | {name} | {clusters} | {posts} | {_coverage_cells(row)}")
    return "\n".join(lines)


def structures_table(data: dict[str, Any]) -> str:
    """Coverage pooled over several hierarchies: level 1 once, the parents of every run."""
    runs = ", ".join(
        "[" + ", ".join(str(k) for k in run["levels"]) + "]"
        if isinstance(run["levels"], list)
        else str(run["levels"])
        for run in data["runs"]
    )
    lines = [
        f"| clusters (runs {runs}) | titles | n | coverage | precision "
        "| coverage x precision (± s.e.) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in data["table"]:
        product = _fmt(row["coverage_x_precision"], 3)
        if row["coverage_x_precision_se"]:
            product += f" ± {row['coverage_x_precision_se']:.3f}"
        lines.append(
            f"| {row['clusters']} | {row['titles']} | {row['n']} | {_fmt(row['coverage'], 3)} | "
            f"{_fmt(row['precision'], 3)} | {product} |"
        )
    return "\n".join(lines)


def calibration_table(data: dict[str, Any]) -> str:
    """Agreement of the library's coverage with the taxonomy's, per rival scope and margin."""
    lines = [
        "| rivals | margin | Spearman | same side of 0.8 | picked (per level) | best candidate |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in data["summary"]:
        levels = ", ".join(f"L{k} {v:.2f}" for k, v in row["picked_per_level"].items())
        lines.append(
            f"| {row['scope']} | {row['margin']} | {row['spearman']:.2f} | "
            f"{row['agree_at_80']:.2f} | {row['picked']:.2f} ({levels}) | {row['oracle']:.2f} |"
        )
    return "\n".join(lines)


def layout_table(data: dict[str, Any]) -> str:
    """Per size: the layout, its time and memory, the HTML map's size and Chromium's draw."""
    lines = [
        "| items | layout | layout time (s) | peak RSS (MB) | HTML (MB) | points drawn "
        "| Chromium drawn (s) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in data["results"]:
        n, method = row["n"], row["method"].upper()
        if row["method"] == "pca":
            how = "PCA (the fast fallback)"
        elif row["n_transformed"]:
            how = f"{method} fitted on {row['n_fit']:,}, {row['n_transformed']:,} by `transform`"
        else:
            how = f"{method}, all fitted"
        drawn = f"{row['points_drawn']:,}"
        if row["points_drawn"] < n:
            drawn += " (seeded sample, said on the map)"
        lines.append(
            f"| {n:,} | {how} | {row['layout_seconds']:.1f} | "
            f"{row['peak_rss_after_layout_mb']:,.0f} | {row['html_mb']:.1f} | {drawn} | "
            f"{row['chromium']['ready_seconds']:.2f} |"
        )
    return "\n".join(lines)


Table = tuple[list[str], Callable[[], str]]


def _one(name: str, table: Callable[[dict[str, Any]], str]) -> Table:
    def render() -> str:
        data = _load(name)
        return table(data) + "\n\n" + source_line(name, data)

    return [name], render


def _several(
    files: dict[str, str], table: Callable[[list[tuple[str, dict[str, Any]]]], str]
) -> Table:
    """One table from several files (``{row label: file name}``), a source line for each."""

    def render() -> str:
        named = [(label, _load(name)) for label, name in files.items()]
        sources = [source_line(n, d) for n, (_, d) in zip(files.values(), named, strict=True)]
        return table(named) + "\n\n" + " ".join(sources)

    return list(files.values()), render


TABLES: dict[str, Table] = {
    "foundation": _one("20ng_foundation.json", foundation_table),
    "auto-k": _one("auto_k.json", auto_k_table),
    "table1": _one("table1.json", table1_table),
    "coverage": _several(
        {"demo": "coverage_demo.json", "20NG": "coverage_20ng.json"}, coverage_table
    ),
    "coverage-toponymy": _several(
        {"ours": "coverage_demo.json", "Toponymy": "toponymy_demo.json"}, toponymy_table
    ),
    "coverage-structures": _one("coverage_structures.json", structures_table),
    "coverage-calibration": _one("coverage_calibration.json", calibration_table),
    "demo": _several({"demo": "demo.json", "20NG": "20ng_cold.json"}, demo_table),
    "llm-slots": _one("llm_slots.json", slots_table),
    "estimate": _one("estimate.json", estimate_table),
    "embed-batches": _one("embed_batches.json", embed_batches_table),
    "embed-int8": _one("embed_int8.json", embed_int8_table),
    "llm-runtime": _several(
        {"prebuilt": "llm_runtime_prebuilt.json", "native": "llm_runtime_native-avx512.json"},
        llm_runtime_table,
    ),
    "llm-20ng": _one("llm_20ng.json", llm_20ng_table),
    "llm-batch": _one("llm_batch.json", llm_batch_table),
    "ablation": _one("ablation.json", ablation_tables),
    "pyhercules": _one("pyhercules.json", pyhercules_table),
    "llm-contrast": _one("llm_contrast.json", llm_contrast_table),
    "scale": _one("scale.json", scale_table),
    "outofcore": _one("outofcore.json", outofcore_table),
    "ray": _one("ray.json", ray_table),
    "layout": _one("layout.json", layout_table),
}


def render(name: str) -> str:
    """The table ``name`` (with its source line) as it stands in bench/README.md."""
    if name not in TABLES:
        raise SystemExit(f"No table {name!r}; the tables are: {', '.join(TABLES)}.")
    return TABLES[name][1]()


def readme_tables(text: str) -> dict[str, str]:
    """The tables of a README: each marker's lines up to the closing ``<!-- /report -->``."""
    found: dict[str, str] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = MARKER.match(line)
        if match:
            end = lines.index("<!-- /report -->", i)
            found[match.group(1)] = "\n".join(lines[i + 1 : end])
    return found


def update_readme(path: Path = README) -> None:
    """Rewrite every marked table of ``path`` from the results files."""
    lines = path.read_text().splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        match = MARKER.match(lines[i])
        if match:
            end = lines.index("<!-- /report -->", i)
            out += [*render(match.group(1)).splitlines(), lines[end]]
            i = end
        i += 1
    path.write_text("\n".join(out) + "\n")


def main(argv: Sequence[str] | None = None) -> None:
    args = list(argv if argv is not None else sys.argv[1:])
    if args == ["--update-readme"]:
        update_readme()
        return
    for name in args or list(TABLES):
        print(f"<!-- report: {name} -->")
        print(render(name))
        print("<!-- /report -->")
        print()


if __name__ == "__main__":
    main()
