#!/usr/bin/env bash
# Install everything the test suite needs from this repo's own files, then run it.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -m slow`).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -e '.[dev,app,images]'
if [ -f .ci/install-browser.sh ]; then
  bash .ci/install-browser.sh
fi
python -m pytest "$@"
