"""Markdown tables for bench/README.md from the ablation and pyhercules results files.

python -m bench.report [ablation|pyhercules ...]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.common import RESULTS_DIR

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
    lines = [
        "| representation_mode | use_resampling | topic seed | ARI | Silhouette | "
        "LLM Silhouette | Topic Alignment | time (s) | live LLM calls (2 runs) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    configs: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for run in data["runs"]:
        key = (run["representation_mode"], run["use_resampling"], run["topic_seed_active"])
        configs.setdefault(key, []).append(run)
    for key in sorted(configs, key=str):
        runs = configs[key]
        cells = []
        for metric in ("ari", "silhouette", "llm_silhouette", "topic_alignment", "seconds"):
            values = [r[metric] for r in runs if r[metric] is not None]
            digits = 0 if metric == "seconds" else 3
            cells.append(_fmt(float(np.mean(values)), digits) if values else "-")
        calls = sum(r["llm_calls_live"] for r in runs)
        lines.append(
            f"| {key[0]} | {'on' if key[1] else 'off'} | {'on' if key[2] else 'off'} | "
            + " | ".join(cells)
            + f" | {calls} |"
        )
    lines += [
        "",
        "| factor (A vs B) | metric | mean A | mean B | U | p |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for factor, row in data["main_effects"].items():
        a, b = row["levels"]
        for metric, name in METRIC_NAMES.items():
            if metric not in row:
                continue
            m = row[metric]
            digits = 1 if metric == "seconds" else 3
            lines.append(
                f"| {factor} ({a} vs {b}) | {name} | {_fmt(m['mean'][0], digits)} | "
                f"{_fmt(m['mean'][1], digits)} | {m['U']:.1f} | {m['p']:.3f} |"
            )
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
        if "title_top1_newsgroups" in a:  # results files before the twelfth session lack it
            lines.append(
                f"| level {level} titles: top-1 (nearest newsgroup name = members' majority) | "
                f"{a['title_top1_newsgroups']:.2f} | {_fmt(b.get('title_top1_newsgroups'), 2)} | |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    names = list(argv if argv is not None else sys.argv[1:]) or ["ablation", "pyhercules"]
    for name in names:
        path = RESULTS_DIR / f"{name}.json"
        data = json.loads(path.read_text())
        print(f"<!-- {path.name} -->")
        print(ablation_tables(data) if name == "ablation" else pyhercules_table(data))
        print()


if __name__ == "__main__":
    main()
