#!/usr/bin/env bash
# Fresh machine to a tested build: installs the Debian packages, builds, runs the whole GoogleTest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc 2>/dev/null || echo 2)"
