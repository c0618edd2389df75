"""Every benchmark script runs end to end at tiny sizes (``--smoke``), so none can rot.

No corpus file, no model weights, no pyhercules venv: the smoke runs use synthetic topic texts,
hashed bag-of-words vectors and a fake LLM (bench/smoke.py). Their numbers mean nothing; the
tests check that each script writes its results file with the expected keys and sane values.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bench import (
    bench_20ng,
    bench_ablation,
    bench_auto_k,
    bench_estimate,
    bench_llm_20ng,
    bench_llm_batch,
    bench_llm_contrast,
    bench_llm_slots,
    bench_pyhercules,
    bench_ray,
    bench_scale,
    bench_table1,
    report,
)
from hercules.title_quality import is_keyword_title

ROOT = Path(__file__).resolve().parents[1]


def _score(value: float) -> bool:
    return -1.0 <= value <= 1.0 and math.isfinite(value)


def test_table1_smoke(tmp_path):
    out = tmp_path / "table1.json"
    bench_table1.main(["--smoke", "--seeds", "2", "--out", str(out)])
    data = json.loads(out.read_text())
    assert set(data["summary"]) == set(bench_table1.METHODS)
    for method, row in data["summary"].items():
        assert _score(row["ari"]["mean"]), method
        assert 0.0 <= row["nmi"]["mean"] <= 1.0, method
        assert row["seconds"]["mean"] >= 0.0
    # Agglomerative on fixed vectors is deterministic: one run, not one per seed.
    assert data["summary"]["embeddings_agglomerative"]["runs"] == 1
    assert data["summary"]["embeddings_kmeans"]["runs"] == 2
    # The synthetic topics are disjoint vocabularies: every method must find them.
    assert data["summary"]["hercules_direct"]["ari"]["mean"] > 0.9


def test_ablation_smoke(tmp_path, monkeypatch):
    monkeypatch.setenv("HERCULES_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "ablation.json"
    bench_ablation.main(["--smoke", "--seeds", "1", "--out", str(out)])
    data = json.loads(out.read_text())
    assert len(data["runs"]) == 8  # 2 x 2 x 2 configurations, one seed
    configs = {tuple(run[f] for f in bench_ablation.FACTORS) for run in data["runs"]}
    assert len(configs) == 8
    for run in data["runs"]:
        assert _score(run["ari"])
        assert _score(run["silhouette"])
        assert _score(run["topic_alignment"])
        assert run["seconds"] >= run["wall_seconds"] >= 0.0
    for factor in bench_ablation.FACTORS:
        effect = data["main_effects"][factor]
        for metric in ("ari", "silhouette", "topic_alignment", "seconds"):
            assert 0.0 <= effect[metric]["p"] <= 1.0
            assert effect[metric]["n"] == [4, 4]
    # Level 1 clusters item vectors in both modes: the description runs reuse its answers.
    description = [r for r in data["runs"] if r["representation_mode"] == "description"]
    assert all(r["llm_calls_cached"] > 0 for r in description)
    table = report.ablation_tables(data)
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + len(bench_ablation.FACTORS)  # the header, one row per factor
    assert "| representation_mode (direct vs description) | " in table


def test_ablation_main_effects_by_hand():
    runs = [
        {"representation_mode": mode, "use_resampling": r, "topic_seed_active": t, "ari": a}
        | {"silhouette": 0.0, "llm_silhouette": None, "topic_alignment": 0.0, "seconds": 1.0}
        for mode, a in (("direct", 0.5), ("description", 0.1))
        for r in (False, True)
        for t in (False, True)
    ]
    effects = bench_ablation.main_effects(runs)
    # Every direct run beats every description run: U takes its extreme value 4 * 4 = 16.
    assert effects["representation_mode"]["ari"]["U"] == 16.0
    assert effects["representation_mode"]["ari"]["mean"] == [0.5, 0.1]
    assert "llm_silhouette" not in effects["representation_mode"]
    assert effects["use_resampling"]["ari"]["U"] == 8.0  # no effect: half of 16


def test_pyhercules_smoke_reports_both_tools(tmp_path):
    out = tmp_path / "pyhercules.json"
    bench_pyhercules.main(["--smoke", "--out", str(out)])
    data = json.loads(out.read_text())
    assert set(data["results"]) == {"hercules", "pyhercules"}
    ours = data["results"]["hercules"]
    for key in ("total_seconds", "embed_seconds", "llm_seconds", "other_seconds", "peak_rss_mb"):
        assert ours[key] >= 0.0, key
    # At most one call per cluster at levels [6, 3], and one more for a parent's area: a
    # single child or a cluster with little content is named without one; every level-1
    # cluster of the toy corpus has content.
    assert 6 <= ours["llm_calls"] <= 6 + 2 * 3
    assert ours["peak_rss_mb"] > 10
    assert set(ours["levels_scores"]) == {"1", "2"}
    assert data["ratios"]["speedup_total"] > 0
    assert data["ratios"]["target_met"] in (True, False)
    table = report.pyhercules_table(data)
    assert "| wall time, end to end (s) |" in table
    assert "| level 2 (3 clusters) ARI / NMI vs 6 groups |" in table
    assert 0.0 <= ours["levels_scores"]["1"]["title_top1_newsgroups"] <= 1.0
    assert "| level 1 titles: top-1 (nearest newsgroup name = members' majority) |" in table


def test_pyhercules_worker_runs_the_paper_package(tmp_path):
    # scripts/test.sh creates the venv; venv_python() creates it here too when run alone.
    out = tmp_path / "worker.json"
    command = [
        str(bench_pyhercules.venv_python()),
        "-m",
        "bench.pyhercules_worker",
        "--tool",
        "pyhercules",
        "--smoke",
        "--per-category",
        "10",
        "--levels",
        "6,3",
        "--out",
        str(out),
    ]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    data = json.loads(out.read_text())
    assert data["levels_scores"]["1"]["clusters"] == 6
    assert data["levels_scores"]["1"]["unassigned"] == 0
    assert data["llm_calls"] >= 2
    assert data["failed_or_empty_titles"] == 0
    assert 0.0 <= data["levels_scores"]["2"]["title_top1_newsgroups"] <= 1.0


def test_smoke_scripts_do_not_touch_committed_results(tmp_path):
    before = {p.name: p.stat().st_mtime for p in (ROOT / "bench" / "results").glob("*.json")}
    bench_table1.main(["--smoke", "--seeds", "1", "--out", str(tmp_path / "t.json")])
    after = {p.name: p.stat().st_mtime for p in (ROOT / "bench" / "results").glob("*.json")}
    assert before == after


def test_20ng_foundation_smoke(tmp_path):
    out = tmp_path / "foundation.json"
    bench_20ng.main(["--smoke", "--seeds", "2", "--out", str(out)])
    data = json.loads(out.read_text())
    assert len(data["runs"]) == 2
    for key in ("hercules_l2_ari", "hercules_l2_nmi", "flat_ari", "flat_nmi"):
        assert _score(data["summary"][key]["mean"]), key
    assert data["saved_run_mb"] > 0


def test_scale_smoke(tmp_path):
    out = tmp_path / "scale.json"
    bench_scale.main(["--smoke", "--out", str(out)])
    (row,) = json.loads(out.read_text())["results"]
    assert row["n"] == 10_000
    assert row["level_sizes"] == row["levels"]
    assert row["peak_rss_mb"] > row["data_mb"] > 0
    assert row["assign_floor_seconds"] > 0


def test_llm_batch_smoke(tmp_path, monkeypatch):
    monkeypatch.setenv("HERCULES_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "batch.json"
    bench_llm_batch.main(["--smoke", "--out", str(out)])
    runs = json.loads(out.read_text())["runs"]
    assert [r["batch_size"] for r in runs] == [1, 4]
    assert [r["calls"] for r in runs] == [6, 2]  # 6 clusters, one or four per call
    assert all(r["failed_clusters"] == 0 for r in runs)


def test_llm_slots_smoke(tmp_path):
    out = tmp_path / "slots.json"
    bench_llm_slots.main(["--smoke", "--prompts", "4", "--out", str(out)])
    data = json.loads(out.read_text())
    assert [r["slots"] for r in data["runs"]] == [1, 2, 4]
    assert all(r["requests"] == 4 for r in data["runs"])  # the same recorded prompts each time
    assert data["runs"][0]["speedup"] == 1.0
    tokens = {r["prompt_tokens"] for r in data["runs"]}
    assert len(tokens) == 1
    assert tokens.pop() > 0
    assert data["mean_prompt_chars"] > 200  # real summary prompts, not placeholders


def test_estimate_smoke(tmp_path):
    out = tmp_path / "estimate.json"
    bench_estimate.main(["--smoke", "--out", str(out)])
    data = json.loads(out.read_text())
    # The fake reports exactly 100 prompt and 25 generated tokens/s: both calibrations see it.
    assert data["measured_speed"] == {"prompt_per_s": 100.0, "generated_per_s": 25.0}
    assert abs(data["from_this_log"]["over_real"] - 1.0) < 0.01
    assert data["estimate"]["calls"] == 6 + 2  # one call per cluster
    assert data["real"]["calls"] >= 6 + 2  # plus a re-ask where every candidate failed
    assert 0 < data["real"]["draft_tree_after_seconds"] <= data["real"]["fit_seconds"]


def test_llm_20ng_smoke(tmp_path, monkeypatch):
    monkeypatch.setenv("HERCULES_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "llm.json"
    bench_llm_20ng.main(["--smoke", "--out", str(out)])
    data = json.loads(out.read_text())
    # One call per cluster, plus re-asks where all candidate titles were taken (12 level-1
    # clusters over 6 topics share words).
    assert data["cold"]["calls"] >= 12 + 6 + 3
    assert data["warm_rerun"]["calls"] == 0  # every answer from the cache
    assert data["warm_rerun"]["cached_calls"] == data["cold"]["calls"]
    assert 0.0 <= data["title_match_top1_all_levels"] <= 1.0


def test_llm_contrast_smoke(tmp_path):
    out = tmp_path / "contrast.json"
    data = bench_llm_contrast.main(["--smoke", "--arms", "baseline,contrast", "--out", str(out)])
    assert json.loads(out.read_text())["mean_by_arm"] == data["mean_by_arm"]
    assert [r["arm"] for r in data["runs"]] == ["baseline", "contrast"]
    for run in data["runs"]:
        assert run["failed_calls"] == 0
        assert _score(run["quality"]["L1"]["retrieval"])
        assert 0.0 <= run["quality"]["L2"]["copied_child"] <= 1.0
    # Only the prompts differ between the arms: same clusters, same number of calls.
    baseline, contrast = data["runs"]
    # levels [6, 2], one cluster per call
    assert contrast["calls"] == baseline["calls"] == 6 + 2
    assert contrast["settings"]["contrast_neighbours"] == 3
    assert baseline["settings"]["contrast_neighbours"] == 0


def test_ray_smoke(tmp_path):
    pytest.importorskip("ray")
    out = tmp_path / "ray.json"
    data = bench_ray.main(["--smoke", "--out", str(out)])
    assert json.loads(out.read_text())["docs"] == data["docs"] == 60
    for workers in ("1", "2"):
        run = data["ray_workers"][workers]
        assert run["equal_to_local"], workers  # Ray gives the local vectors, bit for bit
        assert run["docs_per_s"] > 0
    assert data["speedup_1_to_2_workers"] > 0


def test_titles_smoke(tmp_path, monkeypatch):
    from bench import bench_titles

    monkeypatch.setenv("HERCULES_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "titles.json"
    bench_titles.main(["--smoke", "--out", str(out)])
    data = json.loads(out.read_text())
    assert data["same_clusters"] is True
    for labeller in ("keywords", "llm"):
        levels = data["results"][labeller]["levels"]
        assert [row["level"] for row in levels] == [1, 2]
        for row in levels:
            assert 0.0 <= row["top1"] <= 1.0
            assert 0.0 <= row["faithfulness_level"] <= 1.0
            assert row["copied_parent_titles"] >= 0
    assert data["results"]["llm"]["cost"]["calls"] >= 8  # 6 + 2 clusters, plus re-asks


def test_auto_k_smoke(tmp_path):
    out = tmp_path / "auto_k.json"
    data = bench_auto_k.main(["--smoke", "--seeds", "1", "--out", str(out)])
    assert json.loads(out.read_text())["summary"] == data["summary"]
    assert set(data["summary"]) == {"smoke_topics", "smoke_blobs"}
    for corpus, by_rule in data["summary"].items():
        assert set(by_rule) == set(bench_auto_k.RULES), corpus
        for row in by_rule.values():
            assert row["levels_mean"] >= 1
            assert _score(row["best_ari_mean"])
    # Six disjoint vocabularies: the default rule finds them at some level.
    assert data["summary"]["smoke_topics"]["floor"]["best_ari_mean"] > 0.9
    for run in data["runs"]:
        assert run["sizes"] == sorted(run["sizes"], reverse=True)  # each level smaller
        assert run["nearest_ari"] <= run["best_ari"]


def test_demo_smoke(tmp_path):
    from bench import bench_demo

    out = tmp_path / "demo.json"
    data = bench_demo.main(["--smoke", "--against", "HEAD", "--out", str(out)])
    assert json.loads(out.read_text())["seconds"] == data["seconds"]
    base = data["against"]
    for run in (data, base):
        assert 0 < run["first_tree_seconds"] <= run["seconds"]
        assert any("L2 #" in line for line in run["output"])
        assert run["llm_calls"] == 0  # keyword titles
    assert re.fullmatch(r"[0-9a-f]{40}", base["revision"])
    with pytest.raises(SystemExit, match="no-such-revision"):
        bench_demo.main(["--smoke", "--against", "no-such-revision", "--out", str(out)])


def test_embed_batches_smoke(tmp_path):
    from bench import bench_embed_batches

    out = tmp_path / "embed.json"
    bench_embed_batches.main(["--smoke", "--out", str(out)])
    data = json.loads(out.read_text())
    assert set(data["results"]) == {"synthetic", "synthetic x8"}
    for sample in data["results"].values():
        runs = sample["runs"]
        # previous, one session with every thread, and each budget with side-by-side sessions
        assert len(runs) == 2 + len(bench_embed_batches.BUDGETS)
        assert runs["previous (32 a pass, char sort)"]["speedup_vs_previous"] == 1.0
        assert sample["sessions_speedup"] > 0
        # the same vectors whichever way the texts were batched
        assert all(row["min_cosine_vs_previous"] > 0.999 for row in runs.values())
    results = data["results"]
    assert results["synthetic x8"]["mean_tokens"] > results["synthetic"]["mean_tokens"]


def test_llm_runtime_smoke(tmp_path):
    from bench import bench_llm_runtime

    out = tmp_path / "runtime.json"
    bench_llm_runtime.main(["--smoke", "--prompts", "2", "--out", str(out)])
    data = json.loads(out.read_text())
    assert "smollm2" in data["model"].lower()
    assert len(data["calls"]) == 2
    summary = data["summary"]
    assert summary["prompt_tokens"] > 50
    assert summary["generated_tokens"] > 0
    assert 0.0 < summary["prompt_share_of_time"] < 1.0
    assert "AVX" in data["cpu_features"]


def test_coverage_build_refuses_a_folder_holding_a_run(tmp_path):
    from bench import bench_coverage

    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(SystemExit, match="would resume instead"):
        bench_coverage.build_demo(tmp_path, 100, "4,2", [])


def test_coverage_smoke(tmp_path, monkeypatch):
    from bench import bench_coverage

    monkeypatch.setenv("HERCULES_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "coverage.json"
    data = bench_coverage.main(["--smoke", "--out", str(out)])
    assert json.loads(out.read_text())["table"] == data["table"]
    assert data["levels"] == [6, 2]
    assert {(r["level"], r["titles"]) for r in data["table"]} == {
        (lvl, name)
        for lvl in (1, 2)
        for name in (
            "ours",
            "best weighed",
            "keywords",
            "oracle (<= 3 names)",
            "oracle, not too broad",
        )
    }
    for row in data["table"]:
        for key in ("coverage", "precision", "coverage_x_precision"):
            assert 0.0 <= row[key] <= 1.0, row
    ours, keywords = data["scores"]["ours"]["1"], data["scores"]["keywords"]["1"]
    # Both labellers named the same six clusters; the keyword titles are the keyword labeller's.
    assert [c["size"] for c in ours["clusters"]] == [c["size"] for c in keywords["clusters"]]
    assert all(is_keyword_title(c["title"]) for c in keywords["clusters"])
    # Six disjoint topics, six clusters: each is one newsgroup, which one name covers.
    assert ours["means"]["oracle_coverage"] == 1.0


def test_toponymy_smoke(tmp_path):
    from bench import bench_toponymy

    out = tmp_path / "toponymy.json"
    data = bench_toponymy.main(["--smoke", "--out", str(out)])
    assert json.loads(out.read_text())["layers"] == data["layers"] == [6, 2]
    assert [r["level"] for r in data["table"] if r["titles"] == "toponymy"] == [1, 2]
    for layer in ("1", "2"):
        # One post in ten is left unclustered by the stand-in: 18 of 180.
        assert data["scores"][layer]["unclustered"] == pytest.approx(0.1)
        sizes = [c["size"] for c in data["scores"][layer]["clusters"]]
        assert sum(sizes) == 162
    # Six disjoint topics, six stand-in topics named after their group: every name covers.
    assert data["scores"]["1"]["means"]["coverage"] == 1.0


@pytest.mark.parametrize(
    ("labels", "sizes"),
    [([0, 0, 1, -1, 1, 1], [2, 3]), ([-1, -1], [0, 0]), ([2, 0], [1, 0, 1])],
    ids=["noise-left-out", "all-noise", "empty-topic"],
)
def test_toponymy_layer_members(labels, sizes):
    from bench.bench_toponymy import layer_members

    found = layer_members(np.array(labels), len(sizes))
    assert [len(m) for m in found] == sizes
    assert all(labels[i] == topic for topic, m in enumerate(found) for i in m)


def test_toponymy_adapters():
    from types import SimpleNamespace

    from bench.bench_toponymy import CallCounter, Encoder

    encoder = Encoder(lambda texts: np.ones((len(texts), 3)))
    vectors = encoder.encode(["a", "b"], show_progress_bar=True)
    assert vectors.shape == (2, 3)
    assert vectors.dtype == np.float32
    assert encoder.texts == 2
    counter = CallCounter()
    assert counter.totals()["prompt_tokens"] is None  # no usage seen: unknown, not 0
    counter.debug({"event": "llm_call_success"})
    counter.debug({"event": "llm_call_error"})
    counter.usage(
        {}, SimpleNamespace(usage=SimpleNamespace(prompt_tokens=7, completion_tokens=2)), 0, 0
    )
    counter.usage({}, SimpleNamespace(), 0, 0)
    assert counter.totals() == {
        "calls": 2,
        "failed_calls": 1,
        "prompt_tokens": 7,
        "generated_tokens": 2,
        "calls_with_usage": 1,
        "first_errors": ["?: "],
    }


def test_layout_smoke(tmp_path):
    from bench import bench_layout

    out = tmp_path / "layout.json"
    data = bench_layout.main(["--smoke", "--out", str(out)])
    saved = json.loads(out.read_text())
    assert saved["results"] == data["results"]
    for key in ("revision", "command", "machine"):  # written by save_json
        assert saved[key], key
    small, large = data["results"]
    assert (small["n_fit"], small["n_transformed"]) == (150, 0)
    assert (large["n_fit"], large["n_transformed"]) == (200, 200)  # the sample + transform path
    assert large["points_drawn"] == 250  # decimated above --max-points
    for row in data["results"]:
        assert row["method"] == "umap"
        assert row["layout_seconds"] > 0
        assert row["peak_rss_after_layout_mb"] >= row["rss_before_layout_mb"] > 0
        assert row["html_mb"] > 3  # plotly.js is inlined
        paint = row["chromium"]
        assert paint is None or paint["ready_seconds"] > 0
        placed = row["placement"]  # nearest-neighbour placement against UMAP's transform
        assert placed["items_placed"] == row["n"] - int(row["n"] * 0.8)
        assert 0.0 <= placed["nearest_neighbours_same_component_neighbour"] <= 1.0
        assert placed["median_gap_over_map_diagonal"] >= 0.0


def test_coverage_calibration_smoke(tmp_path, monkeypatch):
    from bench import bench_coverage_calibration

    monkeypatch.setenv("HERCULES_CACHE_DIR", str(tmp_path / "cache"))
    result = bench_coverage_calibration.main(["--smoke"])
    rows = result["summary"]
    # Every scope at the two smoke margins, each with a per-level pick and its best candidate.
    assert {(r["scope"], r["margin"]) for r in rows} == {
        (scope, margin) for scope in ("tree", "children", "outside") for margin in (0.0, 0.05)
    }
    for row in rows:
        assert 0.0 <= row["picked"] <= row["oracle"] <= 1.0
        assert set(row["picked_per_level"]) == {"1", "2"}


def test_coverage_structures_smoke(tmp_path, monkeypatch):
    from bench import bench_coverage_structures

    monkeypatch.setenv("HERCULES_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "structures.json"
    data = bench_coverage_structures.main(["--smoke", "--out", str(out)])
    assert json.loads(out.read_text())["table"] == data["table"]
    rows = {(r["clusters"], r["titles"]): r for r in data["table"]}
    assert rows[("level 1", "ours")]["n"] == 6  # level 1 once: the same in every run
    assert rows[("parents", "ours")]["n"] == 2 * 2  # the parents of both runs
    assert rows[("parents", "oracle")]["precision"] == 1.0
    for row in data["table"]:
        assert 0.0 <= row["coverage_x_precision"] <= row["coverage"] <= 1.0


def test_coverage_structures_pool_by_hand():
    from bench.bench_coverage_structures import pooled

    def run(level1: list[tuple[float, int]], parents: list[tuple[float, int]]):
        def clusters(cells):
            return [{"coverage": c, "precision": p, "oracle": {"coverage": 1.0}} for c, p in cells]

        scores = {"1": {"clusters": clusters(level1)}, "2": {"clusters": clusters(parents)}}
        return {"scores": {"ours": scores, "keywords": scores}}

    rows = pooled([run([(0.5, 1)], [(1.0, 1)]), run([(0.9, 0)], [(0.5, 0), (0.0, 1)])])
    ours = {r["clusters"]: r for r in rows if r["titles"] == "ours"}
    assert ours["level 1"] == {
        "clusters": "level 1",
        "titles": "ours",
        "n": 1,
        "coverage": 0.5,
        "precision": 1.0,
        "coverage_x_precision": 0.5,
        "coverage_x_precision_se": 0.0,  # one cluster: no spread
    }
    assert (ours["parents"]["n"], ours["parents"]["coverage"]) == (3, 0.5)
    assert ours["parents"]["precision"] == pytest.approx(0.667, abs=1e-3)
    assert ours["parents"]["coverage_x_precision"] == pytest.approx(0.333, abs=1e-3)
    # Products 1, 0, 0: standard deviation 0.577 over sqrt(3).
    assert ours["parents"]["coverage_x_precision_se"] == pytest.approx(0.333, abs=1e-3)


def test_loop_safe_namer_runs_in_a_second_event_loop():
    import asyncio

    from bench.bench_toponymy import loop_safe

    class Namer:  # as Toponymy's async namer: one semaphore made at construction
        def __init__(self) -> None:
            self.semaphore = asyncio.Semaphore(1)

        async def one(self) -> None:
            async with self.semaphore:
                await asyncio.sleep(0)

        async def layer(self) -> None:
            await asyncio.gather(self.one(), self.one())

    shipped = Namer()
    asyncio.run(shipped.layer())
    with pytest.raises(RuntimeError, match="different event loop"):
        asyncio.run(shipped.layer())  # the second layer's loop
    fixed = loop_safe(Namer(), 1)
    asyncio.run(fixed.layer())
    asyncio.run(fixed.layer())


def test_replay_answers_from_the_log_and_asks_the_rest():
    from bench.replay import ReplayLLM

    built = []

    class Inner:
        def complete(self, prompt, *, schema=None, max_tokens=256):
            return f"asked: {prompt}"

    def inner():
        built.append(1)
        return Inner()

    records = [
        {"prompt": "a", "response": "first"},
        {"prompt": "a", "response": "second"},  # the last answer to a prompt is replayed
        {"prompt": "b", "response": None, "error": "timeout"},  # no answer: asked anew
    ]
    llm = ReplayLLM(records, inner)
    assert llm.complete("a") == "second"
    assert built == []  # the model is built on the first prompt the log cannot answer
    assert llm.complete("b") == "asked: b"
    assert llm.complete("c") == "asked: c"
    assert built == [1]
    assert (llm.replayed, llm.asked) == (1, 2)
    with pytest.raises(LookupError, match="no answer in the run's log"):
        ReplayLLM(records).complete("c")


def test_replay_gives_a_build_its_titles_back(tmp_path):
    from bench import bench_coverage
    from bench.replay import replay, replayed
    from hercules import Hercules

    run, groups, taxonomy, load = bench_coverage.smoke_run(tmp_path)
    saved = Hercules.load_model(run, **load).tree_
    result = replay(run, groups, taxonomy, inner=None, **load)
    assert result["calls"]["asked"] == 0
    assert result["calls"]["replayed"] > 0
    for level in (1, 2):
        assert result["titles"][str(level)] == saved.levels[level].titles
    scored = bench_coverage.score_run(run, groups, taxonomy, **load)["scores"]
    assert result["scores"]["ours"] == scored["ours"]
    # the coverage bench's --replay: the renamed run, scored as a saved one is
    model, llm = replayed(run, inner=None, **load)
    assert llm.asked == 0
    assert bench_coverage.score_run(run, groups, taxonomy, model=model, **load)["scores"] == scored
