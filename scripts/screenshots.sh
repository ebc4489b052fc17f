#!/usr/bin/env bash
# Retakes the README's screenshots (docs/screenshots/*.png): a fresh demo
# server and headless Chromium, through scripts/browser-test.sh's set-up.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BROWSER_TEST_FILES="scripts/screenshots.py" SCREENSHOT_DIR="$PWD/docs/screenshots" \
    bash scripts/browser-test.sh
