"""HERCULES vs the paper's pyhercules 1.1.1, side by side, same clients, same data, one script.

pyhercules is installed from PyPI into its own virtual environment (``bench/.venv-pyhercules``,
created on first use with ``python -m venv --system-site-packages`` + ``pip install --no-deps
pyhercules==1.1.1``; its dependencies numpy, pandas, scikit-learn, scipy and Pillow come from
the base environment). Each tool then runs in its own child process (``bench.pyhercules_worker``,
same interpreter for both), given the same two callables in pyhercules' client signatures:
``text_embedding_client(list[str]) -> array`` = MiniLM int8 (hercules' ``MiniLMEmbedder``, 2
threads) and ``llm_client(prompt) -> str`` = Qwen2.5-Coder-1.5B Q4_K_M (hercules'
``LocalLLM``, 1 thread, greedy, 16k context so pyhercules' 20-cluster prompts fit). Nothing is
cached: the embedding callable has no cache and hercules gets a fresh cache directory. Both
models are loaded before each tool's clock starts.

Data: a stratified 20NG subset (``--per-category`` documents per newsgroup, >= 50 characters,
rng seed 0), levels ``--levels`` (default [20, 5]). Reported per tool: wall time split into
embedding / LLM / the rest, LLM calls and tokens, ARI/NMI per level (against the 20 newsgroups
and the six super-groups), peak RSS of the child (``os.wait4``), and the speed-ups as ratios
measured in this one run. Writes bench/results/pyhercules.json.

    python -m bench.bench_pyhercules [--per-category 100] [--levels 20,5] [--smoke]

``--smoke`` runs hercules on a tiny corpus with stand-in clients and, without running
pyhercules, feeds a canned pyhercules result through the same reporting code.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import BENCH_DIR, RESULTS_DIR, machine, save_json

ROOT = BENCH_DIR.parent
VENV = BENCH_DIR / ".venv-pyhercules"
TARGET_SPEEDUP = 3.0  # the speed-up over pyhercules aimed at, end to end
PYHERCULES = "pyhercules==1.1.1"
STAGES = ("total_seconds", "embed_seconds", "llm_seconds", "other_seconds")


def venv_python(venv: Path = VENV) -> Path:
    """The venv's interpreter, creating the venv and installing pyhercules on first use."""
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import pyhercules, hercules"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", PYHERCULES], check=True
    )
    if sys.prefix != sys.base_prefix:  # run from a venv: the child sees its packages too
        import site

        where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        purelib = subprocess.run(
            [str(python), "-c", where], capture_output=True, text=True, check=True
        ).stdout.strip()
        lines = [f"import site; site.addsitedir({path!r})" for path in site.getsitepackages()]
        (Path(purelib) / "hercules-parent-venv.pth").write_text("\n".join(lines) + "\n")
    subprocess.run(check, check=True)
    return python


