# Benchmarks (tables in bench/README.md, from the results files in bench/results/).
#
#   make bench         rerun every benchmark with the arguments of its results file and rewrite
#                      bench/results/*.json (hours on 2 cores: the LLM runs dominate; the MiniLM
#                      vectors of 20NG are embedded once and cached in bench/.cache)
#   make bench-smoke   every benchmark script at tiny sizes with stand-in models (seconds)
#   make bench-report  print every table of bench/README.md from the results files
#
# On a shared machine, serialise timed jobs: make bench LOCK="flock /tmp/hercules-heavy.lock"

PYTHON ?= python
LOCK ?=
RUN = $(LOCK) $(PYTHON) -m

.PHONY: bench bench-smoke bench-fast bench-llm bench-report bench-toponymy

bench: bench-fast bench-llm

# No LLM: keyword titles, embedding and clustering only.
bench-fast:
	$(RUN) bench.bench_20ng --seeds 5
	$(RUN) bench.bench_table1 --seeds 8
	$(RUN) bench.bench_auto_k --seeds 2
	$(RUN) bench.bench_scale
	$(RUN) bench.bench_outofcore
	$(RUN) bench.bench_ray --n 8000
	$(RUN) bench.bench_embed_batches --budgets 512
	$(RUN) bench.bench_embed_int8
	$(RUN) bench.bench_layout --sizes 2000,18846,100000 --million

# Local LLM (Qwen2.5-Coder-1.5B); pyhercules last, in its own venv (created on first use).
# bench_titles --corpus bbc needs the bench extra: pip install -e ".[bench]".
bench-llm:
	$(RUN) bench.bench_demo
	$(RUN) bench.bench_demo --args "--n 18846 --levels 100,20,5" --out bench/results/20ng_cold.json
	$(RUN) bench.bench_titles --corpus 20ng --levels 100,20,5
	$(RUN) bench.bench_titles --corpus bbc --levels 20,5
	$(RUN) bench.bench_llm_slots --slots 2,4,3,1 --prompts 12
	$(RUN) bench.bench_estimate
	$(RUN) bench.bench_llm_runtime --label prebuilt
	$(RUN) bench.bench_llm_batch --sizes 1,4 --n 1000 --k 12 --threads 1
	$(RUN) bench.bench_llm_20ng --threads 1
	$(RUN) bench.bench_llm_contrast --arms baseline,contrast --seeds 0
	$(RUN) bench.bench_ablation --per-category 50 --levels 8,4 --seeds 2
	$(RUN) bench.bench_pyhercules --per-category 100 --levels 20,5
	$(RUN) bench.bench_coverage --build --run runs/demo
	$(RUN) bench.bench_coverage_calibration --run runs/demo

# Toponymy side by side: its packages live in a venv of their own (bench/README.md).
TOPONYMY_PYTHON ?= .venv-toponymy/bin/python
bench-toponymy:
	$(LOCK) $(TOPONYMY_PYTHON) -m bench.bench_toponymy --levels 10,4 --threads 2 --parallel 2

bench-smoke:
	$(PYTHON) -m pytest tests/test_bench_smoke.py -q

bench-report:
	$(PYTHON) -m bench.report
