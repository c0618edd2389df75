"""Rename a saved run with the model's own answers from its build, and score it as the build.

A relabel from the default cache does not give a build's titles back: the build asked its
model from an empty cache, and the default cache holds the answers of other builds to the same
prompts (the local model decodes several calls at once and words some answers differently).
Here the run's own call log (``llm_log.jsonl``) answers every prompt it holds, so a change to
the steps after the model (clean, check, choose) is read with no noise at all, and a changed
prompt is asked of the local model (loaded only then) and counted.

    python -m bench.replay runs/coverage-demo --out /tmp/replayed.json
    python -m bench.coverage_diff bench/results/coverage_demo.json /tmp/replayed.json

The output has the shape of the coverage bench's results (``scores.ours`` per level), so
:mod:`bench.coverage_diff` reads it beside the committed file of the same run.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import taxonomy as tx
from bench.bench_coverage import newsgroups_of, tree_titles
from bench.common import save_json
from hercules import Hercules
from hercules.store import read_log


class ReplayLLM:
    """Answers a prompt with the last answer the run's log holds for it; any other prompt goes
    to ``inner()``, the model built on the first such call (an error without one). Its flags
    are the default local model's (JSON schemas with patterns), so the namer writes the
    build's prompts and schemas."""

    supports_schema = True
    supports_patterns = True

    def __init__(
        self,
        records: Sequence[dict[str, Any]],
        inner: Callable[[], Any] | None = None,
        model_id: str = "replay",
    ) -> None:
        self.answers = {
            r["prompt"]: r["response"]
            for r in records
            if isinstance(r.get("prompt"), str) and isinstance(r.get("response"), str)
        }
        self.model_id = model_id
        self.replayed = 0
        self.asked = 0
        self._inner = inner
        self._model: Any = None
        self._lock = threading.Lock()

    def complete(
        self, prompt: str, *, schema: dict[str, Any] | None = None, max_tokens: int = 256
    ) -> str:
        with self._lock:
            if prompt in self.answers:
                self.replayed += 1
                return self.answers[prompt]
            self.asked += 1
            if self._model is None:
                if self._inner is None:
                    raise LookupError(f"no answer in the run's log for: {prompt[:120]!r}")
                self._model = self._inner()
            model = self._model
        return str(model.complete(prompt, schema=schema, max_tokens=max_tokens))


def local_model() -> Any:
    """The default local model, as ``hercules demo`` builds it."""
    from hercules.llm.plugins import registry

    spec = registry().auto()
    if spec is None:
        raise LookupError("no local model is installed: pip install -e '.[llm]'")
    return registry().build(spec, None)


def replayed(
    run: Path, inner: Callable[[], Any] | None = local_model, **load: Any
) -> tuple[Hercules, ReplayLLM]:
    """The saved run, loaded with ``load`` and renamed at every level with its own answers,
    and the stand-in model that gave them (how many it replayed and asked anew)."""
    from hercules.summarize.llm import LLMSummarizer

    records = read_log(run)
    llm = ReplayLLM(records, inner, model_id=str(records[0]["model"]) if records else "replay")
    model = Hercules.load_model(run, labeller=LLMSummarizer(llm, cache=None), **load)
    model.relabel(stale_only=False)
    return model, llm


def replay(
    run: Path,
    groups: Sequence[str],
    taxonomy: tx.Taxonomy,
    inner: Callable[[], Any] | None = local_model,
    **load: Any,
) -> dict[str, Any]:
    """The run renamed with its own answers and scored against ``taxonomy`` (``groups``: each
    item's newsgroup), with its titles and how many calls were replayed and asked anew;
    ``load`` goes to :meth:`Hercules.load_model` (the clients of a run made with others)."""
    model, llm = replayed(run, inner, **load)
    return scored(run, model, llm, groups, taxonomy)


def scored(
    run: Path, model: Hercules, llm: ReplayLLM, groups: Sequence[str], taxonomy: tx.Taxonomy
) -> dict[str, Any]:
    """:func:`replay`'s result for a run already renamed by :func:`replayed`."""
    matcher = tx.NodeMatcher(taxonomy, model._level0.text_embedder().embed)
    titles, members = tree_titles(model)
    return {
        "run": str(run),
        "calls": {"replayed": llm.replayed, "asked": llm.asked},
        "titles": {str(level): names for level, names in titles.items()},
        "scores": {"ours": tx.score_levels(matcher, titles, members, groups)},
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a saved run of the coverage bench")
    parser.add_argument("--n", type=int, default=2000, help="the posts the run was made with")
    parser.add_argument("--all", action="store_true", help="the run holds all of 20NG")
    parser.add_argument("--out", type=Path, required=True, help="where to write the scores")
    args = parser.parse_args(argv)
    model, llm = replayed(args.run)
    texts = model.corpus_.texts
    if texts is None:
        raise SystemExit(f"The run in {args.run} holds no texts; the coverage bench needs one.")
    groups = newsgroups_of(list(texts), 10**9 if args.all else args.n)
    result = scored(args.run, model, llm, groups, tx.load_taxonomy())
    save_json(args.out, result)
    calls = result["calls"]
    print(f"{calls['replayed']} calls replayed from the run's log, {calls['asked']} asked anew")
    for level, data in sorted(result["scores"]["ours"].items(), key=lambda kv: int(kv[0])):
        means = data["means"]
        print(
            f"L{level}: coverage {means['coverage']:.3f}, precision {means['precision']:.3f}, "
            f"coverage x precision {means['coverage_x_precision']:.3f}"
        )
    print(f"results in {args.out}")
    return result


if __name__ == "__main__":
    main()
