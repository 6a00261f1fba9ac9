#!/usr/bin/env bash
# Sets everything up, builds, and runs the whole test suite. Tests labelled "shared"
# read ../shared (reference values, real data) and skip, saying why, when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600
