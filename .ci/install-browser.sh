#!/usr/bin/env bash
# Installs what the explorer's browser tests need: Debian's Chromium + ChromeDriver and the
# Python app/test extras. Idempotent; safe to call from .ci/run before pytest.
set -euo pipefail

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        chromium chromium-driver
fi
chromium --version
chromedriver --version

python -m pip install -q 'dash>=3.0' 'plotly>=5.22' 'selenium>=4.20'
