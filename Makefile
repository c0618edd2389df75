# Benchmarks (figures in bench/README.md, raw results in bench/results/).
#
#   make bench         rerun every benchmark and rewrite bench/results/*.json (hours on 2 cores:
#                      the LLM runs dominate; the MiniLM vectors of 20NG are embedded once and
#                      cached in bench/.cache)
#   make bench-smoke   every benchmark script at tiny sizes with stand-in models (seconds)
#
# On a shared machine, serialise timed jobs: make bench LOCK="flock /tmp/hercules-heavy.lock"

PYTHON ?= python
LOCK ?=
RUN = $(LOCK) $(PYTHON) -m

.PHONY: bench bench-smoke bench-fast bench-llm bench-toponymy

bench: bench-fast bench-llm

# Keyword labeller only: no LLM.
bench-fast:
	$(RUN) bench.bench_20ng --seeds 5
	$(RUN) bench.bench_table1 --seeds 8
	$(RUN) bench.bench_scale
	$(RUN) bench.bench_ray --n 8000
	$(RUN) bench.bench_auto_k --seeds 2

# Local LLM (Qwen2.5-Coder-1.5B); pyhercules last, in its own venv (created on first use).
# bench_titles --corpus bbc needs the bench extra: pip install -e ".[bench]".
bench-llm:
	$(RUN) bench.bench_titles --corpus 20ng --levels 100,20,5
	$(RUN) bench.bench_titles --corpus bbc --levels 20,5
	$(RUN) bench.bench_title_choice --from bench/results/titles_20ng.json --corpus 20ng
	$(RUN) bench.bench_title_choice --from bench/results/titles_bbc.json --corpus bbc --levels 20,5
	$(RUN) bench.bench_llm_slots --slots 2,4,3,1 --prompts 12
	$(RUN) bench.bench_estimate
	$(RUN) bench.bench_llm_batch --sizes 1,4 --n 1000 --k 12 --threads 1
	$(RUN) bench.bench_llm_20ng --threads 1
	$(RUN) bench.bench_llm_contrast --arms baseline,contrast,lean --seeds 0
	$(RUN) bench.bench_ablation --per-category 60 --levels 12,6 --seeds 2
	$(RUN) bench.bench_pyhercules --per-category 100 --levels 20,5
	$(RUN) bench.bench_coverage --build --run runs/demo

# Toponymy side by side: its packages live in a venv of their own (bench/COVERAGE_SECTION.md).
TOPONYMY_PYTHON ?= .venv-toponymy/bin/python
bench-toponymy:
	$(LOCK) $(TOPONYMY_PYTHON) -m bench.bench_toponymy --levels 10,4 --threads 2 --parallel 2

bench-smoke:
	$(PYTHON) -m pytest tests/test_bench_smoke.py -q
