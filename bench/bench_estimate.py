"""Is the dry run's time estimate right? Estimate, then run, on a 20NG sample.

The estimate is what ``hercules run --dry-run`` prints: level sizes and the model's speed
measured with two short calls (:func:`hercules.summarize.speed.measure`). Then the same sample
is clustered for real with the local model as the default labeller runs it (its slots, no
cache), timing the LLM's wall time (first call's start to last call's end: the calls overlap)
and the moment the keyword-titled tree first existed. Finally the run's own call log
recalibrates the estimate (what a dry run in the same ``--out`` would print next time). Writes
bench/results/estimate.json.

    flock /tmp/hercules-heavy.lock python -m bench.bench_estimate [--n 240] [--levels 6,2]

``--smoke`` uses a fake model that reports the time a fixed speed would take (bench/smoke.py).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import RESULTS_DIR, machine, save_json
from bench.smoke import FakeLLM, hashing_vectors, tiny_newsgroups
from hercules import Hercules
from hercules.data.inputs import load_corpus
from hercules.llm.base import Completion
from hercules.summarize import speed
from hercules.summarize.llm import LLMSummarizer
from hercules.summarize.plan import plan_run


class _TimedFake(FakeLLM):
    """Smoke model: answers like FakeLLM and reports 100 prompt / 25 generated tokens/s."""

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def complete_with_usage(self, prompt: str, *, schema: Any, max_tokens: int) -> Completion:
        text = self.complete(prompt, schema=schema, max_tokens=max_tokens)
        tokens, generated = self.count_tokens(prompt), min(max_tokens, self.count_tokens(text))
        return Completion(text, tokens, generated, tokens / 100 + generated / 25)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=240, help="documents sampled from 20NG")
    parser.add_argument("--levels", default="6,2")
    parser.add_argument("--threads", type=int, default=None, help="default: all cores")
    parser.add_argument("--smoke", action="store_true", help="tiny corpus and a fake LLM")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "estimate.json")
    args = parser.parse_args(argv)
    os.environ["HERCULES_CACHE_DIR"] = tempfile.mkdtemp(prefix="hercules-bench-")
    levels = [int(k) for k in args.levels.split(",")]
    llm: Any
    if args.smoke:
        texts = tiny_newsgroups().texts
        llm, vectors = _TimedFake(), hashing_vectors(texts)
    else:
        from hercules.data.newsgroups import load_newsgroups
        from hercules.llm import LocalLLM
        from hercules.llm.default_providers import DEFAULT_PARALLEL

        corpus = load_newsgroups()
        keep = np.sort(np.random.default_rng(0).choice(len(corpus.texts), args.n, replace=False))
        texts = [corpus.texts[i] for i in keep]
        # The default labeller's slots: what `hercules run --dry-run` estimates for.
        llm = LocalLLM("qwen2.5-coder-1.5b", threads=args.threads, parallel=DEFAULT_PARALLEL)
        vectors = None

    start = time.perf_counter()
    measured = speed.measure(llm)
    measure_seconds = time.perf_counter() - start
    plan = plan_run(load_corpus(texts), levels, labeller="llm", batch_size=1, calibration=measured)

    summarizer = LLMSummarizer(llm, cache=None)
    seen: dict[str, float] = {}
    start = time.perf_counter()
    model = Hercules(levels, labeller=summarizer, cache=False)
    model.fit(
        texts,
        embeddings=vectors,
        on_draft=lambda tree: seen.setdefault("draft", time.perf_counter() - start),
    )
    fit_seconds = time.perf_counter() - start
    log = summarizer.call_log
    live = [r for r in log if not r["cached"]]
    llm_seconds = sum(r["seconds"] for r in live)
    if args.smoke:  # the fake's seconds are made up: its call times say nothing of overlap
        log = [{k: v for k, v in r.items() if k != "time"} for r in log]
        llm_wall = llm_seconds
    else:
        llm_wall = speed.wall_seconds(live)  # calls overlap in the slots
    recalibrated = speed.from_log(log)
    again = plan_run(
        load_corpus(texts), levels, labeller="llm", batch_size=1, calibration=recalibrated
    )
    payload = {
        "what": "dry-run estimate vs the real LLM time of the same run",
        "model": getattr(llm, "model_id", "?"),
        "threads": getattr(llm, "threads", None),
        "parallel": getattr(llm, "parallel", None),
        "docs": len(texts),
        "levels": levels,
        "measure_seconds": round(measure_seconds, 1),
        "measured_speed": {
            "prompt_per_s": round(measured.prompt_per_s, 1),
            "generated_per_s": round(measured.generated_per_s, 1),
        },
        "estimate": {k: plan[k] for k in ("calls", "prompt_tokens", "generated_tokens", "seconds")},
        "real": {
            "calls": len(log),
            "prompt_tokens": sum(r["prompt_tokens"] or 0 for r in log),
            "generated_tokens": sum(r["completion_tokens"] or 0 for r in log),
            "llm_seconds": round(llm_seconds, 1),
            "llm_wall_seconds": round(llm_wall, 1),
            "fit_seconds": round(fit_seconds, 1),
            "draft_tree_after_seconds": round(seen.get("draft", float("nan")), 1),
        },
        "estimate_over_real": round(plan["seconds"] / max(llm_wall, 1e-9), 3),
        "from_this_log": {
            "seconds": again["seconds"],
            "over_real": round(again["seconds"] / max(llm_wall, 1e-9), 3),
        },
        "load_average_1min": round(os.getloadavg()[0], 2),
        "machine": machine(),
    }
    print({k: v for k, v in payload.items() if k != "machine"}, flush=True)
    save_json(args.out, payload)
    return payload


if __name__ == "__main__":
    main()
