"""Toponymy (the closest peer: LLM names for layered clusters) on the demo's corpus, scored with
the taxonomy measures of :mod:`bench.taxonomy`, side by side with our titles.

Same corpus: the 2,000 posts of ``hercules demo`` (``hercules.data.newsgroups.sample_posts``;
the empty ones left out as there). Same embedder: our MiniLM
(``hercules.embed.MiniLMEmbedder``), given to Toponymy as an object with ``encode``. Same model:
the default local model served by ``python -m hercules.llm.serve`` (OpenAI-compatible), reached
through Toponymy's own ``AsyncOpenAINamer`` (LiteLLM) pointed at localhost. Toponymy builds its own
layers, as its README does: ``ToponymyClusterer`` over a 2-D UMAP map of the MiniLM vectors,
here with ``base_n_clusters`` = our level-1 k and ``min_clusters`` = our top k. A layer's
members are the posts its clusterer put in each topic; posts it leaves unclustered (label -1)
belong to no topic and are reported as ``unclustered``. Each post is cut to ``--max-chars``
characters for Toponymy, whose prompts hold eight exemplar posts each. Writes
bench/results/toponymy_demo.json.

Toponymy's dependencies (LiteLLM, transformers, datasets, numba) are not the project's: install
them in a venv of their own (bench/README.md gives the commands), then::

    flock /tmp/hercules-heavy.lock .venv-toponymy/bin/python -m bench.bench_toponymy
    python -m bench.bench_toponymy --smoke     # stand-in layers and names: no Toponymy needed
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import json
import logging
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from bench import taxonomy as tx
from bench.bench_coverage import print_table
from bench.common import RESULTS_DIR, save_json
from hercules.errors import InputError

PIP_SPEC = "toponymy umap-learn"
logger = logging.getLogger(__name__)


class Encoder:
    """Our embedder as Toponymy wants it: ``encode(texts, show_progress_bar=...)``."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray]) -> None:
        self.embed = embed
        self.texts = 0

    def encode(self, texts: Sequence[str], show_progress_bar: bool | None = None, **_: Any) -> Any:
        self.texts += len(texts)
        return np.asarray(self.embed([str(t) for t in texts]), dtype=np.float32)


