"""One side of the pyhercules comparison, run in its own process by ``bench.bench_pyhercules``.

``--tool hercules`` runs this package, ``--tool pyhercules`` the paper's package (importable only
in the venv that bench_pyhercules creates). Both get the same two callables in the paper's client
signatures: ``text_embedding_client(list[str]) -> array`` (MiniLM int8 via
:class:`hercules.embed.MiniLMEmbedder`) and ``llm_client(prompt) -> str`` (Qwen2.5-Coder-1.5B via
:class:`hercules.llm.LocalLLM`, unconstrained, greedy, up to 4,096 answer tokens unless the
caller passes ``max_tokens``). The callables time and count every call,
so embedding and LLM time are measured the same way for both; the rest of the wall time is the
tool's own work (clustering, prompts, parsing, bookkeeping). Writes one JSON object to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from bench.llm_common import title_match

TOOLS = ("hercules", "pyhercules")


class Clients:
    """The shared embedding and LLM callables, with per-call accounting."""

    def __init__(self, *, smoke: bool, llm_threads: int, embed_threads: int, context: int) -> None:
        self.embed_seconds = 0.0
        self.embed_calls = 0
        self.embed_texts = 0
        self.llm_seconds = 0.0
        self.llm_calls = 0
        self.prompt_tokens = 0
        self.generated_tokens = 0
        self.llm_errors = 0
        self.smoke = smoke
        if smoke:
            from bench.smoke import FakeLLM, hashing_vectors

            self._embed = hashing_vectors
            self._fake = FakeLLM()
            self._llm: Any = None
        else:
            from hercules.embed import MiniLMEmbedder
            from hercules.llm import LocalLLM

            self._embed = MiniLMEmbedder(num_threads=embed_threads).embed
            self._llm = LocalLLM("qwen2.5-coder-1.5b", threads=llm_threads, context=context)

    def warm_up(self) -> float:
        """Load both models before the clock starts (same for both tools)."""
        start = time.perf_counter()
        self._embed(["warm up"])
        if self._llm is not None:
            self._llm._load()
        return time.perf_counter() - start

    def embed(self, texts: list[str]) -> np.ndarray:
        start = time.perf_counter()
        out = np.asarray(self._embed(list(texts)), dtype=np.float32)
        self.embed_seconds += time.perf_counter() - start
        self.embed_calls += 1
        self.embed_texts += len(texts)
        return out

    def llm(self, prompt: str, max_tokens: int = 4096) -> str:
        """``llm_client(prompt) -> str``; pyhercules calls it with the prompt alone, HERCULES
        also passes each call's answer budget (hercules.llm.CallableLLM does when the function
        names ``max_tokens``)."""
        start = time.perf_counter()
        self.llm_calls += 1
        try:
            if self._llm is None:
                text = self._fake.complete(prompt, schema=None)
                self.prompt_tokens += len(prompt) // 4
                self.generated_tokens += len(text) // 4
                return text
            answer = self._llm.complete_with_usage(prompt, schema=None, max_tokens=max_tokens)
            self.prompt_tokens += answer.prompt_tokens or 0
            self.generated_tokens += answer.completion_tokens or 0
            return answer.text
        except Exception:
            self.llm_errors += 1
            raise
        finally:
            self.llm_seconds += time.perf_counter() - start

    def totals(self) -> dict[str, Any]:
        return {
            "embed_seconds": round(self.embed_seconds, 2),
            "embed_calls": self.embed_calls,
            "embed_texts": self.embed_texts,
            "llm_seconds": round(self.llm_seconds, 2),
            "llm_calls": self.llm_calls,
            "llm_errors": self.llm_errors,
            "prompt_tokens": self.prompt_tokens,
            "generated_tokens": self.generated_tokens,
        }


def run_hercules(texts: list[str], levels: list[int], seed: int, clients: Clients) -> Any:
    from hercules import Hercules

    model = Hercules(
        levels,
        text_embedding_client=clients.embed,
        llm_client=clients.llm,
        random_state=seed,
    ).fit(texts)
    tree = model.tree_
    labels = {lvl: tree.labels(lvl) for lvl in range(1, tree.top_level + 1)}
    titles = {lvl: list(tree.levels[lvl].titles) for lvl in labels}
    failed = int(sum(np.asarray(tree.levels[lvl].summary_failed).sum() for lvl in labels))
    return labels, titles, failed


def run_pyhercules(texts: list[str], levels: list[int], seed: int, clients: Clients) -> Any:
    import pyhercules

    model = pyhercules.Hercules(
        level_cluster_counts=list(levels),
        text_embedding_client=clients.embed,
        llm_client=clients.llm,
        random_state=seed,
        save_run_details=False,
        verbose=0,
    )
    model.cluster(list(texts))
    labels, titles, failed = {}, {}, 0
    for lvl in range(1, model.max_level + 1):
        assignments, id_to_label = model.get_level_assignments(lvl)
        labels[lvl] = assignments
        clusters = {c.id: c for c in model._all_clusters_map.values() if c.level == lvl}
        titles[lvl] = [clusters[cid].title or "" for cid in id_to_label]
        failed += sum(
            1
            for cid in id_to_label
            if not (clusters[cid].title or "").strip() or "(LLM Failed)" in clusters[cid].title
        )
    return labels, titles, failed


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tool", choices=TOOLS, required=True)
    parser.add_argument("--per-category", type=int, default=100)
    parser.add_argument("--levels", default="20,5")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--llm-threads", type=int, default=1)
    parser.add_argument("--embed-threads", type=int, default=2)
    parser.add_argument("--context", type=int, default=16384)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]
    texts, groups, supers = load_subset(args.smoke, args.per_category)
    clients = Clients(
        smoke=args.smoke,
        llm_threads=args.llm_threads,
        embed_threads=args.embed_threads,
        context=args.context,
    )
    load_seconds = clients.warm_up()
    run = run_hercules if args.tool == "hercules" else run_pyhercules
    start = time.perf_counter()
    labels, titles, failed = run(texts, levels, args.seed, clients)
    total = time.perf_counter() - start
    totals = clients.totals()
    scores = {}
    for lvl, assigned in labels.items():
        scores[str(lvl)] = {
            "clusters": len(titles[lvl]),
            "ari_newsgroups": float(adjusted_rand_score(groups, assigned)),
            "nmi_newsgroups": float(normalized_mutual_info_score(groups, assigned)),
            "ari_super_groups": float(adjusted_rand_score(supers, assigned)),
            "nmi_super_groups": float(normalized_mutual_info_score(supers, assigned)),
            "unassigned": int(np.sum(np.asarray(assigned) < 0)),
        }
    # After the clock: how well each title names its members (nearest newsgroup name is the
    # members' majority newsgroup), judged by the run's own embedding callable for both tools.
    judge = SimpleNamespace(embed=clients.embed)
    names, group_array = sorted(set(groups)), np.asarray(groups)
    for lvl, assigned in labels.items():
        members = [group_array[np.asarray(assigned) == c] for c in range(len(titles[lvl]))]
        kept = [c for c, rows in enumerate(members) if len(rows)]
        match = title_match(
            [titles[lvl][c] or "-" for c in kept], [members[c] for c in kept], names, judge
        )
        scores[str(lvl)]["title_top1_newsgroups"] = match["top1_match"]
    result = {
        "tool": args.tool,
        "docs": len(texts),
        "levels": levels,
        "seed": args.seed,
        "model_load_seconds": round(load_seconds, 2),
        "total_seconds": round(total, 2),
        **totals,
        "other_seconds": round(total - totals["embed_seconds"] - totals["llm_seconds"], 2),
        "failed_or_empty_titles": failed,
        "levels_scores": scores,
        "titles": {str(k): v for k, v in titles.items()},
        "peak_rss_mb_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def load_subset(smoke: bool, per_category: int) -> tuple[list[str], list[str], list[str]]:
    """Texts, newsgroup names and super-group names of the stratified 20NG subset."""
    from bench.bench_ablation import stratified_subset, super_group

    if smoke:
        from bench.smoke import tiny_newsgroups

        news = tiny_newsgroups(per_topic=per_category)
        return news.texts, news.categories, [super_group(c) for c in news.categories]
    from hercules.data.newsgroups import load_newsgroups

    full = load_newsgroups()
    keep = stratified_subset(full, per_category)
    groups = [full.categories[i] for i in keep]
    return [full.texts[i] for i in keep], groups, [super_group(g) for g in groups]


if __name__ == "__main__":
    main()
