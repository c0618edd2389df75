"""Serve a local GGUF model over OpenAI-compatible HTTP (the llama.cpp server in xllamacpp).

``python -m hercules.llm.serve smollm2-135m --threads 1`` prints ``http://127.0.0.1:PORT`` on
its first line of stdout, then serves until killed (or until stdin closes). ``--parallel N``
serves N requests at once (llama.cpp slots with continuous batching).
"""

from __future__ import annotations

import argparse
import sys

from hercules.llm.local import LocalLLM


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", help="qwen2.5-coder-1.5b, smollm2-135m or a .gguf path")
    parser.add_argument("--threads", type=int, default=None, help="default: all cores")
    parser.add_argument("--context", type=int, default=4096, help="tokens per slot")
    parser.add_argument("--parallel", type=int, default=1, help="requests served at once")
    args = parser.parse_args(argv)
    llm = LocalLLM(args.model, threads=args.threads, context=args.context, parallel=args.parallel)
    sys.stdout.write(llm.address + "\n")
    sys.stdout.flush()
    sys.stdin.read()  # serve until the parent closes our stdin or kills us


if __name__ == "__main__":
    main()