class CallCounter:
    """Calls, failures and tokens of the namer's LLM, from LiteLLM's success callback and
    Toponymy's debug callback (a payload per call)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls = 0
        self.errors = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.usage_seen = 0
        self.error_messages: list[str] = []  # the first few, for the results

    def debug(self, payload: dict[str, Any]) -> None:
        event = payload.get("event", "")
        with self.lock:
            if event.endswith("call_success"):
                self.calls += 1
            elif event.endswith("call_error"):
                self.calls += 1
                self.errors += 1
                error = payload.get("error") or {}
                message = f"{error.get('type', '?')}: {str(error.get('message', ''))[:300]}"
                if len(self.error_messages) < 5:
                    self.error_messages.append(message)
                logger.warning("Toponymy's LLM call failed: %s", message)

    def usage(self, kwargs: Any, response: Any, start: Any, end: Any) -> None:
        usage = getattr(response, "usage", None)
        if usage is None:
            return
        with self.lock:
            self.usage_seen += 1
            self.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
            self.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)

    def totals(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "failed_calls": self.errors,
            "prompt_tokens": self.prompt_tokens if self.usage_seen else None,
            "generated_tokens": self.completion_tokens if self.usage_seen else None,
            "calls_with_usage": self.usage_seen,
            "first_errors": list(self.error_messages),
        }


def loop_safe(namer: Any, limit: int) -> Any:
    """``namer`` with a semaphore per event loop. Toponymy names each layer in an
    ``asyncio.run`` of its own, a new loop each time, and its async namer makes one semaphore at
    construction, which fails every call of the second layer ("bound to a different event
    loop")."""
    per_loop: dict[int, asyncio.Semaphore] = {}

    def semaphore(_self: Any) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        return per_loop.setdefault(id(loop), asyncio.Semaphore(limit))

    namer.__class__ = type(
        "LoopSafe" + type(namer).__name__,
        (type(namer),),
        {"semaphore": property(semaphore, lambda _self, _value: None)},
    )
    return namer


def layer_members(labels: np.ndarray, n_topics: int) -> list[np.ndarray]:
    """Each topic's item indices (label -1, unclustered, belongs to none)."""
    labels = np.asarray(labels)
    return [np.flatnonzero(labels == topic) for topic in range(n_topics)]


def score_layers(
    names: list[list[str]],
    labels: list[np.ndarray],
    groups: Sequence[str],
    taxonomy: tx.Taxonomy,
    embed: Callable[[list[str]], np.ndarray],
) -> dict[str, Any]:
    """Per Toponymy layer (1 = finest, as our levels count): the taxonomy scores of its names."""
    matcher = tx.NodeMatcher(taxonomy, embed)
    titles = {i + 1: list(layer) for i, layer in enumerate(names)}
    members = {i + 1: layer_members(labels[i], len(names[i])) for i in range(len(names))}
    scores = tx.score_levels(matcher, titles, members, groups)
    for i, layer_labels in enumerate(labels):
        scores[str(i + 1)]["unclustered"] = float(np.mean(np.asarray(layer_labels) < 0))
    return scores


def table(scores: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for layer in sorted(scores, key=int):
        m = scores[layer]["means"]
        keys = ("coverage", "precision", "coverage_x_precision", "too_broad")
        rows.append(
            {"level": int(layer), "titles": "toponymy", "clusters": len(scores[layer]["clusters"])}
            | {k: round(m[k], 3) for k in keys}
            | {"unclustered": round(scores[layer]["unclustered"], 3)}
        )
        rows.append(
            {"level": int(layer), "titles": "oracle (<= 3 names)"}
            | {
                "coverage": round(m["oracle_coverage"], 3),
                "precision": 1.0,
                "coverage_x_precision": round(m["oracle_coverage"], 3),
                "too_broad": None,
            }
        )
    return rows


@contextmanager
def served_model(model: str, threads: int | None, parallel: int, context: int):
    """``python -m hercules.llm.serve`` in a child process; yields its address."""
    command = [sys.executable, "-m", "hercules.llm.serve", model, "--parallel", str(parallel)]
    command += ["--context", str(context)]
    if threads:
        command += ["--threads", str(threads)]
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        address = child.stdout.readline().strip()
        if not address.startswith("http"):
            raise RuntimeError(f"{shlex.join(command)} printed {address!r}, not an address")
        yield address
    finally:
        if child.stdin:
            child.stdin.close()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()


def run_toponymy(
    texts: list[str],
    vectors: np.ndarray,
    encoder: Encoder,
    address: str,
    counter: CallCounter,
    *,
    base_n_clusters: int,
    min_clusters: int,
    parallel: int,
    seed: int,
    verbose: bool = False,
) -> dict[str, Any]:
    """Toponymy end to end as its README runs it; names and labels per layer, finest first."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch of the price list
    try:
        import litellm
        import umap
        from toponymy import Toponymy, ToponymyClusterer
        from toponymy.llm_wrappers import AsyncOpenAINamer
    except ImportError as exc:
        raise InputError(
            f"The Toponymy bench needs its packages ({exc}). Install them in a venv of their own: "
            f"pip install -e '.[llm]' {PIP_SPEC}"
        ) from exc
    litellm.success_callback = [counter.usage]
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    document_map = umap.UMAP(
        n_components=2, metric="cosine", random_state=seed, verbose=verbose
    ).fit_transform(vectors)
    seconds["umap"] = round(time.perf_counter() - start, 1)
    namer = loop_safe(
        AsyncOpenAINamer(
            model="openai/local",
            api_key="none",
            api_base=address + "/v1",
            max_concurrent_requests=parallel,
            callback=counter.debug,
        ),
        parallel,
    )
    clusterer = ToponymyClusterer(
        min_clusters=min_clusters, base_n_clusters=base_n_clusters, verbose=verbose
    )
    model = Toponymy(
        llm_wrapper=namer,
        text_embedding_model=encoder,
        clusterer=clusterer,
        object_description="newsgroup posts",
        corpus_description="20-newsgroups dataset",
        exemplar_delimiters=["<EXAMPLE_POST>\n", "\n</EXAMPLE_POST>\n\n"],
        verbose=verbose,
    )
    start = time.perf_counter()
    model.fit(texts, vectors, document_map)
    seconds["fit"] = round(time.perf_counter() - start, 1)
    return {
        "names": [list(layer) for layer in model.topic_names_],
        "labels": [np.asarray(layer.cluster_labels) for layer in model.cluster_layers_],
        "seconds": seconds,
        "versions": {p: _version(p) for p in ("toponymy", "litellm", "umap-learn")},
    }


def fit_served(
    args: argparse.Namespace,
    texts: list[str],
    vectors: np.ndarray,
    encoder: Encoder,
    counter: CallCounter,
    levels: list[int],
) -> dict[str, Any]:
    """Serve the local model for the length of one Toponymy run."""
    with served_model(args.model, args.threads, args.parallel, args.context) as address:
        return run_toponymy(
            texts,
            vectors,
            encoder,
            address,
            counter,
            base_n_clusters=levels[0],
            min_clusters=levels[-1],
            parallel=args.parallel,
            seed=args.seed,
            verbose=args.verbose,
        )


def save_raw(path: Path, result: dict[str, Any]) -> None:
    """Names and labels per layer (and the run's cost), so scoring can be redone alone."""
    raw = result | {"labels": [np.asarray(x).tolist() for x in result["labels"]]}
    save_json(path, raw)


def load_raw(path: Path) -> dict[str, Any]:
    raw = json.loads(path.read_text())
    return raw | {"labels": [np.asarray(x) for x in raw["labels"]]}


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def smoke_layers(vectors: np.ndarray, groups: Sequence[str]) -> dict[str, Any]:
    """Stand-in for Toponymy's output (no Toponymy installed): k-means layers of 6 and 2, each
    topic named after its most common group, one post in ten left unclustered."""
    from sklearn.cluster import KMeans

    names, labels = [], []
    for k in (6, 2):
        found = KMeans(n_clusters=k, n_init=3, random_state=0).fit_predict(vectors)
        found[::10] = -1
        labels.append(found)
        names.append(
            [
                max(set(g := [groups[i] for i in np.flatnonzero(found == c)]), key=g.count)
                .split(".")[-1]
                .title()
                for c in range(k)
            ]
        )
    return {"names": names, "labels": labels, "seconds": {}, "versions": {}}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000, help="posts in the demo's sample")
    parser.add_argument("--levels", default="40,10,4", help="our levels: finest k, top k used")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b", help="local model to serve")
    parser.add_argument("--threads", type=int, default=None, help="LLM threads (default: all)")
    parser.add_argument("--parallel", type=int, default=4, help="requests served at once")
    parser.add_argument(
        "--context", type=int, default=8192, help="tokens per slot (Toponymy's prompts are long)"
    )
    parser.add_argument(
        "--max-chars",
        type=int,
        default=500,
        help="each post cut to this many characters for Toponymy (0: whole posts); its "
        "exemplars are whole posts, 8 to a prompt",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--taxonomy", type=Path, default=None, help="20ng_taxonomy.json")
    parser.add_argument("--verbose", action="store_true", help="Toponymy's progress, stacks")
    parser.add_argument("--smoke", action="store_true", help="stand-in layers: no Toponymy")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "toponymy_demo.json")
    parser.add_argument(
        "--raw",
        type=Path,
        default=None,
        help="Toponymy's names and labels per layer: written after a run, or read to rescore",
    )
    args = parser.parse_args(argv)
    levels = [int(k) for k in args.levels.split(",")]
    if args.verbose:  # where a long step spends its time: every thread's stack each 2 min
        faulthandler.dump_traceback_later(120, repeat=True)
    counter = CallCounter()
    if args.smoke:
        from bench.bench_llm_batch import _Hashing
        from bench.smoke import tiny_newsgroups

        news = tiny_newsgroups()
        texts, groups = news.texts, list(news.categories)
        embed = _Hashing().embed
        nodes: dict[str, Any] = {}
        for group in dict.fromkeys(groups):
            area = group.split(".")[0]
            nodes.setdefault(area, {"name": area, "parent": None})
            nodes[group] = {"name": group.split(".")[-1], "parent": area}
        taxonomy = tx.taxonomy_from_dict({"nodes": nodes})
        encoder = Encoder(embed)
        result = smoke_layers(encoder.encode(texts), groups)
    else:
        from hercules.data.newsgroups import load_newsgroups, sample_posts
        from hercules.embed import MiniLMEmbedder

        taxonomy = tx.load_taxonomy(args.taxonomy)
        texts, groups, _ = sample_posts(load_newsgroups(), args.n, seed=0)
        embed = MiniLMEmbedder().embed
        encoder = Encoder(embed)
        start = time.perf_counter()
        vectors = encoder.encode(texts)
        embed_seconds = round(time.perf_counter() - start, 1)
        if args.raw is not None and args.raw.is_file():
            result = load_raw(args.raw)
        else:
            given = [t[: args.max_chars] for t in texts] if args.max_chars else texts
            result = fit_served(args, given, vectors, encoder, counter, levels)
            result["seconds"]["embed_posts"] = embed_seconds
            result["llm"] = counter.totals()
            if args.raw is not None:
                save_raw(args.raw, result)
    scores = score_layers(result["names"], result["labels"], groups, taxonomy, embed)
    rows = table(scores)
    print_table(rows)
    payload = {
        "what": "Toponymy's layer names on the demo corpus, scored against the 20NG taxonomy",
        "corpus": "smoke" if args.smoke else f"20NG demo sample of {args.n}",
        "items": len(texts),
        "model": "smoke stand-in" if args.smoke else args.model,
        "settings": {
            "base_n_clusters": levels[0],
            "min_clusters": levels[-1],
            "parallel": args.parallel,
            "context": args.context,
            "threads": args.threads,
            "seed": args.seed,
            "max_chars": args.max_chars,
        },
        "versions": result["versions"],
        "layers": [len(layer) for layer in result["names"]],
        "seconds": result["seconds"] | {"total": round(sum(result["seconds"].values()), 1)},
        "llm": result.get("llm", counter.totals()),
        "embedded_texts": encoder.texts,
        "table": rows,
        "scores": scores,
    }
    save_json(args.out, payload)
    return payload


if __name__ == "__main__":
    main()