def run_child(python: Path | str, tool: str, args: argparse.Namespace, env: dict[str, str]) -> Any:
    """Run one tool in a child process; its JSON result plus the child's rusage peak RSS."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{tool}-") as tmp:
        out = Path(tmp) / "result.json"
        command = [
            str(python),
            "-m",
            "bench.pyhercules_worker",
            "--tool",
            tool,
            "--per-category",
            str(args.per_category),
            "--levels",
            args.levels,
            "--seed",
            str(args.seed),
            "--llm-threads",
            str(args.llm_threads),
            "--out",
            str(out),
        ] + (["--smoke"] if args.smoke else [])
        log = Path(tmp) / "child.log"
        start = time.perf_counter()
        with log.open("w") as handle:
            child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=handle)
            _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0 or not out.exists():
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{tool} worker failed with exit code {child.returncode}:\n{tail}")
        result = json.loads(out.read_text())
        result["log_tail"] = log.read_text(errors="replace")[-1500:]
    result["process_seconds"] = round(time.perf_counter() - start, 2)
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux: kilobytes
    return result


def canned_pyhercules(hercules: dict[str, Any]) -> dict[str, Any]:
    """A stand-in pyhercules result for ``--smoke`` (same keys; numbers invented)."""
    fake = json.loads(json.dumps(hercules))
    fake["tool"] = "pyhercules (smoke: not run)"
    for key in ("total_seconds", "embed_seconds", "llm_seconds", "other_seconds"):
        fake[key] = round(2.0 * hercules[key] + 0.01, 2)
    fake["llm_calls"] = max(1, hercules["llm_calls"] // 10)
    fake["embed_texts"] = 2 * hercules["embed_texts"]
    return fake


def compare(hercules: dict[str, Any], pyh: dict[str, Any]) -> dict[str, Any]:
    """Speed-ups (pyhercules time / hercules time) per stage and the other ratios."""

    def ratio(a: float, b: float) -> float | None:
        return round(a / b, 2) if b > 0 else None

    out: dict[str, Any] = {
        f"speedup_{stage.removesuffix('_seconds')}": ratio(pyh[stage], hercules[stage])
        for stage in STAGES
    }
    out["llm_calls_ratio"] = ratio(pyh["llm_calls"], hercules["llm_calls"])
    out["prompt_tokens_ratio"] = ratio(pyh["prompt_tokens"], hercules["prompt_tokens"])
    out["generated_tokens_ratio"] = ratio(pyh["generated_tokens"], hercules["generated_tokens"])
    out["embedded_texts_ratio"] = ratio(pyh["embed_texts"], hercules["embed_texts"])
    out["peak_rss_ratio"] = ratio(pyh["peak_rss_mb"], hercules["peak_rss_mb"])
    out["target_speedup"] = TARGET_SPEEDUP
    out["target_met"] = bool((out["speedup_total"] or 0.0) >= TARGET_SPEEDUP)
    return out


def print_table(results: dict[str, dict[str, Any]], ratios: dict[str, Any]) -> None:
    rows = [
        ("wall time (s)", "total_seconds"),
        ("  embedding (s)", "embed_seconds"),
        ("  LLM (s)", "llm_seconds"),
        ("  other (s)", "other_seconds"),
        ("LLM calls", "llm_calls"),
        ("prompt tokens", "prompt_tokens"),
        ("generated tokens", "generated_tokens"),
        ("texts embedded", "embed_texts"),
        ("peak RSS (MB)", "peak_rss_mb"),
    ]
    names = list(results)
    print(f"{'':<24}" + "".join(f"{n:>28}" for n in names))
    for label, key in rows:
        print(f"{label:<24}" + "".join(f"{results[n][key]:>28}" for n in names))
    for level in results[names[0]]["levels_scores"]:
        for metric in (
            "ari_newsgroups",
            "nmi_newsgroups",
            "ari_super_groups",
            "nmi_super_groups",
            "title_top1_newsgroups",
        ):
            cells = [results[n]["levels_scores"].get(level, {}).get(metric) for n in names]
            text = "".join(f"{c:>28.3f}" if c is not None else f"{'-':>28}" for c in cells)
            print(f"L{level} {metric:<21}" + text)
    print(
        f"speed-up end to end {ratios['speedup_total']}x (target {TARGET_SPEEDUP:g}x: "
        f"{'met' if ratios['target_met'] else 'missed'})"
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-category", type=int, default=100)
    parser.add_argument("--levels", default="20,5")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--llm-threads", type=int, default=1)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "pyhercules.json")
    args = parser.parse_args(argv)
    if args.smoke:
        args.per_category = min(args.per_category, 10)
        args.levels = "6,3"
    env = dict(os.environ)
    env["HERCULES_CACHE_DIR"] = tempfile.mkdtemp(prefix="hercules-vs-pyhercules-")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    python: Path | str = sys.executable if args.smoke else venv_python()
    results = {"hercules": run_child(python, "hercules", args, env)}
    failure = None
    if args.smoke:
        results["pyhercules"] = canned_pyhercules(results["hercules"])
    else:
        try:
            results["pyhercules"] = run_child(python, "pyhercules", args, env)
        except RuntimeError as exc:  # keep the HERCULES side and say what failed
            failure = str(exc)
            print(failure, file=sys.stderr)
    ratios = compare(results["hercules"], results["pyhercules"]) if not failure else {}
    if ratios:
        print_table(results, ratios)
    payload = {
        "what": "HERCULES vs pyhercules 1.1.1, same callables, same data, one run",
        "smoke": args.smoke,
        "pyhercules": PYHERCULES,
        "clients": "text_embedding_client = MiniLM int8 (2 threads); llm_client = "
        f"Qwen2.5-Coder-1.5B Q4_K_M, {args.llm_threads} thread(s), greedy, unconstrained",
        "corpus": f"20NG stratified subset, {args.per_category} docs per newsgroup",
        "levels": [int(x) for x in args.levels.split(",")],
        "results": results,
        "ratios": ratios,
        "pyhercules_failure": failure,
        "machine": machine(),
    }
    save_json(args.out, payload)
    return payload


if __name__ == "__main__":
    main()
