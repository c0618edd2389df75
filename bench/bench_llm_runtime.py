"""Where a local LLM call spends its time: reading the prompt or generating the answer.

Records the LLM labeller's own prompts for a 20NG sample (as ``bench_llm_slots`` does), sends them
one at a time to Qwen2.5-Coder-1.5B on one slot through the same grammar the LLM labeller uses,
and reports llama.cpp's own timings per call: prompt tokens and prompt tok/s, generated tokens
and generated tok/s. Also prints the xllamacpp build's CPU features, so a wheel built from source
(``--label native``, with that wheel first on ``PYTHONPATH``) can be compared with the prebuilt
one. Writes bench/results/llm_runtime_<label>.json.

    flock /tmp/hercules-heavy.lock python -m bench.bench_llm_runtime [--label prebuilt]

``--smoke`` runs the same code on the synthetic corpus with the SmolLM2-135M test model.
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

from bench.bench_llm_slots import record_prompts
from bench.common import RESULTS_DIR, machine, save_json


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="prebuilt", help="names the results file")
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--threads", type=int, default=None, help="default: all cores")
    parser.add_argument("--smoke", action="store_true", help="tiny corpus, SmolLM2 test model")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    os.environ["HERCULES_CACHE_DIR"] = tempfile.mkdtemp(prefix="hercules-bench-")
    import xllamacpp

    from hercules.data.newsgroups import load_newsgroups
    from hercules.llm import LocalLLM
    from hercules.llm.chat import chat_request

    if args.smoke:
        from bench.smoke import tiny_newsgroups

        texts, model = tiny_newsgroups().texts, "smollm2-135m"
    else:
        corpus = load_newsgroups()
        rng = np.random.default_rng(0)
        keep = np.sort(rng.choice(len(corpus.texts), size=600, replace=False))
        texts, model = [corpus.texts[i] for i in keep], "qwen2.5-coder-1.5b"
    prompts = record_prompts(texts, args.prompts)
    llm = LocalLLM(model, threads=args.threads, parallel=1)
    server = llm._load()
    features = str(xllamacpp.get_system_info()).strip()
    print(features, flush=True)
    calls = []
    for prompt, schema, max_tokens in prompts:
        grammar = llm._grammar(schema)
        request = chat_request(
            prompt,
            schema=None if grammar else schema,
            max_tokens=max_tokens,
            temperature=0.0,
            cache_prompt=True,
            **({"grammar": grammar} if grammar else {}),
        )
        start = time.perf_counter()
        answer = server.handle_chat_completions(request)
        timings = answer["timings"]
        calls.append(
            {
                "seconds": round(time.perf_counter() - start, 2),
                "prompt_tokens": timings["prompt_n"],
                "prompt_seconds": round(timings["prompt_ms"] / 1000, 2),
                "generated_tokens": timings["predicted_n"],
                "generated_seconds": round(timings["predicted_ms"] / 1000, 2),
                "grammar": "llguidance" if grammar else "response_format",
                "answer": answer["choices"][0]["message"]["content"],
            }
        )
        print({k: v for k, v in calls[-1].items() if k != "answer"}, flush=True)

    def total(key: str) -> float:
        return float(sum(call[key] for call in calls))

    summary = {
        "calls": len(calls),
        "seconds": round(total("seconds"), 2),
        "prompt_tokens": int(total("prompt_tokens")),
        "prompt_tok_per_s": round(total("prompt_tokens") / total("prompt_seconds"), 1),
        "prompt_share_of_time": round(total("prompt_seconds") / total("seconds"), 2),
        "generated_tokens": int(total("generated_tokens")),
        "generated_tok_per_s": round(total("generated_tokens") / total("generated_seconds"), 1),
        "generated_share_of_time": round(total("generated_seconds") / total("seconds"), 2),
    }
    print(summary, flush=True)
    payload = {
        "what": "one local LLM call split into prompt reading and generation (llama.cpp timings)",
        "label": args.label,
        "model": llm.model_id,
        "xllamacpp": xllamacpp.__file__,
        "cpu_features": features,
        "threads": llm.threads,
        "machine": machine(),
        "summary": summary,
        "calls": calls,
    }
    save_json(args.out or RESULTS_DIR / f"llm_runtime_{args.label}.json", payload)
    return payload


if __name__ == "__main__":
    main()
