"""The README's ``hercules demo``, timed as a new user meets it: total wall time and how soon
the first tree (keyword titles, before the LLM) is on screen.

Runs the command in a child process with an empty cache (so the 2,000 posts are embedded, as on
a fresh machine; the model file is assembled already) and timestamps every output line, and
reads the run's LLM log for its calls and tokens. Writes bench/results/demo.json.

``--against REV`` first runs the demo of git revision REV (checked out in a temporary worktree,
run with this venv), then the current code's, each with an empty cache: this machine's speed
drifts from day to day, and two figures taken back to back compare where two taken on
different days do not.

    flock /tmp/hercules-heavy.lock python -m bench.bench_demo [--args "--llm-threads 2"]
    flock /tmp/hercules-heavy.lock python -m bench.bench_demo --against REV
    python -m bench.bench_demo --smoke     # 200 posts, keyword titles
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import RESULTS_DIR, machine, save_json
from hercules.data.newsgroups import default_path

_TREE_LINE = re.compile(r"L\d+ #\d+")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def timed_run(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Wall time, the time of the first tree line, and the output with times per line.

    The child writes to a pseudo-terminal, as in a user's shell: rich then draws its bars and
    prints the draft tree as they happen instead of when the process ends.
    """
    import pty

    start = time.perf_counter()
    master, slave = pty.openpty()
    child = subprocess.Popen(command, env=env, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    first_tree = None
    lines: list[str] = []
    pending = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        now = round(time.perf_counter() - start, 1)
        pending += chunk
        *done, pending = re.split(rb"[\r\n]+", pending)
        for raw in done:
            line = _ANSI.sub("", raw.decode("utf-8", "replace")).strip()
            if not line or "━" in line:  # a progress bar redrawn: not worth keeping
                continue
            if first_tree is None and _TREE_LINE.search(line):
                first_tree = now
            if not lines or not lines[-1].endswith(line):
                lines.append(f"{now:7.1f}  {line}")
    os.close(master)
    code = child.wait()
    if code != 0:
        raise RuntimeError(f"{command} failed with exit code {code}:\n" + "\n".join(lines[-20:]))
    return {
        "seconds": round(time.perf_counter() - start, 1),
        "first_tree_seconds": first_tree,
        "output": lines[-120:],
    }


def llm_use(run: Path) -> dict[str, int]:
    """Calls and tokens of a saved run's LLM log (none for a run without one)."""
    from bench.llm_common import log_totals
    from hercules.store import read_log

    totals = log_totals(read_log(run))
    return {
        "llm_calls": totals["calls"],
        "prompt_tokens": totals["prompt_tokens"],
        "generated_tokens": totals["generated_tokens"],
    }


def demo_once(extra: list[str], src: Path | None = None) -> dict[str, Any]:
    """One ``hercules demo`` with an empty cache: of this checkout, or of the code in ``src``."""
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        env = dict(os.environ, HERCULES_CACHE_DIR=str(Path(tmp) / "cache"))
        if src is not None:  # another checkout: it finds no corpus beside itself
            env["PYTHONPATH"] = str(src)
            found = default_path()
            if found is not None:
                env.setdefault("HERCULES_20NG", str(found))
        run = Path(tmp) / "run"
        command = [sys.executable, "-m", "hercules.cli", "demo", "--out", str(run)]
        result = timed_run(command + extra, env)
        return {**result, **llm_use(run)}


def against(revision: str, extra: list[str]) -> dict[str, Any]:
    """The demo at git ``revision`` and at the current code, run back to back."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="bench-demo-rev-") as tmp:
        tree = Path(tmp) / "tree"
        added = subprocess.run(
            ["git", "-C", str(root), "worktree", "add", "--detach", str(tree), revision],
            capture_output=True,
            text=True,
        )
        if added.returncode != 0:
            raise SystemExit(f"--against {revision!r}: git cannot check it out: {added.stderr}")
        try:
            full = subprocess.run(
                ["git", "-C", str(tree), "rev-parse", "HEAD"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            base = demo_once(extra, tree / "src")
        finally:
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(tree)])
    current = demo_once(extra)
    return {**current, "against": {"revision": full, **base}}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--args", default="", help="extra arguments for hercules demo")
    parser.add_argument("--against", metavar="REV", help="also time the demo at git REV")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "demo.json")
    args = parser.parse_args(argv)
    extra = shlex.split(args.args)
    if args.smoke:
        extra += ["--n", "200", "--levels", "8,3", "--labeller", "keywords"]
    result = against(args.against, extra) if args.against else demo_once(extra)
    payload = {
        "what": "hercules demo end to end, cold embedding cache",
        "measured_command": "hercules demo " + " ".join(extra),
        **result,
        "machine": machine(),
    }
    print(f"demo: {result['seconds']} s, first tree at {result['first_tree_seconds']} s")
    if args.against:
        base = result["against"]
        print(f"at {args.against}: {base['seconds']} s, tree at {base['first_tree_seconds']} s")
    save_json(args.out, payload)
    return payload


if __name__ == "__main__":
    main()
