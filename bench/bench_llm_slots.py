"""Tokens/s of the local LLM with 1, 2 and 4 parallel sequences (llama.cpp slots).

Real cluster-summary prompts are recorded first (a 20NG sample clustered on hashed
bag-of-words vectors; the vectors only group the texts, the prompts are what the LLM labeller
writes for them), then the same prompts are replayed to Qwen2.5-Coder-1.5B with ``parallel``
slots and as many calls in flight (continuous batching). Also checks that a second prompt with
the same header is served partly from the prefix cache. Writes bench/results/llm_slots.json.

    flock /tmp/hercules-heavy.lock python -m bench.bench_llm_slots [--slots 1,2,4] [--prompts 6]

``--smoke`` runs the same code with a fake LLM on a tiny corpus (bench/smoke.py).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import RESULTS_DIR, machine, save_json
from bench.smoke import FakeLLM, hashing_vectors, tiny_newsgroups
from hercules import Hercules
from hercules.llm.base import Completion, call
from hercules.summarize.llm import LLMSummarizer


class _Recorder(FakeLLM):
    """Answers like the smoke LLM and keeps every (prompt, schema, max_tokens) it was asked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, dict[str, Any] | None, int]] = []

    def complete(
        self, prompt: str, *, schema: dict[str, Any] | None = None, max_tokens: int = 256
    ) -> str:
        self.asked.append((prompt, schema, max_tokens))
        return super().complete(prompt, schema=schema, max_tokens=max_tokens)


class _CountingFake(FakeLLM):
    """The smoke LLM with a word-count tokenizer, so the token totals are not all zero."""

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def record_prompts(texts: list[str], count: int) -> list[tuple[str, dict[str, Any] | None, int]]:
    """the LLM labeller's own prompts for ``count`` clusters of ``texts`` (one call each)."""
    recorder = _Recorder()
    summarizer = LLMSummarizer(recorder, cache=None)
    Hercules([count], labeller=summarizer, cache=False, embed_descriptions=False).fit(
        texts, embeddings=hashing_vectors(texts)
    )
    return recorder.asked[:count]


def replay(llm: Any, prompts: list[tuple[str, dict[str, Any] | None, int]], workers: int) -> dict:
    """Send every prompt, ``workers`` at a time; wall time and token totals."""

    def one(item: tuple[str, dict[str, Any] | None, int]) -> Completion:
        prompt, schema, max_tokens = item
        return call(llm, prompt, schema=schema, max_tokens=max_tokens)

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        done = list(pool.map(one, prompts))
    wall = max(time.perf_counter() - start, 1e-6)
    prompt_tokens = sum(c.prompt_tokens or 0 for c in done)
    generated = sum(c.completion_tokens or 0 for c in done)
    return {
        "requests": len(done),
        "wall_seconds": round(wall, 2),
        "seconds_per_request": round(wall / len(done), 2),
        "mean_call_seconds": round(float(np.mean([c.seconds for c in done])), 2),
        "prompt_tokens": prompt_tokens,
        "generated_tokens": generated,
        "tokens_per_s": round((prompt_tokens + generated) / wall, 1),
        "generated_per_s": round(generated / wall, 2),
    }


def prefix_cache_check(llm: Any, prompts: list[tuple[str, dict[str, Any] | None, int]]) -> dict:
    """Two prompts never sent before that share only the header, back to back on one slot:
    the tokens the second one reuses (a few answer tokens suffice to see it)."""
    from hercules.llm.chat import chat_request

    server = llm._load()
    out = []
    for prompt, schema, _ in prompts[:2]:
        request = chat_request(
            prompt, schema=schema, max_tokens=4, temperature=0.0, cache_prompt=True
        )
        usage = server.handle_chat_completions(request).get("usage") or {}
        details = usage.get("prompt_tokens_details") or {}
        out.append(
            {"prompt_tokens": usage.get("prompt_tokens"), "cached": details.get("cached_tokens")}
        )
    first, second = prompts[0][0], prompts[1][0]
    shared = next(
        (i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b), len(first)
    )
    return {"calls": out, "shared_prefix_chars": shared}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slots", default="1,2,4")
    parser.add_argument("--prompts", type=int, default=6)
    parser.add_argument("--n", type=int, default=600, help="documents sampled from 20NG")
    parser.add_argument("--threads", type=int, default=None, help="default: all cores")
    parser.add_argument("--smoke", action="store_true", help="tiny corpus and a fake LLM")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "llm_slots.json")
    parser.add_argument(
        "--cache-only", action="store_true", help="only the prefix-cache check, into --out"
    )
    args = parser.parse_args(argv)
    os.environ["HERCULES_CACHE_DIR"] = tempfile.mkdtemp(prefix="hercules-bench-")
    if args.smoke:
        texts = tiny_newsgroups().texts
    else:
        from hercules.data.newsgroups import load_newsgroups

        corpus = load_newsgroups()
        rng = np.random.default_rng(0)
        keep = np.sort(rng.choice(len(corpus.texts), size=args.n, replace=False))
        texts = [corpus.texts[i] for i in keep]
    prompts = record_prompts(texts, args.prompts)
    fresh = record_prompts(texts, 2)  # other clusters: prompts that share only the header
    if args.cache_only:
        from hercules.llm import LocalLLM

        payload = json.loads(args.out.read_text()) if args.out.exists() else {}
        checker = LocalLLM("qwen2.5-coder-1.5b", threads=args.threads)
        payload["prefix_cache"] = {"checked": True, **prefix_cache_check(checker, fresh)}
        print(payload["prefix_cache"], flush=True)
        save_json(args.out, payload)
        return payload
    runs = []
    cache_check: dict[str, Any] = {"checked": False}
    model_id = "smoke-fake-llm"
    threads = args.threads
    for slots in [int(s) for s in args.slots.split(",")]:
        if args.smoke:
            llm: Any = _CountingFake()
        else:
            from hercules.llm import LocalLLM

            llm = LocalLLM("qwen2.5-coder-1.5b", threads=args.threads, parallel=slots)
            threads, model_id = llm.threads, llm.model_id
            call(llm, prompts[-1][0], schema=prompts[-1][1], max_tokens=8)  # load, warm the header
        run = {"slots": slots, "concurrency": slots, **replay(llm, prompts, slots)}
        run["load_average_1min"] = round(os.getloadavg()[0], 2)  # other work on the machine
        print(run, flush=True)
        runs.append(run)
        if not args.smoke and slots == 1:
            cache_check = {"checked": True, **prefix_cache_check(llm, fresh)}
            print(cache_check, flush=True)
        if hasattr(llm, "close"):
            llm.close()
    for run in runs:
        run["speedup"] = round(run["tokens_per_s"] / runs[0]["tokens_per_s"], 2)
    payload = {
        "what": "local LLM throughput by parallel sequences (llama.cpp slots, continuous batching)",
        "model": model_id,
        "threads": threads,
        "prompts": len(prompts),
        "mean_prompt_chars": round(float(np.mean([len(p[0]) for p in prompts])), 1),
        "runs": runs,
        "prefix_cache": cache_check,
        "machine": machine(),
    }
    save_json(args.out, payload)
    return payload


if __name__ == "__main__":
    main()
